"""Write the site as a whole, atomically, touching only the files that changed.

Beside the output folder lives its state folder, `.<name>.koosloome/`: a spare copy of the
site one build behind (`spare/`) and what both trees hold (`state` and `tree-*`: every
file's digest, size and modification time). A build brings the spare tree up to date,
writing only files whose bytes changed and deleting those no longer made, and then exchanges
it with the output folder in one atomic step: on Linux with `renameat2(RENAME_EXCHANGE)`
(kernel 3.15+, glibc 2.28+; local file systems such as ext4, xfs, btrfs and tmpfs). The old
output becomes the spare for the next build. So a rebuild after a one-file edit writes a
handful of files, a build that changes nothing writes none, and whoever reads the output
folder (a web server, rsync, a preview) sees the whole old site or the whole new one: a
build killed at any moment (even with `kill -9`) leaves the previous output folder or the
complete new one, never a mix. (Files are not fsynced: this is about killed builds, not
power cuts.)

The state is trusted only as far as it can be checked: the trees are recognised by device and
inode, a build marks the spare as unknown (`writing-<pid>`) before it changes anything in it,
and files in the spare whose size or time differ from the record, or that are not in it (put
there by hand), are replaced or deleted. When in doubt the spare is deleted and written whole.
Deleting the state folder is always safe: the next build writes a whole new tree.

A spare that is missing or lags behind costs the next build those writes; so the preview,
whose first build leaves no spare at all, copies the site into it while it waits for a save
(`fill_spare`).

Where the exchange is not available (macOS, Windows, other kernels, file systems that answer
EINVAL such as some network or FUSE mounts) the output folder is renamed away and the new tree
renamed into its place; a build killed between those two renames leaves no output folder until
the next build.

Scratch folders left by builds of earlier versions (`.<name>.new-*`, `.<name>.old-*`) are
deleted. Builds into the same folder take turns: each holds an exclusive `flock` on the state
folder while it writes.

The site's paths are also checked before the output folder changes: two files may not land
on the same path, including paths that differ only in letter case or Unicode normalisation
(one file on macOS and Windows file systems), and no file may sit where another needs a
folder. A path that would leave the output folder is refused before anything is written. (A
site with the very paths of the last build, checked then, is not checked again.)
"""

from __future__ import annotations

import ctypes
import errno
import functools
import marshal
import operator
import os
import re
import shutil
import sys
import time
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from xxhash import xxh3_128, xxh3_128_digest

from .errors import BuildError, ContentError
from .uptodate import forget, state_folder

if sys.platform != "win32":
    import fcntl
if TYPE_CHECKING:
    from concurrent.futures import Future, ThreadPoolExecutor

# This process's id, kept up to date in forked children: Writer.add asks for every part of
# the site whether it runs in a child, and os.getpid() is a system call.
_pid = os.getpid()


def _forked() -> None:
    global _pid
    _pid = os.getpid()


if sys.platform != "win32":
    os.register_at_fork(after_in_child=_forked)

_AT_FDCWD = -100  # Linux: paths are taken as they are (ours are absolute)
_RENAME_EXCHANGE = 2  # linux/fs.h


class Joined:
    """A file's bytes in parts, hashed and written part by part, never copied into one: the
    site's calendar feed (8.6 MB at 1,000 programmes) is mostly the last build's months, and
    joining it again took 3 ms of the preview's rebuild."""

    __slots__ = ("parts", "size")

    def __init__(self, parts: Iterable[bytes]) -> None:
        self.parts = tuple(parts)
        self.size = sum(map(len, self.parts))

    def __len__(self) -> int:
        return self.size

    def __bytes__(self) -> bytes:
        return b"".join(self.parts)


Data = bytes | Joined  # a file's bytes, as the writer takes them


def check_output_folder(output: Path, protected: list[Path]) -> None:
    """Refuse an output folder whose replacement would delete content or the project."""
    target = output.resolve()
    for folder in protected:
        folder = folder.resolve()
        if target == folder or folder.is_relative_to(target):
            raise BuildError(f"väljundkaust {output} sisaldab kausta {folder}; vali teine kaust")
    if output.exists() and not output.is_dir():
        raise BuildError(f"väljund {output} on fail, mitte kaust")


def merge_outputs(groups: Mapping[str, Mapping[str, bytes]]) -> dict[str, bytes]:
    """All files of the named groups (name -> {path: bytes}) as one site, checked as
    Writer.add checks them."""
    claims = _Claims()
    merged: dict[str, bytes] = {}
    for group, files in groups.items():
        for name in files:
            claims.claim(name, group)
            merged[name] = files[name]
    return merged


class _Claims:
    """The paths of a site so far. Fails closed: a path given twice, paths that one file
    system or another would take for the same file (letter case, Unicode normalisation) and a
    file where another file needs a folder are a BuildError naming both files and their
    groups, instead of one silently replacing the other."""

    def __init__(self) -> None:
        self.owner: dict[str, tuple[str, str]] = {}  # file key -> (group, path)
        self.folders: dict[str, tuple[str, str]] = {}  # folder key -> first (group, path) in it

    def claim(self, name: str, group: str) -> None:
        key, parents = _keys(name)
        here = (group, name)
        if key in self.owner:
            raise _collision(self.owner[key], here)
        if key in self.folders:
            raise _collision(self.folders[key], here, folder=True)
        for folder in parents:
            if folder in self.owner:
                raise _collision(self.owner[folder], here, folder=True)
            if folder in self.folders:
                break  # and so are the folders above it, checked then
            self.folders[folder] = here
        self.owner[key] = here


