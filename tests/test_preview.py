"""The live preview: serves the site, rebuilds on save, shows errors in the browser."""

from __future__ import annotations

import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from koosloome_site import pipeline, validate
from koosloome_site.pipeline import build
from koosloome_site.serve import RELOAD_PATH, VERSION_PATH, WAIT_PATH, Preview
from tests.conftest import CONTENT
from tests.tools import REPO

PROGRAMME = "programmes/kogukonna-koosloome-labor-2023.yaml"


def fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def wait_for_rebuild(preview: Preview, seen: str) -> None:
    deadline = time.monotonic() + 10
    while fetch(preview.url + VERSION_PATH.lstrip("/"))[1] == seen:
        assert time.monotonic() < deadline, "no rebuild within 10 s of saving"
        time.sleep(0.05)


def test_preview_rebuilds_on_save_and_shows_errors_until_fixed(preview: Preview) -> None:
    page = preview.url + "programmid/kogukonna-koosloome-labor-2023/"
    status, html = fetch(page)
    assert status == 200 and "Kogukonna koosloome labor" in html
    assert f'<script src="{RELOAD_PATH}?v=' in html, "open pages reload after a rebuild"
    assert "<script>" not in html  # no inline script: a strict CSP still holds

    source = preview.content / PROGRAMME
    original = source.read_text("utf-8")
    version = fetch(preview.url + VERSION_PATH.lstrip("/"))[1]
    source.write_text(
        original.replace(
            "title: Kogukonna koosloome labor", "title: Kogukonna koosloome labor 2023"
        ),
        "utf-8",
    )
    wait_for_rebuild(preview, version)
    assert "Kogukonna koosloome labor 2023" in fetch(page)[1]

    version = fetch(preview.url + VERSION_PATH.lstrip("/"))[1]
    source.write_text(original.replace('date: "2023-05-18"', 'date: "2023-02-30"'), "utf-8")
    wait_for_rebuild(preview, version)
    status, html = fetch(page)
    assert status == 500
    assert "kuupäeva 2023-02-30 ei ole olemas" in html
    assert f"{PROGRAMME}:" in html and "sessions[3].date" in html
    # the offending YAML line, numbered, with a caret under the column
    assert re.search(r"&gt; +\d+ \|     date: &quot;2023-02-30&quot;\n +\| +\^", html), html
    assert "vihje: kirjuta kuupäev kujul AAAA-KK-PP" in html

    version = fetch(preview.url + VERSION_PATH.lstrip("/"))[1]
    source.write_text(original, "utf-8")
    wait_for_rebuild(preview, version)
    status, html = fetch(page)
    assert status == 200 and "Sisus on vigu" not in html


def test_preview_copies_the_site_into_its_spare_tree_while_idle(preview: Preview) -> None:
    """Right after the first build, while nothing is saved, the preview's writer gets the
    spare tree it builds into next to hold the site (write.fill_spare), so that the first
    save writes only what it changes; a save stops the copying, and the site it serves then
    shows the save."""

    def files(folder: Path) -> dict[str, bytes]:
        return {
            p.relative_to(folder).as_posix(): p.read_bytes()
            for p in folder.rglob("*")
            if p.is_file()
        }

    output = preview.state.output
    spare = output.parent / f".{output.name}.koosloome" / "spare"
    deadline = time.monotonic() + 10
    while not spare.is_dir() or files(spare) != files(output):
        assert time.monotonic() < deadline, "the spare tree was not filled within 10 s"
        time.sleep(0.1)
    source = preview.content / PROGRAMME
    version = fetch(preview.url + VERSION_PATH.lstrip("/"))[1]
    source.write_text(
        source.read_text("utf-8").replace(
            "title: Kogukonna koosloome labor", "title: Kogukonna koosloome labor 2023"
        ),
        "utf-8",
    )
    wait_for_rebuild(preview, version)
    page = fetch(preview.url + "programmid/kogukonna-koosloome-labor-2023/")[1]
    assert "Kogukonna koosloome labor 2023" in page


