"""Golden output: a few key files of the real site, byte for byte.

Any change to what the public or subscribers get shows up here as a reviewable diff.
After an intended change, regenerate and read the diff before committing:

    UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_golden.py
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import CONTENT, build_real_site

GOLDEN = Path(__file__).resolve().parent / "golden"
FILES = [
    "index.html",
    "programmid/kogukonna-koosloome-labor-2023/index.html",
    "programmid/kogukonna-koosloome-labor-2023/kalender.ics",
    "teemad/koosloome-ja-kaasamine/index.html",
]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real content outside git with one fixed file time, so that "last updated" and the
    feeds' DTSTAMP do not change with every commit of content/."""
    content = tmp_path_factory.mktemp("golden") / "content"
    shutil.copytree(CONTENT, content)
    fixed = dt.datetime(2023, 2, 1, 12, tzinfo=dt.UTC).timestamp()
    for path in content.rglob("*"):
        os.utime(path, (fixed, fixed))
    return build_real_site(content.parent / "out", "2023-03-01T12:00:00+02:00", content)


@pytest.mark.parametrize("name", FILES)
def test_key_files_match_the_golden_copies(site: Path, name: str) -> None:
    built = (site / name).read_bytes()
    golden = GOLDEN / name.replace("/", "__")
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_bytes(built)
    assert golden.is_file(), f"no golden copy of {name}: run with UPDATE_GOLDEN=1"
    assert built.decode() == golden.read_bytes().decode(), f"{name} changed"