def _plainly_apart(added: Iterable[tuple[Iterable[str], str]]) -> bool:
    """Whether the paths surely do not clash: each plain, lower-case ASCII (its own key in
    `_Claims`), given once, and none where another needs a folder. A site's own paths are,
    and this takes a fifth of `_Claims`' time (30 ms at the end of a big build); anything
    else is left to `_Claims`, which names the files that clash. The checks of each path's
    characters go over all of them joined (NUL, which no path holds, between two paths):
    one pass in C instead of three method calls a path, at the end of a big build, when
    one core works alone."""
    given = [name for files, _ in added for name in files]
    joined = "/\0/".join(given)
    if not (joined.isascii() and joined == joined.lower() and _is_plain(joined)):
        return False
    names = set(given)
    folders: set[str] = set()
    for folder in {name.rpartition("/")[0] for name in names}:
        while folder and folder not in folders:
            folders.add(folder)
            folder = folder.rpartition("/")[0]
    return len(given) == len(names) and names.isdisjoint(folders)


def _is_plain(name: str) -> bool:
    """A relative path with no empty, `.` or `..` part: one `_keys` takes as it is."""
    parts = f"/{name}/"
    return "//" not in parts and "/./" not in parts and "/../" not in parts


@functools.lru_cache(maxsize=1 << 16)  # a site's paths, build after build in the preview
def _keys(name: str) -> tuple[str, tuple[str, ...]]:
    """The file's collision key and those of the folders it is in, nearest first."""
    parts = name.split("/")
    if name.startswith("/") or any(part in ("", ".", "..") for part in parts):
        parts = list(_safe(name).parts)  # refused, or written the plain way
        name = "/".join(parts)
    folders = ("/".join(parts[:end]) for end in range(len(parts) - 1, 0, -1))
    # Thousands of files share a few folders: one string each.
    return _fold(name), tuple(_fold(_FOLDERS.setdefault(f, f)) for f in folders)


_FOLDERS: dict[str, str] = {}


FileRecord = tuple[bytes, int, int]  # digest, size, st_mtime_ns
Manifest = dict[str, FileRecord]


@dataclass
class _Tree:
    """A folder of ours as we last left it: its identity and every file in it."""

    device: int
    inode: int
    files: Manifest

    def is_at(self, path: Path) -> bool:
        try:
            found = path.lstat()
        except FileNotFoundError:
            return False
        return (found.st_dev, found.st_ino) == (self.device, self.inode)


@dataclass
class _State:
    live: _Tree | None = None  # the output folder
    spare: _Tree | None = None  # the state folder's spare/, one build behind


def write_site(
    files: Mapping[str, Data], output: Path, trusted: bool = False, kept: Kept | None = None
) -> int:
    """Make `output` hold exactly `files` ({relative posix path: bytes}), all or nothing.
    Returns how many files were written (see Writer)."""
    with Writer(output, trusted, kept) as writer:
        writer.add(files)
        return writer.commit()


def fill_spare(output: Path, kept: Kept, stop: Callable[[], bool]) -> bool:
    """The preview's, between builds: copy into the spare tree what it lacks of the output
    folder, until `stop()` is true (a file was saved); False if it stopped before the end.
    A build writes into the spare only what differs from it, so the first save after
    the preview starts, whose spare is empty, writes the few files it changes instead of all
    of them (13,000 at 1,000 programmes: seconds)."""
    with Writer(output, trusted=True, kept=kept) as writer:
        return writer.fill(stop)


# Files that the output folder already holds wait in memory up to this many bytes; beyond it
# they are written into the spare at once (the first build after a clean one, whose spare is
# empty, would otherwise hold the whole site).
HOLD_AT_MOST = 16 * 1024 * 1024
# In the preview, a new file this big (the site's and the topics' calendar feeds, megabytes
# each on a big site) is hashed, and written if it changed, on another thread while the
# build goes on: hashing and writing let go of the interpreter lock, so the second core does
# them. Only there: until then the file stays in memory, where the preview's memo keeps it
# anyway; a one-off build would hold all of them at once (140 MB more at 5,000 programmes).
HASH_ASIDE_FROM = 512 * 1024
HELPER_SWITCH_INTERVAL = 0.0005  # seconds, while the helper thread works (see _hash_aside)

_Unit = tuple[Mapping[str, Data], dict[str, bytes]]  # files given to `add`, their digests
_Batch = tuple[tuple[Mapping[str, Data], ...], dict[str, Data]]  # parts, merged
# The preview's writer adds parts this many at a time, merged (see Writer._flush).
BATCH = 32


@dataclass
class Kept:
    """What a writer keeps for the next build into the same output folder (the preview's).
    Each mapping of files it was given, as the output folder holds it, with the files'
    digests: given the very same mapping object again (a memo's result), the writer takes
    it whole instead of file by file. Such a mapping must not change in between (memoised
    results never do)."""

    digests: dict[str, tuple[Data, bytes]] = field(default_factory=dict)  # path: bytes, digest
    units: dict[int, _Unit] = field(default_factory=dict)  # by id(): the output folder's
    spare_units: dict[int, _Unit] = field(default_factory=dict)  # those the spare holds
    paths: Mapping[str, bytes] = field(default_factory=dict)  # the site's, checked for clashes
    # Parts added as one (Writer._flush): by group and place in it, the parts and the mapping.
    batches: dict[tuple[str, int], _Batch] = field(default_factory=dict)
    state: _State | None = None  # the state these were true of
    # The output folder is this process's own (the preview's temporary folder): the trees'
    # records (13,000 files' on a big site, 3 ms to write) stay in memory (_save_state).
    private: bool = False