def test_the_first_build_uses_both_cores_and_a_file_saved_meanwhile_is_served(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, forks: list[bool]
) -> None:
    """The preview's first build runs before any of its threads start, so that it can fork
    (background.start forks only a single-threaded process); its watcher starts after it,
    so a file saved while that build ran must still be found, and served."""
    monkeypatch.setattr(pipeline, "PARALLEL_FROM_SESSIONS", 0)  # the real content is small
    monkeypatch.setattr(validate, "PARALLEL_FROM_FILES", 0)
    content = tmp_path / "content"
    shutil.copytree(CONTENT, content)
    source = content / PROGRAMME
    preview = Preview(content, port=0)
    first_build = preview.build

    def build(touched: frozenset[str] | None = None) -> None:
        first_build(touched)
        if forks == [True, True]:  # the first build, just done: saved while it ran
            title = "title: Kogukonna koosloome labor"
            source.write_text(source.read_text("utf-8").replace(title, title + " 2023"), "utf-8")

    monkeypatch.setattr(preview, "build", build)
    preview.start()
    try:
        assert forks[:2] == [True, True], "the first build did not fork (loading, calendars)"
        page = fetch(preview.url + "programmid/kogukonna-koosloome-labor-2023/")[1]
        assert "Kogukonna koosloome labor 2023" in page
    finally:
        preview.stop()


def test_preview_serves_the_not_found_page_for_unknown_addresses(preview: Preview) -> None:
    status, html = fetch(preview.url + "ei-ole-sellist/")
    assert status == 404 and "Lehte ei leitud" in html


def test_build_py_serve_starts_the_preview_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(CONTENT, content)
    command = [sys.executable, str(REPO / "build.py"), "serve", "--port", "0"]
    with subprocess.Popen(
        [*command, "--content", str(content)], stdout=subprocess.PIPE, text=True
    ) as process:
        try:
            assert process.stdout is not None
            first = process.stdout.readline()
            match = re.search(r"http://127\.0\.0\.1:\d+/", first)
            assert match, first
            status, html = fetch(match.group(0))
            assert status == 200 and "Programmid" in html
        finally:
            process.send_signal(signal.SIGINT)
            assert process.wait(timeout=10) == 0


def test_serve_on_a_taken_port_says_so_and_exits_2(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        result = subprocess.run(
            [sys.executable, str(REPO / "build.py"), "serve", "--port", port],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    assert result.returncode == 2
    assert f"porti {port} ei saa kasutada" in result.stderr


def test_preview_answers_only_its_own_loopback_address(preview: Preview) -> None:
    host, port = preview.server.server_address[:2]
    assert host == "127.0.0.1", "the preview is for this machine only"
    for name, status in (
        (f"localhost:{port}", 200),
        (f"127.0.0.1:{port}", 200),
        ("evil.example", 403),  # a web page reaching the preview through its own name
        (f"evil.example:{port}", 403),
    ):
        request = urllib.request.Request(preview.url, headers={"Host": name})
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                answer = response.status
        except urllib.error.HTTPError as error:
            answer = error.code
        assert answer == status, name


def test_preview_shows_a_broken_link_as_an_error_until_fixed(preview: Preview) -> None:
    page = preview.url + "programmid/kogukonna-koosloome-labor-2023/"
    source = preview.content / PROGRAMME
    original = source.read_text("utf-8")
    version = fetch(preview.url + VERSION_PATH.lstrip("/"))[1]
    broken = original.replace(
        "description: |\n", "description: |\n  [Teema](/teemad/puudub/)\n\n", 1
    )
    assert broken != original
    source.write_text(broken, "utf-8")
    wait_for_rebuild(preview, version)
    status, html = fetch(page)
    assert status == 500
    assert "link /teemad/puudub/ ei vii kuhugi" in html and f"{PROGRAMME}:" in html

    version = fetch(preview.url + VERSION_PATH.lstrip("/"))[1]
    source.write_text(original, "utf-8")
    wait_for_rebuild(preview, version)
    assert fetch(page)[0] == 200


def test_the_reload_script_is_served_and_long_polls(preview: Preview) -> None:
    status, script = fetch(preview.url + RELOAD_PATH.lstrip("/"))
    assert status == 200 and WAIT_PATH in script and "location.reload()" in script
    version = fetch(preview.url + VERSION_PATH.lstrip("/"))[1]
    # a stale version is answered at once; the current one waits for the next build
    assert fetch(preview.url + WAIT_PATH.lstrip("/") + "?seen=stale")[1] == version
    started = time.monotonic()
    (preview.content / "people" / "kaie-koppel.yaml").write_text("name: Kaie Koppel\n", "utf-8")
    answer = fetch(preview.url + WAIT_PATH.lstrip("/") + f"?seen={version}")[1]
    assert int(answer) > int(version)
    assert time.monotonic() - started < 5


def test_a_published_build_has_no_preview_script(tmp_path: Path) -> None:
    build(CONTENT, tmp_path / "out")
    for path in (tmp_path / "out").rglob("*"):
        if path.is_file():
            assert b"__preview" not in path.read_bytes(), path
