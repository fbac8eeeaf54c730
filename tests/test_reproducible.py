"""Reproducible builds: the same content gives the same bytes, whoever builds it, wherever.

Two builds of the real content differ in everything that should not matter (time zone, locale,
hash seed, the order the content files were created in, the content's folder and the working
directory) and must produce byte-identical trees. SOURCE_DATE_EPOCH
(https://reproducible-builds.org/specs/source-date-epoch/) stands in for the clock: it is the
build's "now" when --now is not given, and file modification times later than it are clamped
to it.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import CONTENT, ROOT, git, manifest, read_page, text

NOW = "2023-03-01T12:00:00+02:00"
EPOCH = 1_700_000_000  # 2023-11-14 22:13:20 UTC, already 15 November in Tallinn
PROGRAMME = "programmes/kogukonna-koosloome-labor-2023.yaml"
PAGE = "programmid/kogukonna-koosloome-labor-2023/"
FEED = "programmid/kogukonna-koosloome-labor-2023/kalender.ics"
EVENT = "programmid/kogukonna-koosloome-labor-2023/toimumine-infopaev.ics"
KEPT_OUT = ("TZ", "LANG", "LANGUAGE", "LC_ALL", "PYTHONHASHSEED", "SOURCE_DATE_EPOCH", "LOCPATH")


@pytest.fixture(scope="module")
def other_locale(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """An Estonian locale when one can be had (compiled here if need be), else any other."""
    available = subprocess.run(["locale", "-a"], capture_output=True, text=True).stdout.split()
    for name in ("et_EE.utf8", "en_US.utf8"):
        if name in available:
            return {"LC_ALL": name, "LANG": name}
    if shutil.which("localedef") and Path("/usr/share/i18n/locales/et_EE").is_file():
        folder = tmp_path_factory.mktemp("locales")
        made = subprocess.run(
            ["localedef", "-i", "et_EE", "-f", "UTF-8", str(folder / "et_EE.UTF-8")],
            capture_output=True,
        )
        if made.returncode == 0:
            return {"LC_ALL": "et_EE.UTF-8", "LANG": "et_EE.UTF-8", "LOCPATH": str(folder)}
    return {"LC_ALL": "C", "LANG": "C"}


def environment(**settings: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in KEPT_OUT}
    return {**env, **settings}


def run_build(
    content: Path, output: Path, cwd: Path, env: dict[str, str], now: str | None = NOW
) -> None:
    """`build.py` in `cwd`, with the content and output given relative to it where they can be;
    `now` is --now (None: not given)."""

    def shown(path: Path) -> str:
        return str(path.relative_to(cwd)) if path.is_relative_to(cwd) else str(path)

    command = [sys.executable, str(ROOT / "build.py"), "--content", shown(content)]
    command += ["--output", shown(output), *(["--now", now] if now else [])]
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def copy_in_order(source: Path, target: Path, reverse: bool) -> None:
    """Copy a tree creating its folders and files oldest-name-first, or the other way round."""
    paths = sorted(source.rglob("*"), reverse=reverse)
    for path in paths:
        copy = target / path.relative_to(source)
        if path.is_dir():
            copy.mkdir(parents=True, exist_ok=True)
        else:
            copy.parent.mkdir(parents=True, exist_ok=True)
            copy.write_bytes(path.read_bytes())


def touch_all(folder: Path, when: float) -> None:
    for path in [folder, *folder.rglob("*")]:
        os.utime(path, (when, when))


def make_repo(repo: Path, reverse: bool) -> Path:
    """The real content in a new repository: the same two commits, whatever the copy order."""
    content = repo / "sisu õ" / "content"  # a folder name git would quote
    copy_in_order(CONTENT, content, reverse)
    git(repo, "init", "-q", "-b", "main", when="2023-01-10T12:00:00+00:00")
    git(repo, "add", ".", when="2023-01-10T12:00:00+00:00")
    git(repo, "commit", "-qm", "content", when="2023-01-10T12:00:00+00:00")
    source = content / PROGRAMME
    source.write_text(
        source.read_text("utf-8").replace("title: Infopäev\n", "title: Infopäev Zoomis\n", 1),
        "utf-8",
    )
    git(repo, "commit", "-qam", "edit", when="2023-02-01T09:30:00+00:00")
    return content


def make_plain(folder: Path, reverse: bool) -> Path:
    content = folder / "content"
    copy_in_order(CONTENT, content, reverse)
    touch_all(content, dt.datetime(2023, 1, 10, 12, tzinfo=dt.UTC).timestamp())
    return content


@pytest.mark.parametrize("where", ["outside git, same modification times", "git, same commits"])
def test_two_builds_in_different_surroundings_are_byte_identical(
    tmp_path: Path, other_locale: dict[str, str], where: str
) -> None:
    make = make_repo if where.startswith("git") else make_plain
    one, two = tmp_path / "one", tmp_path / "two" / "deeper" / "still"
    first, second = make(one, reverse=False), make(two, reverse=True)
    ceiling = str(tmp_path)  # a repository above the temporary folder must not count
    run_build(
        first,
        one / "out",
        cwd=one,
        env=environment(
            TZ="UTC", LC_ALL="C.UTF-8", PYTHONHASHSEED="0", GIT_CEILING_DIRECTORIES=ceiling
        ),
    )
    (tmp_path / "elsewhere").mkdir()
    run_build(
        second,
        tmp_path / "two" / "out",
        cwd=tmp_path / "elsewhere",
        env=environment(
            TZ="Pacific/Kiritimati",  # UTC+14, another day than Tallinn for ten hours
            PYTHONHASHSEED="4242",
            GIT_CEILING_DIRECTORIES=ceiling,
            **other_locale,
        ),
    )
    built = manifest(one / "out")
    assert len(built) > 50 and PAGE + "index.html" in built
    assert built == manifest(tmp_path / "two" / "out")
    if where.startswith("git"):  # the history was read, under a folder named "sisu õ" too
        footer = read_page(one / "out", PAGE).find("footer")
        assert "viimati uuendatud 1. veebruar 2023" in text(footer)
        assert "SEQUENCE:1" in (one / "out" / EVENT).read_text("utf-8")


def test_source_date_epoch_is_the_builds_now_when_none_is_given(tmp_path: Path) -> None:
    content = make_plain(tmp_path, reverse=False)
    iso = dt.datetime.fromtimestamp(EPOCH, dt.UTC).isoformat()
    run_build(content, tmp_path / "given", tmp_path, environment(), now=iso)
    epoch = environment(SOURCE_DATE_EPOCH=str(EPOCH), TZ="America/Los_Angeles")
    run_build(content, tmp_path / "epoch", tmp_path, epoch, now=None)
    later = environment(SOURCE_DATE_EPOCH=str(EPOCH + 86400 * 30))
    run_build(content, tmp_path / "both", tmp_path, later, now=iso)  # --now wins
    assert manifest(tmp_path / "epoch") == manifest(tmp_path / "given")
    assert manifest(tmp_path / "both") == manifest(tmp_path / "given")
    run_build(content, tmp_path / "march", tmp_path, environment())
    assert manifest(tmp_path / "march") != manifest(tmp_path / "given")  # "now" shows


@pytest.mark.parametrize("where", ["outside git", "git, uncommitted edit"])
def test_modification_times_after_source_date_epoch_are_clamped_to_it(
    tmp_path: Path, where: str
) -> None:
    later = [EPOCH + 10 * 86400, EPOCH + 400 * 86400]  # two copies, touched on other days
    builds = []
    for number, when in enumerate(later):
        folder = tmp_path / str(number)
        if where == "outside git":
            content = make_plain(folder, reverse=bool(number))
            touch_all(content, when)
        else:
            content = make_repo(folder, reverse=bool(number))
            source = content / PROGRAMME  # an editor's uncommitted change: a version at its mtime
            edited = source.read_text("utf-8").replace("Infopäev Zoomis", "Infopäev veebis")
            source.write_text(edited, "utf-8")
            os.utime(source, (when, when))
        for epoch in (None, EPOCH):
            output = folder / f"out-{epoch}"
            settings = {"SOURCE_DATE_EPOCH": str(epoch)} if epoch else {}
            env = environment(GIT_CEILING_DIRECTORIES=str(tmp_path), **settings)
            run_build(content, output, folder, env)
        builds.append(folder)

    clamped = [manifest(folder / f"out-{EPOCH}") for folder in builds]
    assert clamped[0] == clamped[1]
    assert manifest(builds[0] / "out-None") != manifest(builds[1] / "out-None")
    footer = read_page(builds[0] / f"out-{EPOCH}", PAGE).find("footer")
    assert "viimati uuendatud 15. november 2023" in text(footer)
    if where != "outside git":  # the edited session's event changed at SOURCE_DATE_EPOCH
        event = (builds[0] / f"out-{EPOCH}" / EVENT).read_text("utf-8")
        assert "LAST-MODIFIED:20231114T221320Z" in event and "SEQUENCE:2" in event


@pytest.mark.parametrize("value", ["1.5", "-1", "yesterday", " 1700000000", "1e9"])
def test_a_malformed_source_date_epoch_fails_the_build(tmp_path: Path, value: str) -> None:
    content = make_plain(tmp_path, reverse=False)
    command = [sys.executable, str(ROOT / "build.py"), "--content", str(content)]
    command += ["--output", str(tmp_path / "out")]
    done = subprocess.run(
        command, env=environment(SOURCE_DATE_EPOCH=value), capture_output=True, text=True
    )
    assert done.returncode == 1
    assert "SOURCE_DATE_EPOCH" in done.stderr
    assert not (tmp_path / "out").exists()


def test_an_empty_source_date_epoch_counts_as_unset(tmp_path: Path) -> None:
    content = make_plain(tmp_path, reverse=False)
    run_build(content, tmp_path / "a", tmp_path, environment(SOURCE_DATE_EPOCH=""))
    run_build(content, tmp_path / "b", tmp_path, environment())
    assert manifest(tmp_path / "a") == manifest(tmp_path / "b")


def test_the_content_folder_named_relative_or_absolute_gives_the_same_site(tmp_path: Path) -> None:
    """The default `--content content` is relative: the git history must be read all the same."""
    content = make_repo(tmp_path / "repo", reverse=False)
    env = environment(GIT_CEILING_DIRECTORIES=str(tmp_path))
    run_build(content, tmp_path / "relative", cwd=tmp_path, env=env)
    run_build(content, tmp_path / "absolute", cwd=content / "programmes", env=env)
    assert "SEQUENCE:1" in (tmp_path / "absolute" / EVENT).read_text("utf-8")
    assert manifest(tmp_path / "relative") == manifest(tmp_path / "absolute")