class Writer:
    """Writes a site into the spare tree part by part, as the build makes the parts, so that
    no build holds all of its files at once; `commit` then puts the tree in the output
    folder's place. A file the spare already holds as it is is not written again; one that
    the output folder holds as it is waits in memory, because if the whole site turns out to
    be what the output folder holds, nothing is written at all. Leaving the `with` block
    without `commit` (an error) leaves the output folder as it was.

    `trusted`: nobody else changes files in the output folder (the preview's own folder), so
    the spare is not checked against its record. `kept` is what the writer keeps for the
    next build into the same folder (see Kept).

    A forked child can add files too (they go straight into the spare); it hands what it
    did back with `handover`, and the parent takes it with `adopt`."""

    def __init__(self, output: Path, trusted: bool = False, kept: Kept | None = None) -> None:
        self.output = output.absolute()
        self.folder = state_folder(self.output)
        self.spare_path = self.folder / "spare"
        self.trusted = trusted
        self._digests: dict[str, bytes] = {}  # every file of the site so far
        self.written = 0
        self._kept = kept
        self._next_digests: dict[str, tuple[Data, bytes]] = {}
        self._added: list[tuple[Iterable[str], str]] = []  # paths and group, as added
        self._units: dict[int, _Unit] = {}  # the output folder holds them (from `kept`)
        self._spare_units: dict[int, _Unit] = {}  # so does the spare
        self._next_units: dict[int, _Unit] = {}  # this site's
        self._units_in_spare: dict[int, _Unit] = {}  # this site's that the spare holds now
        self._spare: Manifest = {}  # what the spare holds
        self._records: Manifest = {}  # what this process wrote into it
        self._held: dict[str, Data] = {}  # as the output folder has them; not in the spare
        self._held_bytes = 0
        self._differs = False  # from what the output folder holds
        # A path added that the last commit's site (Kept.paths) did not have, or may not have
        # had: until then, this site's paths are the same as that one's if they are as many.
        self._new_path = False
        self._live: _Tree | None = None
        self._lock: int | None = None
        self._done = False  # committed: the state is saved
        self._pid = os.getpid()
        # In a forked child: its first entry in _added not handed over yet (None: none added).
        self._child_began: int | None = None
        self._written_before = 0  # in a forked child: `written` when it began or last handed over
        self._marked = False  # a forked child has written into the spare
        self._aside: list[tuple[str, Data, dict[str, bytes], int, Future[_Hashed]]] = []
        self._helper: ThreadPoolExecutor | None = None
        self._switch_interval = 0.0  # the interpreter's, while the helper works
        self._batch: list[Mapping[str, Data]] = []  # parts waiting to be added as one
        self._batch_group = ""
        self._batch_pid = 0  # the process that gave them
        self._next_batches: dict[tuple[str, int], _Batch] = {}
        self._batches_in: dict[str, int] = {}  # batches made so far, by group

    def __enter__(self) -> Writer:
        self.folder.mkdir(parents=True, exist_ok=True)
        lock = _locked(self.folder, wait=True)
        if lock is None:
            raise BuildError(f"olekukaust {self.folder} kadus ehitamise ajal; proovi uuesti")
        try:
            _remove_leftovers(self.output)
            interrupted = False  # a build was killed while changing the spare
            for entry in self.folder.iterdir():  # what killed builds left: marks, states
                if entry.name.startswith(("writing-", f"{_STATE}.")):
                    interrupted = interrupted or entry.name.startswith("writing-")
                    entry.unlink()
            state = _read_state(self.folder)
            if state.live and state.live.is_at(self.output):
                self._live = state.live
            spare = state.spare if state.spare and state.spare.is_at(self.spare_path) else None
            if spare is None or interrupted:
                _remove(self.spare_path)
                self.spare_path.mkdir()
            elif self.trusted:
                self._spare = dict(spare.files)
            else:
                self._spare = _checked(self.spare_path, spare.files)
            kept = self._kept
            if kept is not None:
                if kept.state is state and self._live is not None:
                    self._units = kept.units
                    if spare is not None and self.trusted and not interrupted:
                        self._spare_units = kept.spare_units
                else:  # another build's state, or none: what was kept says nothing of it
                    kept.units, kept.spare_units, kept.paths = {}, {}, {}
            # The spare is about to change: until the new state is saved, this mark says
            # that its record is not to be trusted.
            (self.folder / f"writing-{self._pid}").touch()
        except BaseException:
            _unlock(lock)
            raise
        self._lock = lock
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        if self._lock is None or os.getpid() != self._pid:
            return
        try:
            self._settle()  # what the other thread wrote goes into the spare's record
            if not self._done and (kind is None or issubclass(kind, BuildError | ContentError)):
                # Stopped by a check, between files: the spare's record is still exact.
                self._save(self._live, self._spare_tree())
                if self._kept is not None:  # the output folder is as it was; the spare is not
                    self._kept.spare_units = {}
        finally:
            _unlock(self._lock)
            self._lock = None

    @property
    def digests(self) -> dict[str, bytes]:
        """Every file of the site so far: {path: digest}."""
        self._flush()
        return self._digests

    def add(self, files: Mapping[str, Data], group: str = "") -> None:
        """Part of the site ({relative posix path: bytes}); `group` names it in errors.
        The preview's writer takes parts BATCH at a time (see _flush): a part it was given
        may reach the spare only at the next `add` of another group, `read`, `digests`,
        `handover` or `commit`."""
        if self._kept is None:  # a one-off build: file by file
            self._add(files, group)
            return
        if self._batch and (group != self._batch_group or _pid != self._batch_pid):
            self._flush()
        self._batch.append(files)
        self._batch_group, self._batch_pid = group, _pid
        if len(self._batch) == BATCH:
            self._flush()

    def add_each(self, parts: Iterable[Mapping[str, Data]], group: str = "") -> None:
        """`add` of each of `parts` in turn (a programme's files each, say), for a thousand
        parts at a fraction of the cost of a call each. A one-off build takes them one at a
        time from the iterable (it keeps none)."""
        if self._kept is None:
            for files in parts:
                self._add(files, group)
            return
        if self._batch and (group != self._batch_group or _pid != self._batch_pid):
            self._flush()
        self._batch_group, self._batch_pid = group, _pid
        parts = list(parts)
        start = 0
        while start < len(parts):  # BATCH at a time, as `add` would
            room = BATCH - len(self._batch)
            self._batch += parts[start : start + room]
            start += room
            if len(self._batch) == BATCH:
                self._flush()

    def _flush(self) -> None:
        """Add the waiting parts as one mapping. A part the writer was given last time is
        taken whole, but even so costs it a few dictionary operations; with a thousand
        programmes' calendar files, timelines and pages that was 6 ms of an 80 ms rebuild.
        The same parts again make the very same merged mapping, which is taken whole."""
        batch, self._batch = self._batch, []
        if not batch or self._batch_pid != _pid:  # a forked child's copy of the parent's
            return
        assert self._kept is not None
        group = self._batch_group
        key = (group, self._batches_in.get(group, 0))
        self._batches_in[group] = key[1] + 1
        last = self._kept.batches.get(key)
        if (
            last is not None
            and len(last[0]) == len(batch)
            and all(map(operator.is_, last[0], batch))
        ):
            merged = last[1]
        else:
            merged = {}
            for part in batch:
                merged.update(part)
            if len(merged) != sum(map(len, batch)):  # one path twice: one by one, so that
                for part in batch:  # the error names both
                    self._add(part, group)
                return
            unit = self._units.get(id(last[1])) if last is not None else None
            if last is not None and unit is not None and unit[0] is last[1]:
                known = self._kept.digests  # the digests of the files still here
                for name, digest in unit[1].items():
                    known.setdefault(name, (last[1][name], digest))
        self._next_batches[key] = (tuple(batch), merged)
        self._add(merged, group)

    def _add(self, files: Mapping[str, Data], group: str) -> None:
        if self._child_began is None and _pid != self._pid:
            self._child_began, self._written_before = len(self._added), self.written
        unit = self._units.get(id(files))
        if unit is not None and unit[0] is files:
            self._add_unit(unit, group)
            return
        # File by file. Locals: this loop runs for thousands of files, build after build.
        known_digests = self._kept.digests if self._kept is not None else {}
        next_digests = self._next_digests if self._kept is not None else None
        live = self._live.files if self._live else {}
        digests = self._digests
        own: dict[str, bytes] = {}
        in_spare = True
        for name, data in files.items():
            if name in digests:
                self._claim([*self._added, (files, group)])  # names both files
            last = known_digests.get(name)
            if last is not None and last[0] is data:
                digest = last[1]
            elif len(data) >= HASH_ASIDE_FROM and self._kept is not None:
                own[name] = b""  # for now: `_settle` puts in the digest and the file
                self._hash_aside(name, data, own, id(files), live.get(name))
                continue
            else:
                digest = _digest(data)
            own[name] = digest
            if next_digests is not None:
                next_digests[name] = (data, digest)
            in_output = (found := live.get(name)) is not None and found[0] == digest
            if not in_output:
                self._differs = True
            in_spare = self._place(name, data, digest, in_output) and in_spare
        digests |= own
        self._added.append((own, group))
        if self._kept is not None:  # (a one-off build keeps nothing: it would hold the site)
            # (in C, once a part: not one look-up per file on the loop above)
            self._new_path = self._new_path or not own.keys() <= self._kept.paths.keys()
            self._next_units[id(files)] = unit = (files, own)
            if in_spare:
                self._units_in_spare[id(files)] = unit

    def _hash_aside(
        self, name: str, data: Data, own: dict[str, bytes], unit: int, live: FileRecord | None
    ) -> None:
        _keys(name)  # refuses a path out of the output folder before anything is written
        self._mark_child()
        if self._helper is None:
            from concurrent.futures import ThreadPoolExecutor  # the preview's only

            self._helper = ThreadPoolExecutor(1, "hash-aside")
            # The helper lets go of the interpreter lock to hash and to write, and needs it
            # back in between; by default it waits up to 5 ms each time while the build's
            # thread runs Python (measured: 15-20 ms for a 4 MB feed that takes 5 ms alone).
            self._switch_interval = sys.getswitchinterval()
            sys.setswitchinterval(HELPER_SWITCH_INTERVAL)
        spare = self._spare.get(name)
        path = f"{self.spare_path}/{name}"
        self._aside.append(
            (name, data, own, unit, self._helper.submit(_hash_and_write, path, data, spare, live))
        )

    def _settle(self) -> None:
        """Take in the files hashed (and written) on the other thread; before anything reads
        the digests, the spare or its record."""
        if self._helper is None:
            return
        self._helper.shutdown()  # waits for it: no thread outlives this (forks need one)
        self._helper = None
        sys.setswitchinterval(self._switch_interval)
        live = self._live.files if self._live else {}
        for name, data, own, unit, future in self._aside:
            digest, written = future.result()
            own[name] = self._digests[name] = digest
            if self._kept is not None:
                self._next_digests[name] = (data, digest)
            in_output = (found := live.get(name)) is not None and found[0] == digest
            if not in_output:
                self._differs = True
            if written is not None:
                self._spare[name] = self._records[name] = (digest, *written)
                self.written += 1
            elif not self._place(name, data, digest, in_output):
                self._units_in_spare.pop(unit, None)
        self._aside = []

    def _add_unit(self, unit: _Unit, group: str) -> None:
        """Files the last build was given as the very same mapping: the output folder holds
        them as they are, with the digests then."""
        files, own = unit
        before = len(self._digests)
        self._digests |= own
        if len(self._digests) != before + len(own):  # a path given before
            self._claim([*self._added, (own, group)])
        self._added.append((own, group))
        self._next_units[id(files)] = unit
        spare_unit = self._spare_units.get(id(files))
        if spare_unit is None or spare_unit[0] is not files:  # the spare may not hold them
            placed = [self._place(name, files[name], digest, True) for name, digest in own.items()]
            if not all(placed):
                return
        self._units_in_spare[id(files)] = unit

    def _place(self, name: str, data: Data, digest: bytes, in_output: bool) -> bool:
        """Bring one file into the spare, unless it is there already or can wait in memory
        (the output folder holds it as it is); whether the spare holds it now."""
        record = self._spare.get(name)
        if record is not None and record[0] == digest:
            return True
        if in_output and self._held_bytes + len(data) <= HOLD_AT_MOST:
            self._held[name] = data
            self._held_bytes += len(data)
            return False
        self._put(name, data, digest)
        return True

    def handover(self) -> dict[str, Any] | None:
        """In a forked child: what it did with the files it added since its last handover,
        for the parent's `adopt`. None in the process that opened the writer (nothing to hand
        over). A child can hand over its part in pieces as it goes, so that the parent takes
        them in while both still work."""
        if os.getpid() == self._pid:
            return None
        self._flush()
        self._settle()
        begun = self._child_began
        if begun is None:  # it has added nothing
            added, written = [], 0
        else:
            added, written = self._added[begun:], self.written - self._written_before
            self._child_began, self._written_before = len(self._added), self.written
        names = [name for own, _ in added for name in own]
        return {
            "pid": os.getpid(),
            "added": [(list(own), group) for own, group in added],
            "digests": {name: self._digests[name] for name in names},
            "records": {name: self._records[name] for name in names if name in self._records},
            "held": {name: self._held[name] for name in names if name in self._held},
            "written": written,
            "differs": self._differs,
        }

    def adopt(self, handovers: Iterable[dict[str, Any]]) -> None:
        """Take a child's handovers, all of them, in the order it made them: its mark on the
        spare goes only when every file it wrote is in this writer's record."""
        self._flush()
        children: set[int] = set()  # (one, in a build)
        self._new_path = True  # (not looked at: a child is a big first build's)
        for handover in handovers:
            if not self._digests.keys().isdisjoint(handover["digests"]):
                self._claim(self._added + handover["added"])
            self._digests |= handover["digests"]
            self._added += handover["added"]
            self._spare |= handover["records"]
            self._held |= handover["held"]
            self.written += handover["written"]
            self._differs = self._differs or handover["differs"]
            children.add(handover["pid"])
        for pid in children:
            (self.folder / f"writing-{pid}").unlink(missing_ok=True)

    def read(self, name: str) -> bytes:
        """A file added before, as it is written."""
        self._flush()
        self._settle()
        held = self._held.get(name)
        if held is None:
            return (self.spare_path / name).read_bytes()
        return bytes(held)

    def paths_as_committed(self) -> Mapping[str, bytes] | None:
        """The last commit's {path: digest} (the very mapping that `digests` was then) when
        this site has the same paths so far, else None. Costs nothing: a part given as the
        very same mapping as in that build has the paths it had then, and the others' paths
        were looked up as they were added (comparing the 13,000 paths of a big site twice
        was 3 ms of the preview's 65 ms rebuild)."""
        self._flush()
        kept = self._kept
        if kept is None or self._new_path or len(self._digests) != len(kept.paths):
            return None
        return kept.paths

    def commit(self) -> int:
        """Put the site in place; returns how many files were written."""
        self._flush()
        self._settle()
        kept = self._kept
        if self.paths_as_committed() is None:
            self._claim(self._added)  # the last build's very paths were checked then
        if kept is not None:
            kept.digests, kept.batches = self._next_digests, self._next_batches
            kept.paths = self._digests
        live = self._live
        if live and not self._differs and len(self._digests) == len(live.files):
            self._save(live, self._spare_tree())  # the output folder holds exactly this site
            if kept is not None:
                kept.units, kept.spare_units = self._next_units, self._units_in_spare
            return 0
        for name, data in self._held.items():
            self._put(name, data, self._digests[name])
        self._held, self._held_bytes = {}, 0
        # Every file of the site is in the spare by now: only as many files again means no
        # other (comparing 13,000 paths was 2% of the preview's rebuild).
        if len(self._spare) != len(self._digests):
            self._delete_from_spare(self._spare.keys() - self._digests.keys())  # not the site's
        written_tree = _tree(self.spare_path, self._spare)
        # The record of what the output was built from goes before the output changes: a
        # build stopped between the two must not leave it vouching for the other site (the
        # same folder holds each site in turn, so its identity cannot tell them apart).
        forget(self.folder)
        if not self.output.exists():
            self.spare_path.rename(self.output)
            new_spare = None
        elif _exchange(self.spare_path, self.output):
            new_spare = _tree(self.spare_path, live.files) if live else None
        else:
            retired = self.folder / "retired"
            _remove(retired)
            self.output.rename(retired)
            try:
                self.spare_path.rename(self.output)
            except BaseException:
                retired.rename(self.output)
                raise
            retired.rename(self.spare_path)
            new_spare = _tree(self.spare_path, live.files) if live else None
        written_tree.device, written_tree.inode = _identity(self.output)
        self._save(written_tree, new_spare)
        if kept is not None:  # the old output folder is the spare now
            kept.units, kept.spare_units = self._next_units, self._units if new_spare else {}
        return self.written

    def fill(self, stop: Callable[[], bool]) -> bool:
        """See fill_spare. Only for a trusted output folder: its files are as recorded."""
        assert self.trusted, "the output folder's files are copied as their records say"
        live = self._live
        if live is None:  # no site built here yet, or one this process knows nothing of
            return True
        whole = True
        for name, (digest, _, _) in live.files.items():
            record = self._spare.get(name)
            if record is not None and record[0] == digest:
                continue
            if stop():
                whole = False
                break
            self._put(name, (self.output / name).read_bytes(), digest)
        else:
            self._delete_from_spare(self._spare.keys() - live.files.keys())
        self._save(live, self._spare_tree())
        if self._kept is not None:  # the output folder's parts are the spare's too now
            self._kept.spare_units = self._units if whole else {}
        return whole

    def _delete_from_spare(self, names: Iterable[str]) -> None:
        for name in sorted(names, reverse=True):  # a folder's files before the folder
            path = self.spare_path / name
            path.unlink(missing_ok=True)
            _prune(path.parent, self.spare_path)
            del self._spare[name]

    def _claim(self, added: Iterable[tuple[Iterable[str], str]]) -> None:
        """Check the site's paths (see _Claims): raises on the first clash."""
        if _plainly_apart(added):
            return
        claims = _Claims()
        for names, group in added:
            for name in names:
                claims.claim(name, group)

    def _put(self, name: str, data: Data, digest: bytes) -> None:
        """Write one file into the spare."""
        if not _is_plain(name):
            _keys(name)  # refuses a path out of the output folder before anything is written
        self._mark_child()
        path = f"{self.spare_path}/{name}"
        try:
            stat = _write_file(path, data)
        except (FileNotFoundError, NotADirectoryError):  # its folder is not there yet
            self._make_folder(name.rpartition("/")[0])
            stat = _write_file(path, data)
        except IsADirectoryError:  # the spare had a folder here: its files go with it
            shutil.rmtree(path)
            for inside in [k for k in self._spare if k.startswith(name + "/")]:
                del self._spare[inside]
                self._records.pop(inside, None)
            stat = _write_file(path, data)
        self._spare[name] = self._records[name] = (digest, stat.st_size, stat.st_mtime_ns)
        self.written += 1

    def _mark_child(self) -> None:
        """Before a forked child first writes into the spare: its files are in no record
        until the parent adopts them, so until then its own mark says that the spare is not
        to be trusted (if the build fails first)."""
        if _pid != self._pid and self._child_began is not None and not self._marked:
            (self.folder / f"writing-{os.getpid()}").touch()
            self._marked = True

    def _make_folder(self, folder: str) -> None:
        try:
            os.makedirs(f"{self.spare_path}/{folder}", exist_ok=True)  # noqa: PTH103
        except (FileExistsError, NotADirectoryError):  # the spare had a file where a folder goes
            parts = folder.split("/")
            for end in range(1, len(parts) + 1):
                above = "/".join(parts[:end])
                if os.path.isfile(f"{self.spare_path}/{above}"):  # noqa: PTH113
                    os.unlink(f"{self.spare_path}/{above}")  # noqa: PTH108
                    self._spare.pop(above, None)
                    self._records.pop(above, None)
            os.makedirs(f"{self.spare_path}/{folder}", exist_ok=True)  # noqa: PTH103

    def _spare_tree(self) -> _Tree:
        return _tree(self.spare_path, self._spare)

    def _save(self, live: _Tree | None, spare: _Tree | None) -> None:
        state = _State(live=live, spare=spare)
        _save_state(self.folder, state, persist=self._kept is None or not self._kept.private)
        if self._kept is not None:
            self._kept.state = state
        self._done = True
        (self.folder / f"writing-{self._pid}").unlink(missing_ok=True)


