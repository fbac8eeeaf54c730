"""When each content file last changed: from git history, falling back to the file itself.

Git commit dates are the same on every clone, so pages built from committed content are
byte-identical wherever they are built. A file with uncommitted changes (an editor previewing
their work) or outside any repository uses its modification time instead.
"""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path
from zoneinfo import ZoneInfo


def last_changed(root: Path, files: list[Path], zone: ZoneInfo) -> dict[Path, dt.datetime]:
    """When each of `files` last changed, in `zone`, to the second; one git call in all."""
    committed, dirty = _git_history(root)
    changed = {}
    for path in files:
        resolved = path.resolve()
        if resolved in committed and resolved not in dirty:
            changed[path] = committed[resolved].astimezone(zone)
        else:
            mtime = dt.datetime.fromtimestamp(int(path.stat().st_mtime), zone)
            changed[path] = mtime
    return changed


def _git_history(root: Path) -> tuple[dict[Path, dt.datetime], set[Path]]:
    """Newest commit time per file under `root`, and the files with uncommitted changes."""
    try:
        top = _git(root, "rev-parse", "--show-toplevel").strip()
        log = _git(root, "log", "--format=%x00%cI", "--name-only", "--no-renames", "--", ".")
        status = _git(root, "status", "--porcelain", "-z", "--untracked-files=all", "--", ".")
    except (OSError, subprocess.CalledProcessError):
        return {}, set()
    base = Path(top)
    committed: dict[Path, dt.datetime] = {}
    when = None
    for line in log.splitlines():
        if line.startswith("\0"):
            when = dt.datetime.fromisoformat(line[1:])
        elif line and when is not None:
            committed.setdefault((base / line).resolve(), when)  # newest first
    dirty = {(base / entry[3:]).resolve() for entry in status.split("\0") if len(entry) > 3}
    return committed, dirty


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=True
    ).stdout
