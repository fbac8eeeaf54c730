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
import hashlib
import os
import re
from collections.abc import Callable, Mapping
from itertools import repeat
from operator import is_not
from pathlib import Path
from typing import Any, cast
from zoneinfo import ZoneInfo

from .errors import BuildError
from .memo import Memo
from .model import Signature, signature
from .uptodate import head_key


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


def last_changed(
    root: Path,
    files: list[Path],
    zone: ZoneInfo,
    memo: Memo[Any] | None = None,
    signatures: Mapping[Path, Signature] | None = None,
    blob_ids: Mapping[Path, str] | None = None,
) -> dict[Path, dt.datetime]:
    """When each of `files` last changed, in `zone`, to the second. Git is asked once per
    commit: with a `memo` its answers are kept until HEAD moves (`head_key`), and a file counts
    as changed when its bytes differ from HEAD's blob, as `git status` would say.
    `signatures`: the files' sizes and times as the loader read them (Content.signatures);
    a file not in it is asked about. `blob_ids`: the files' git blob ids from the bytes the
    loader read (Content.blob_ids); a file not in it is read again."""
    memo = Memo() if memo is None else memo
    epoch = source_date_epoch()
    committed, blobs = git_answers(root, memo)
    resolve = resolver()
    signatures = {} if signatures is None else signatures
    blob_ids = {} if blob_ids is None else blob_ids

    def signature_of(path: Path) -> Signature:
        found = signatures.get(path)
        return signature(path.stat()) if found is None else found

    paths = tuple(files)
    # the loader's very tuple for a file not read (in C: a preview's rebuild asks for
    # thousands; the loader has them all, unless called without it)
    given = tuple(map(signatures.get, paths))
    found = cast(tuple[Signature, ...], given)  # (unless a None is in it)
    if not all(map(is_not, given, repeat(None))):
        found = tuple(map(signature_of, paths))
    # A file's date is the same while git's answers (the same objects until HEAD moves) and
    # the file's size and times are.
    made = memo.each(
        "changed",
        (paths, found),
        (committed, epoch, zone),
        lambda i: _changed(
            paths[i], resolve, committed, blobs, blob_ids.get(paths[i]), found[i][1], epoch, zone
        ),
    )
    return dict(zip(paths, made, strict=True))


def git_answers(root: Path, memo: Memo[Any]) -> tuple[dict[str, dt.datetime], dict[str, str]]:
    """Git's answers about the files under `root` (_git_history), kept until HEAD moves."""
    answers: tuple[dict[str, dt.datetime], dict[str, str]] = memo.get(
        ("history", str(root)), (), head_key(root), lambda: _git_history(root)
    )
    return answers


def _changed(
    path: Path,
    resolve: Callable[[str | Path], str],
    committed: dict[str, dt.datetime],
    blobs: dict[str, str],
    read: str | None,
    mtime_ns: int,
    epoch: int | None,
    zone: ZoneInfo,
) -> dt.datetime:
    """The file's last commit time when it is as committed (its blob id as `read`, or as read
    now), else its modification time."""
    # By name: dictionary keys that are other Path objects cost a slow Path.__eq__ each.
    key = resolve(path)
    if key in committed and blobs.get(key) == (read or _read_blob_id(key)):
        return committed[key].astimezone(zone)
    seconds = mtime_ns // 1_000_000_000
    if epoch is not None:
        seconds = min(seconds, epoch)
    return dt.datetime.fromtimestamp(seconds, zone)


def resolver() -> Callable[[str | Path], str]:
    """The real path of a file, as `os.path.realpath` gives it, asking the file system about
    each folder once: realpath checks every part of every path, and the history of a
    thousand files in a few folders took tens of thousands of lstat calls, a twentieth of a
    cold build. A file that is itself a symbolic link is still followed. Strings, not Path
    objects (making those was most of what is left), and each path is resolved once."""
    folders: dict[str, str] = {}
    found: dict[str, str] = {}

    def resolve(path: str | Path) -> str:
        given = os.fspath(path)
        real = found.get(given)
        if real is not None:
            return real
        folder, name = os.path.split(given)
        if name in ("", ".", "..") or os.path.islink(given):  # noqa: PTH114
            real = os.path.realpath(given)
        else:
            above = folders.get(folder)
            if above is None:
                above = folders[folder] = os.path.realpath(folder)
            real = os.path.join(above, name)  # noqa: PTH118
        found[given] = real
        return real

    return resolve


def _read_blob_id(path: str) -> str:
    with open(path, "rb") as file:  # noqa: PTH123 - a string path, as resolved
        return blob_id(file.read())


def blob_id(data: bytes) -> str:
    """The id git gives a file with these bytes."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


def _git_history(root: Path) -> tuple[dict[str, dt.datetime], dict[str, str]]:
    """Newest commit time per file under `root`, and each file's blob id at HEAD, by the
    file's resolved path."""
    import subprocess  # here: not needed before the content's loading child starts (3 ms)

    try:
        top = _git(root, "rev-parse", "--show-toplevel").strip()
        log = _git(root, "log", "--format=%x00%cI", "--name-only", "--no-renames", "--", ".")
        tree = _git(root, "ls-tree", "-r", "-z", "--full-name", "HEAD", "--", ".")
    except (OSError, subprocess.CalledProcessError):
        return {}, {}
    committed: dict[str, dt.datetime] = {}  # by resolved path
    seen: set[str] = set()
    resolve = resolver()
    when = None
    for line in log.splitlines():
        if line.startswith("\0"):
            when = dt.datetime.fromisoformat(line[1:])
        elif line and when is not None and line not in seen:  # newest first
            seen.add(line)
            committed[resolve(os.path.join(top, line))] = when  # noqa: PTH118
    blobs = {}
    for entry in tree.split("\0"):
        info, _, name = entry.partition("\t")
        if name:  # "<mode> blob <id>\t<path>"
            blobs[resolve(os.path.join(top, name))] = info.split()[2]  # noqa: PTH118
    return committed, blobs


def _git(cwd: Path, *args: str) -> str:
    """Git's output, with paths unquoted and decoded as Python decodes file names, so that
    folders with letters like õ match whatever the locale."""
    import subprocess

    command = ["git", "-c", "core.quotePath=false", *args]
    return os.fsdecode(subprocess.run(command, cwd=cwd, capture_output=True, check=True).stdout)