def _digest(data: Data) -> bytes:
    """What tells a file's bytes from other bytes, build after build: XXH3's 128 bits, twelve
    times SHA-256's speed here (126 MB of a big site in 5 ms, not 65). Not a cryptographic
    hash: only someone who can change the content could make two versions of a file collide,
    and they can change the site anyway."""
    if isinstance(data, Joined):  # (the same digest as of the parts joined)
        hasher = xxh3_128()
        for part in data.parts:
            hasher.update(part)
        return hasher.digest()
    return xxh3_128_digest(data)


_Hashed = tuple[bytes, tuple[int, int] | None]  # digest; size and time if written


def _hash_and_write(
    path: str, data: Data, spare: FileRecord | None, live: FileRecord | None
) -> _Hashed:
    """On the helper thread: the digest, and the file written into the spare when neither
    tree holds it as it is (anything unusual, such as a missing folder, is left to
    Writer._place on the build's thread)."""
    digest = _digest(data)
    if (spare is not None and spare[0] == digest) or (live is not None and live[0] == digest):
        return digest, None
    try:
        stat = _write_file(path, data)
    except OSError:
        return digest, None
    return digest, (stat.st_size, stat.st_mtime_ns)


def _write_file(path: str, data: Data) -> os.stat_result:
    """Write one file (strings, not Path objects: twelve thousand of them on a big site)."""
    # Descriptors, not file objects (a tenth less per file), and no buffering: the size and
    # time recorded must be those after the last byte is written. Over the old bytes, cut to
    # length afterwards, not truncated first: the spare's files are written again with bytes
    # of about their size, and truncating drops a file's cached pages and blocks, which are
    # then made again (an 8.6 MB feed: 7 ms on ext4, 0.3 ms written over; 3.7 and 0.7 ms on
    # tmpfs). The spare is marked untrusted while it is written (see Writer), so a file
    # left half old, half new by a killed build is never taken for either.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | _BINARY, 0o666)
    try:
        for part in data.parts if isinstance(data, Joined) else (data,):
            view = memoryview(part)
            while view:
                view = view[os.write(fd, view) :]
        stat = os.fstat(fd)
        if stat.st_size > len(data):  # the old file was longer
            os.ftruncate(fd, len(data))
            stat = os.fstat(fd)
        return stat
    finally:
        os.close(fd)


