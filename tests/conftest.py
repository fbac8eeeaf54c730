"""Shared fixtures: builds of the real content, parsed pages."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from bs4 import BeautifulSoup, Tag

from koosloome_site import background
from koosloome_site.pipeline import build

if TYPE_CHECKING:
    from koosloome_site.serve import Preview

ROOT = Path(__file__).resolve().parent.parent
CONTENT = ROOT / "content"


@pytest.fixture(autouse=True)
def _no_source_date_epoch(monkeypatch: pytest.MonkeyPatch) -> None:
    """A SOURCE_DATE_EPOCH in the environment (some CI systems set one) would clamp file times
    and fix "now" in every in-process build; tests that want it set it themselves."""
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)


def build_real_site(output: Path, now: str, content: Path = CONTENT) -> Path:
    build(content, output, now=dt.datetime.fromisoformat(now))
    return output


def git(repo: Path, *args: str, when: str) -> None:
    """Run git in `repo` with a fixed author and commit time, as if committed at `when`."""
    env = {
        **os.environ,
        "GIT_AUTHOR_DATE": when,
        "GIT_COMMITTER_DATE": when,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.ee",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.ee",
    }
    subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)


def manifest(folder: Path) -> dict[str, str]:
    """Every file of a built site by its path, as its SHA-256: equal manifests, equal sites."""
    return {
        path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def build_py(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """`python build.py ARGS` as an editor runs it, in `cwd`."""
    return subprocess.run(
        [sys.executable, str(ROOT / "build.py"), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
    )


def read_page(site: Path, path: str) -> BeautifulSoup:
    file = site / (path + "index.html" if path == "" or path.endswith("/") else path)
    return BeautifulSoup(file.read_text(encoding="utf-8"), "html.parser")


def text(node: Tag | BeautifulSoup | None) -> str:
    """Visible text with whitespace collapsed, as a reader sees it."""
    assert node is not None, "element not on the page"
    return re.sub(r"\s+", " ", node.get_text(" ")).strip()


@pytest.fixture
def forks(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Whether each background.start of the test made a child process, in order."""
    forked: list[bool] = []
    real_start = background.start

    def spy(work: Callable[[], object], worth_it: bool) -> Callable[[], object]:
        result = real_start(work, worth_it)
        forked.append(result is not work)
        return result

    monkeypatch.setattr(background, "start", spy)
    return forked


@pytest.fixture(scope="session")
def site_2023(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real content built as on 1 March 2023: the 2023 programme is upcoming."""
    return build_real_site(tmp_path_factory.mktemp("site") / "out", "2023-03-01T12:00:00+02:00")


@pytest.fixture(scope="session")
def page_2023(site_2023: Path) -> Callable[[str], BeautifulSoup]:
    return lambda path: read_page(site_2023, path)


@pytest.fixture
def preview(tmp_path: Path) -> Iterator[Preview]:
    """The live preview of a copy of the real content, on a free port."""
    from koosloome_site.serve import Preview  # watchdog: only for the tests that need it

    content = tmp_path / "content"
    shutil.copytree(CONTENT, content)
    running = Preview(content, port=0)
    running.start()
    yield running
    running.stop()
