"""The live preview: serves the site, rebuilds on save, shows errors in the browser."""

from __future__ import annotations

import shutil
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from koosloome_site.serve import VERSION_PATH, Preview
from tests.conftest import CONTENT

PROGRAMME = "programmes/kogukonna-koosloome-labor-2023.yaml"


def fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


@pytest.fixture
def preview(tmp_path: Path) -> Iterator[Preview]:
    content = tmp_path / "content"
    shutil.copytree(CONTENT, content)
    running = Preview(content, port=0)
    running.start()
    yield running
    running.stop()


def wait_for_rebuild(preview: Preview, seen: str) -> None:
    deadline = time.monotonic() + 10
    while fetch(preview.url + VERSION_PATH.lstrip("/"))[1] == seen:
        assert time.monotonic() < deadline, "no rebuild within 10 s of saving"
        time.sleep(0.05)


def test_preview_rebuilds_on_save_and_shows_errors_until_fixed(preview: Preview) -> None:
    page = preview.url + "programmid/kogukonna-koosloome-labor-2023/"
    status, html = fetch(page)
    assert status == 200 and "Kogukonna koosloome labor" in html
    assert VERSION_PATH in html, "open pages reload themselves after a rebuild"

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

    version = fetch(preview.url + VERSION_PATH.lstrip("/"))[1]
    source.write_text(original, "utf-8")
    wait_for_rebuild(preview, version)
    status, html = fetch(page)
    assert status == 200 and "Sisus on vigu" not in html


def test_preview_serves_the_not_found_page_for_unknown_addresses(preview: Preview) -> None:
    status, html = fetch(preview.url + "ei-ole-sellist/")
    assert status == 404 and "Lehte ei leitud" in html