_BINARY = getattr(os, "O_BINARY", 0)  # Windows: no newline translation


def _checked(tree: Path, known: Manifest, prefix: str = "") -> Manifest:
    """The part of `known` that is still true of the folder `tree`; files that differ from
    their record (size, time) or have none, and symbolic links, are deleted."""
    true: Manifest = {}
    with os.scandir(tree) as entries:
        for entry in entries:
            name = prefix + entry.name
            if entry.is_dir(follow_symlinks=False):
                true |= _checked(Path(entry.path), known, name + "/")
                continue
            record = known.get(name)
            stat = entry.stat(follow_symlinks=False)
            if (
                record
                and entry.is_file(follow_symlinks=False)
                and record[1:]
                == (
                    stat.st_size,
                    stat.st_mtime_ns,
                )
            ):
                true[name] = record
            else:
                Path(entry.path).unlink()
    return true


def _prune(folder: Path, top: Path) -> None:
    """Remove `folder` and its parents up to `top` while they are empty."""
    while folder != top:
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent


def _identity(path: Path) -> tuple[int, int]:
    found = path.lstat()
    return found.st_dev, found.st_ino


def _tree(path: Path, files: Manifest) -> _Tree:
    return _Tree(*_identity(path), files)


# The state: `state` names each tree's identity and the file holding its manifest
# (`tree-*`, marshal: a dictionary of strings, bytes and integers, read and written several
# times faster than a pickle). A manifest is written once: after a build the spare's is the
# old output folder's, already on disk, so each build writes one manifest, not two.
_STATE = "state"
_FORMAT = 2  # 2: XXH3 digests

