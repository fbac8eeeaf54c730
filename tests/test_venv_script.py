"""scripts/venv.sh's choice of interpreter for a new .venv (pick_python)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.tools import REPO


def pick(*candidates: str | Path, python: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHON"}
    if python is not None:
        env["PYTHON"] = python
    script = 'source scripts/venv.sh && pick_python "$@"'
    return subprocess.run(
        ["bash", "-c", script, "pick", *map(str, candidates)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def fake(folder: Path, name: str, status: int) -> Path:
    """A stand-in interpreter whose probe answers `status` (0 linked in, 3 shared, 1 old)."""
    path = folder / name
    path.write_text(f"#!/bin/sh\nexit {status}\n")
    path.chmod(0o755)
    return path


def test_an_interpreter_linked_into_its_executable_wins_over_an_earlier_shared_one(
    tmp_path: Path,
) -> None:
    shared, old, linked = fake(tmp_path, "a", 3), fake(tmp_path, "b", 1), fake(tmp_path, "c", 0)
    assert pick(shared, old, linked).stdout.strip() == str(linked)


def test_without_one_the_first_usable_shared_one_is_taken(tmp_path: Path) -> None:
    old, first, second = fake(tmp_path, "a", 1), fake(tmp_path, "b", 3), fake(tmp_path, "c", 3)
    assert pick(old, tmp_path / "missing", first, second).stdout.strip() == str(first)


def test_nothing_usable_fails(tmp_path: Path) -> None:
    result = pick(fake(tmp_path, "a", 1), tmp_path / "missing")
    assert result.returncode != 0
    assert result.stdout == ""


def test_python_set_by_the_user_is_taken_as_it_is(tmp_path: Path) -> None:
    linked = fake(tmp_path, "c", 0)
    assert pick(linked, python=sys.executable).stdout.strip() == sys.executable


def test_the_probe_tells_this_interpreter_as_it_is_linked(tmp_path: Path) -> None:
    """The probe run by a real interpreter: it is chosen, and it answered by whether this
    very process (the same executable) has libpython*.so mapped."""
    shared = "/libpython" in Path("/proc/self/maps").read_text()
    standby = fake(tmp_path, "standby", 0)
    chosen = pick(sys.executable, standby).stdout.strip()
    assert chosen == (str(standby) if shared else sys.executable)
