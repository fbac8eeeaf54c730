"""How often each session has changed, from the git history of its programme file.

A calendar keeps an event by its UID and takes a copy with a higher SEQUENCE as newer. So a
session's SEQUENCE must go up exactly when what its event shows changes, and stay put
otherwise, on every machine that builds the site. The history that says so is already in git:
for each programme file, its versions on the first-parent line of the current branch (what was
published, one merge at a time), oldest first. In each version, every session gets a signature:
its YAML data as written (comments, quoting and key order aside) together with the programme
details its event shows (the programme title, the session's group label).

- SEQUENCE: how many versions changed the signature after the session first appeared;
- LAST-MODIFIED (and DTSTAMP): when the last such version was committed;
- CREATED: when the session first appeared.

An uncommitted edit (an editor previewing) counts as one more version, made at the file's
modification time; a file git does not know has only that version. Nothing here depends on the
build's clock, so unchanged content gives byte-identical feeds.

Why git rather than a committed state file: editors could forget to update such a file, and a
merge would conflict in it. The cost: a shallow clone sees only its newest commit, so builds
that publish must fetch the full history (CI: `fetch-depth: 0`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import subprocess
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from operator import attrgetter
from pathlib import Path
from typing import Any

from .history import blob_id, resolver
from .memo import Memo
from .model import Programme
from .uptodate import head_key
from .yamlsrc import Mapping, Node, Scalar, parse


@dataclass(frozen=True)
class Revision:
    sequence: int
    modified: dt.datetime
    created: dt.datetime


Revisions = dict[str, dict[str, Revision]]  # programme slug -> session id -> revision


def session_revisions(
    root: Path,
    programmes: Iterable[Programme],
    changed: dict[Path, dt.datetime],
    memo: Memo[Any] | None = None,
    blob_ids: dict[Path, str] | None = None,
) -> Revisions:
    """The revision of every session of `programmes`, by programme; `changed` gives each
    file's own time (history.last_changed), used for the uncommitted version. With a `memo`,
    git is asked again only when HEAD has moved, and a programme's revisions are worked out
    again (a new dict; otherwise the very same one) only when it or its file's time changed.
    `blob_ids`: the files' git blob ids from the bytes the loader read (Content.blob_ids); a
    file not in it is read again."""
    memo = Memo() if memo is None else memo
    blob_ids = {} if blob_ids is None else blob_ids
    programmes = list(programmes)
    sources = tuple(map(_SOURCE, programmes))  # (map: a preview's rebuild asks for thousands)
    committed = memo.get(
        ("committed", str(root)),
        (),
        (head_key(root), sources),
        # The preview (a memo that keeps results) reads every blob once, so that editing a
        # file committed once needs no git call then; a one-off build only what it compares.
        lambda: _committed_versions(root, list(sources), every_blob=memo.keep),
    )
    resolve = resolver()
    # A programme's revisions are the same while it, git's answers and its file's time are.
    times = tuple(map(changed.__getitem__, sources))
    made = memo.each(
        "programmes",
        (tuple(programmes), times),
        (committed,),  # in a tuple: compared by identity first
        lambda i: _programme_revisions(
            programmes[i], committed, resolve, changed, blob_ids.get(programmes[i].source)
        ),
    )
    return dict(zip(map(_SLUG, programmes), made, strict=True))


_SOURCE, _SLUG = attrgetter("source"), attrgetter("slug")


def _programme_revisions(
    programme: Programme,
    committed: _Committed,
    resolve: Callable[[str | Path], str],
    changed: dict[Path, dt.datetime],
    read: str | None,
) -> dict[str, Revision]:
    """`read`: the file's blob id as the loader read it (None: read it now)."""
    source = programme.source
    versions = committed.versions.get(resolve(source), [])
    current = None
    if read is None:
        current = source.read_bytes()
        read = blob_id(current)
    as_committed = bool(versions) and versions[-1][1] == read
    if len(versions) + (not as_committed) == 1:  # one version: nothing to compare
        when = (versions[0][0] if as_committed else changed[source]).astimezone(dt.UTC)
        first = Revision(0, when, when)
        return {s.id: first for s in programme.sessions}
    texts = [(when, committed.content(blob)) for when, blob in versions]
    if not as_committed:  # an uncommitted edit: one more version
        texts.append((changed[source], source.read_bytes() if current is None else current))
    return _replay(texts)


def _replay(versions: list[tuple[dt.datetime, bytes]]) -> dict[str, Revision]:
    """Walk a file's versions oldest first, counting each session's changes."""
    latest: dict[str, tuple[str, Revision]] = {}
    for when, data in versions:
        when = when.astimezone(dt.UTC)
        for session_id, signature in _signatures(data).items():
            if session_id not in latest:
                latest[session_id] = signature, Revision(0, when, when)
                continue
            seen, revision = latest[session_id]
            if signature != seen:
                bumped = Revision(revision.sequence + 1, when, revision.created)
                latest[session_id] = signature, bumped
    return {session_id: revision for session_id, (_, revision) in latest.items()}