# The state this process last saved or read in each state folder, with the identity of its
# file: a process that builds again and again (the preview) does not read back what it wrote,
# and a private folder's trees (the preview's) can only be read from here, even when the same
# process builds into other folders in between (tests do).
_last_states: dict[Path, tuple[tuple[int, int, int, int], _State]] = {}
_saved: dict[int, tuple[Manifest, str]] = {}  # id(manifest) -> (manifest, its file)


def _read_state(folder: Path) -> _State:
    try:
        with (folder / _STATE).open("rb") as file:
            found = os.fstat(file.fileno())
            identity = (found.st_dev, found.st_ino, found.st_size, found.st_mtime_ns)
            last = _last_states.get(folder)
            if last is not None and last[0] == identity:
                return last[1]
            version, *trees = marshal.load(file)
        if version != _FORMAT:
            return _State()
        live, spare = (_read_tree(folder, tree) for tree in trees)
    except (OSError, EOFError, ValueError, TypeError):  # unreadable: the trees are unknown
        return _State()
    state = _State(live, spare)
    _last_states[folder] = identity, state
    return state


def _read_tree(folder: Path, tree: tuple[int, int, str] | None) -> _Tree | None:
    if tree is None:
        return None
    device, inode, name = tree
    files = marshal.loads((folder / name).read_bytes())
    if not isinstance(files, dict):
        raise ValueError(name)
    _saved[id(files)] = files, name
    return _Tree(device, inode, files)


