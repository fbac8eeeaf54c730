"""Deliberately invalid content sites, each with the exact report an editor would read.

Every folder in tests/invalid_sites/ holds a content/ folder with one realistic mistake,
expected.txt: the exact stderr of `build.py --content content` run inside that folder, and
expected.en.txt: the same with `--lang en`. The
build runs on a copy in tmp_path, so a regression that does build cannot write into tests/.

After a deliberate change of wording, regenerate the expected files with

    UPDATE_EXPECTED=1 .venv/bin/pytest tests/test_invalid_sites.py

and read every changed line: it is what an editor will see.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CASES = sorted(path for path in (REPO / "tests" / "invalid_sites").iterdir() if path.is_dir())
UPDATE = os.environ.get("UPDATE_EXPECTED") == "1"


def test_there_are_realistic_cases() -> None:
    assert len(CASES) >= 6
    for case in CASES:
        assert (case / "content" / "site.yaml").is_file(), case.name
        assert UPDATE or (case / "expected.txt").is_file(), case.name


@pytest.mark.parametrize("lang", ["et", "en"])
@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_invalid_site_is_reported_exactly_and_nothing_is_written(
    case: Path, lang: str, tmp_path: Path
) -> None:
    work = tmp_path / case.name
    shutil.copytree(case / "content", work / "content")

    result = subprocess.run(
        [sys.executable, str(REPO / "build.py"), "--content", "content", "--lang", lang],
        cwd=work,
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
    )

    expected = case / ("expected.txt" if lang == "et" else f"expected.{lang}.txt")
    if UPDATE:
        expected.write_text(result.stderr, encoding="utf-8")
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stderr == expected.read_text(encoding="utf-8")
    assert result.stdout == ""
    assert sorted(path.name for path in work.iterdir()) == ["content"]  # no output/, no staging