@lru_cache(maxsize=1024)  # the preview: a committed version, again at each edit of its file
def _signatures(data: bytes) -> dict[str, str]:
    """Session id -> signature of what its event shows, for one version of a programme file.
    A version that cannot be read (it may predate the current format) contributes nothing.
    (The dict is shared by every caller given the same bytes: read it, do not change it.)"""
    try:
        node = parse(data.decode("utf-8"), "", [])
    except UnicodeDecodeError:
        return {}
    document = _plain(node) if node is not None else None
    sessions = document.get("sessions") if isinstance(document, dict) else None
    if not isinstance(document, dict) or not isinstance(sessions, list):
        return {}
    groups = document.get("groups")
    labels = groups if isinstance(groups, dict) else {}
    signatures = {}
    for session in sessions:
        if not isinstance(session, dict):
            continue
        session_id, group = session.get("id"), session.get("group")
        if isinstance(session_id, str):
            label = labels.get(group) if isinstance(group, str) else None
            shown = [session, document.get("title"), label]
            text = json.dumps(shown, sort_keys=True, ensure_ascii=False)
            signatures[session_id] = hashlib.sha256(text.encode()).hexdigest()
    return signatures


Plain = str | None | list["Plain"] | dict[str, "Plain"]


def _plain(node: Node) -> Plain:
    if isinstance(node, Scalar):
        return None if node.is_null else node.text
    if isinstance(node, Mapping):
        return {key: _plain(value) for key, (_, value) in node.entries.items()}
    return [_plain(item) for item in node.items]


@dataclass(eq=False)  # compared by identity: git's answers since HEAD last moved
class _Committed:
    """Each file's committed versions on the first-parent line, oldest first, as (commit
    time, blob id), and the blobs' contents: read up front for the files with more than one
    version (or for all, `every_blob`), since a file committed once and unchanged since (most
    of a big site) needs none, and reading a thousand blobs took 50 ms."""

    root: Path
    versions: dict[str, list[tuple[dt.datetime, str]]]
    contents: dict[str, bytes]

    def content(self, blob: str) -> bytes:
        if blob not in self.contents:  # a file committed once, edited since
            self.contents |= _read_blobs(self.root, [blob])
        return self.contents.get(blob, b"")


_DELETED = "0" * 40  # a deletion leaves an empty version: its sessions are not in it


def _committed_versions(root: Path, files: list[Path], every_blob: bool = False) -> _Committed:
    """Two git calls in all, whatever the number of files and commits."""
    resolve = resolver()
    wanted = {resolve(path) for path in files}  # by name: Path keys compare slowly
    # absolute: git runs in `root`, where a relative --content would not name these folders
    folders = sorted({resolve(path.parent) for path in files})
    nothing = _Committed(root, {}, {})
    if not folders:
        return nothing
    try:
        top = _git(root, "rev-parse", "--show-toplevel").decode().strip()
        log = _git(
            root,
            *("log", "--first-parent", "--reverse", "--format=%x00%cI", "--raw"),
            *("--no-abbrev", "--no-renames", "-z", "--", *folders),
        )
    except (OSError, subprocess.CalledProcessError):
        return nothing
    versions: dict[str, list[tuple[dt.datetime, str]]] = {}
    when = None
    fields = iter(log.decode().split("\0"))
    for field in fields:
        field = field.strip("\n")
        if not field:
            continue
        if field.startswith(":"):  # ":100644 100644 <old> <new> M", then the path
            name = os.path.join(top, next(fields))  # noqa: PTH118 - strings, as resolved
            blob, path = field.split()[3], resolve(name)
            if when is not None and path in wanted:
                versions.setdefault(path, []).append((when, blob))
        else:
            when = dt.datetime.fromisoformat(field)
    wanted_blobs = {
        blob for found in versions.values() if every_blob or len(found) > 1 for _, blob in found
    }
    contents = {_DELETED: b""} | _read_blobs(root, sorted(wanted_blobs - {_DELETED}))
    return _Committed(root, versions, contents)


def _read_blobs(root: Path, blobs: list[str]) -> dict[str, bytes]:
    """The contents of many blobs from one `git cat-file --batch`."""
    if not blobs:
        return {}
    output = _git(root, "cat-file", "--batch", stdin="\n".join(blobs) + "\n")
    contents, offset = {}, 0
    for blob in blobs:
        header_end = output.index(b"\n", offset)
        size = int(output[offset:header_end].split()[2])
        contents[blob] = output[header_end + 1 : header_end + 1 + size]
        offset = header_end + 1 + size + 1  # the content is followed by a newline
    return contents


def _git(cwd: Path, *args: str, stdin: str | None = None) -> bytes:
    return subprocess.run(
        ["git", *args],
        cwd=cwd,
        input=stdin.encode() if stdin is not None else None,
        capture_output=True,
        check=True,
    ).stdout