def _save_state(folder: Path, state: _State, persist: bool = True) -> None:
    """Save the state; without `persist`, the trees' records are named but not written: only
    this process knows them (`_read_state` finds them in memory), and any other process
    finds trees it cannot read and writes the site whole."""
    trees: list[tuple[int, int, str] | None] = []
    for tree in (state.live, state.spare):
        if tree is None:
            trees.append(None)
            continue
        saved = _saved.get(id(tree.files))
        if (
            saved is None
            or saved[0] is not tree.files
            or (persist and not (folder / saved[1]).exists())
        ):
            name = f"tree-{os.getpid()}-{time.time_ns()}"
            if persist:
                (folder / name).write_bytes(marshal.dumps(tree.files))
            saved = _saved[id(tree.files)] = tree.files, name
        trees.append((tree.device, tree.inode, saved[1]))
    scratch = folder / f"{_STATE}.{os.getpid()}"
    scratch.write_bytes(marshal.dumps((_FORMAT, *trees)))
    found = scratch.stat()
    scratch.replace(folder / _STATE)
    _last_states[folder] = (found.st_dev, found.st_ino, found.st_size, found.st_mtime_ns), state
    in_use = {tree[2] for tree in trees if tree}
    for entry in os.scandir(folder):  # manifests of trees no longer there
        if entry.name.startswith("tree-") and entry.name not in in_use:
            os.unlink(entry.path)  # noqa: PTH108
    for key in [key for key, (_, name) in _saved.items() if name not in in_use]:
        del _saved[key]


