"""When each content file last changed: from git history, falling back to the file itself.

Git commit dates are the same on every clone, so pages built from committed content are
byte-identical wherever they are built. A file with uncommitted changes (an editor previewing
their work) or outside any repository uses its modification time instead.

SOURCE_DATE_EPOCH (https://reproducible-builds.org/specs/source-date-epoch/): when it is set,
modification times later than it are clamped to it, and it is the build's "now" when none is
given (`build_time`). Then files copied, checked out or touched at different times build the
same site. Commit dates are never clamped: they are part of the source.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
from pathlib import Path
from zoneinfo import ZoneInfo

from .errors import BuildError


def source_date_epoch() -> int | None:
    """SOURCE_DATE_EPOCH in seconds, or None when unset (or empty, as Python itself reads it).
    A value that is not a plain decimal integer (as `date +%s` prints it) is an error."""
    value = os.environ.get("SOURCE_DATE_EPOCH", "")
    if not value:
        return None
    if not re.fullmatch(r"[0-9]+", value):
        raise BuildError(
            f"SOURCE_DATE_EPOCH={value!r} ei ole sekundite arv alates 1970-01-01 00:00 UTC "
            "(nagu `date +%s`)"
        )
    return int(value)


def build_time() -> dt.datetime | None:
    """The build's moment from SOURCE_DATE_EPOCH (UTC), or None when it is not set."""
    epoch = source_date_epoch()
    if epoch is None:
        return None
    try:
        return dt.datetime.fromtimestamp(epoch, dt.UTC)
    except (OverflowError, OSError, ValueError):
        raise BuildError(f"SOURCE_DATE_EPOCH={epoch} on liiga suur") from None


def last_changed(root: Path, files: list[Path], zone: ZoneInfo) -> dict[Path, dt.datetime]:
    """When each of `files` last changed, in `zone`, to the second; one git call in all."""
    epoch = source_date_epoch()
    committed, dirty = _git_history(root)
    changed = {}
    for path in files:
        resolved = path.resolve()
        if resolved in committed and resolved not in dirty:
            changed[path] = committed[resolved].astimezone(zone)
        else:
            seconds = int(path.stat().st_mtime)
            if epoch is not None:
                seconds = min(seconds, epoch)
            changed[path] = dt.datetime.fromtimestamp(seconds, zone)
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
    """Git's output, with paths unquoted and decoded as Python decodes file names, so that
    folders with letters like õ match whatever the locale."""
    command = ["git", "-c", "core.quotePath=false", *args]
    return os.fsdecode(subprocess.run(command, cwd=cwd, capture_output=True, check=True).stdout)