def _safe(name: str) -> PurePosixPath:
    """Only plain relative paths inside the output folder."""
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise BuildError(f"keelatud väljunditee: {name!r}")
    return path


def _fold(path: str) -> str:
    """The same text for paths that a case-insensitive or normalising file system (APFS,
    HFS+, NTFS, FAT) may take for one file: Unicode canonical caseless matching."""
    if path.isascii() and path.islower():  # our own paths: the very same string, no copy
        return path
    return unicodedata.normalize("NFC", unicodedata.normalize("NFD", path).casefold())


def _collision(first: tuple[str, str], second: tuple[str, str], folder: bool = False) -> BuildError:
    def describe(item: tuple[str, str]) -> str:
        group, path = item
        return f"{path!r} ({group})" if group else repr(path)

    a, b = describe(first), describe(second)
    if folder:
        return BuildError(f"väljundfail {a} ja {b}: üks vajab kausta sinna, kus on teine fail")
    if _safe(first[1]) == _safe(second[1]):
        return BuildError(f"kaks väljundfaili samal teel: {a} ja {b}")
    return BuildError(
        f"väljundfailid {a} ja {b} on macOS-i ja Windowsi failisüsteemis sama fail "
        "(erinevad ainult suur- ja väiketähtede või Unicode'i normaalkuju poolest)"
    )


def _remove_leftovers(output: Path) -> None:
    pattern = re.compile(rf"\.{re.escape(output.name)}\.(new|old)-[0-9]+(-[0-9a-f]+)?")
    try:
        entries = list(os.scandir(output.parent))
    except FileNotFoundError:
        return
    for entry in entries:
        if not pattern.fullmatch(entry.name) or not entry.is_dir(follow_symlinks=False):
            continue
        path = Path(entry.path)
        lock = _locked(path, wait=False)
        if lock is None:  # gone already, or a build that is still running holds it
            continue
        try:
            _remove(path)
        finally:
            _unlock(lock)


def _locked(path: Path, wait: bool) -> int | None:
    """An open descriptor holding an exclusive lock on the folder at `path`, or None when the
    folder is gone (or, with `wait=False`, locked by another build). Windows has no flock:
    there -1 stands for "not locked", and a build whose scratch folder another build
    removes fails (writing nothing) rather than waiting."""
    if sys.platform == "win32":
        return -1 if path.is_dir() else None
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except (FileNotFoundError, NotADirectoryError):
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        # The folder may have been deleted (and even recreated) by whoever held the lock.
        now, held = path.lstat(), os.fstat(fd)
        if (now.st_dev, now.st_ino) == (held.st_dev, held.st_ino):
            return fd
    except (BlockingIOError, FileNotFoundError):
        pass
    except BaseException:
        os.close(fd)
        raise
    os.close(fd)
    return None


def _unlock(fd: int) -> None:
    if fd >= 0:
        os.close(fd)


def _remove(path: Path) -> None:
    if path.is_symlink():  # an output folder that was a link to a folder: drop the link only
        path.unlink()
    else:
        shutil.rmtree(path, ignore_errors=True)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two folders atomically; False where this system cannot (nothing was changed)."""
    renameat2 = _renameat2()
    if renameat2 is None:
        return False
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
        return False  # the kernel or this file system does not know RENAME_EXCHANGE
    raise OSError(code, os.strerror(code), str(a), None, str(b))


@functools.cache
def _renameat2() -> Callable[[int, bytes, int, bytes, int], int] | None:
    """libc's renameat2 (glibc 2.28+, musl 1.1.24+), or None."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        function = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return None
    function.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    function.restype = ctypes.c_int

    def call(olddirfd: int, old: bytes, newdirfd: int, new: bytes, flags: int) -> int:
        return int(function(olddirfd, old, newdirfd, new, flags))

    return call
