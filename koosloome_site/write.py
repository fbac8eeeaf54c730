"""Write the site as a whole, atomically, touching only the files that changed.

Beside the output folder lives its state folder, `.<name>.koosloome/`: a spare copy of the
site one build behind (`spare/`) and what both trees hold (`state.pickle`: every file's
digest, size and modification time). A build brings the spare tree up to date, writing only
files whose bytes changed and deleting those no longer made, and then exchanges it with the
output folder in one atomic step: on Linux with `renameat2(RENAME_EXCHANGE)` (kernel 3.15+,
glibc 2.28+; local file systems such as ext4, xfs, btrfs and tmpfs). The old output becomes
the spare for the next build. So a rebuild after a one-file edit writes a handful of files,
a build that changes nothing writes none, and whoever reads the output folder (a web server,
rsync, a preview) sees the whole old site or the whole new one: a build killed at any moment
(even with `kill -9`) leaves the previous output folder or the complete new one, never a mix.
(Files are not fsynced: this is about killed builds, not power cuts.)

The state is trusted only as far as it can be checked: the trees are recognised by device and
inode, a build marks the spare as unknown (`writing-<pid>`) before it changes anything in it,
and files in the spare whose size or time differ from the record, or that are not in it (put
there by hand), are replaced or deleted. When in doubt the spare is deleted and written whole.
Deleting the state folder is always safe: the next build writes a whole new tree.

Where the exchange is not available (macOS, Windows, other kernels, file systems that answer
EINVAL such as some network or FUSE mounts) the output folder is renamed away and the new tree
renamed into its place; a build killed between those two renames leaves no output folder until
the next build.

Scratch folders left by builds of earlier versions (`.<name>.new-*`, `.<name>.old-*`) are
deleted. Builds into the same folder take turns: each holds an exclusive `flock` on the state
folder while it writes.

The site's files are also checked before anything is written: two files may not land on the
same path, including paths that differ only in letter case or Unicode normalisation (one file
on macOS and Windows file systems), and no file may sit where another needs a folder.
"""

from __future__ import annotations

import ctypes
import errno
import functools
import hashlib
import os
import pickle
import re
import shutil
import sys
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from .errors import BuildError, ContentError
from .uptodate import state_folder

if sys.platform != "win32":
    import fcntl

_AT_FDCWD = -100  # Linux: paths are taken as they are (ours are absolute)
_RENAME_EXCHANGE = 2  # linux/fs.h


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
    files: Mapping[str, bytes],
    output: Path,
    trusted: bool = False,
    digests_of: dict[str, tuple[bytes, bytes]] | None = None,
) -> int:
    """Make `output` hold exactly `files` ({relative posix path: bytes}), all or nothing.
    Returns how many files were written (see Writer)."""
    with Writer(output, trusted, digests_of) as writer:
        writer.add(files)
        return writer.commit()


# Files that the output folder already holds wait in memory up to this many bytes; beyond it
# they are written into the spare at once (the first build after a clean one, whose spare is
# empty, would otherwise hold the whole site).
HOLD_AT_MOST = 16 * 1024 * 1024


class Writer:
    """Writes a site into the spare tree part by part, as the build makes the parts, so that
    no build holds all of its files at once; `commit` then puts the tree in the output
    folder's place. A file the spare already holds as it is is not written again; one that
    the output folder holds as it is waits in memory, because if the whole site turns out to
    be what the output folder holds, nothing is written at all. Leaving the `with` block
    without `commit` (an error) leaves the output folder as it was.

    `trusted`: nobody else changes files in the output folder (the preview's own folder), so
    the spare is not checked against its record. `digests_of` ({path: (bytes, digest)}) is
    kept by the caller from one build to the next: the digest of the very same bytes object
    as last time is known.

    A forked child can add files too (they go straight into the spare); it hands what it
    did back with `handover`, and the parent takes it with `adopt`."""

    def __init__(
        self,
        output: Path,
        trusted: bool = False,
        digests_of: dict[str, tuple[bytes, bytes]] | None = None,
    ) -> None:
        self.output = output.absolute()
        self.folder = state_folder(self.output)
        self.spare_path = self.folder / "spare"
        self.trusted = trusted
        self.digests: dict[str, bytes] = {}  # every file of the site so far
        self.written = 0
        self._digests_of = digests_of
        self._next_digests: dict[str, tuple[bytes, bytes]] = {}
        self._claims = _Claims()
        self._known: Manifest = {}  # in the spare, not (yet) part of this site
        self._records: Manifest = {}  # in the spare as this site has them
        self._held: dict[str, bytes] = {}  # as the output folder has them; not in the spare
        self._held_bytes = 0
        self._differs = False  # from what the output folder holds
        self._live: _Tree | None = None
        self._lock: int | None = None
        self._done = False  # committed: the state is saved
        self._child_marked = False  # a forked child has written into the spare
        self._written_before_child = 0  # what the parent had written when the child began
        self._pid = os.getpid()

    def __enter__(self) -> Writer:
        self.folder.mkdir(parents=True, exist_ok=True)
        lock = _locked(self.folder, wait=True)
        if lock is None:
            raise BuildError(f"olekukaust {self.folder} kadus ehitamise ajal; proovi uuesti")
        try:
            _remove_leftovers(self.output)
            interrupted = False  # a build was killed while changing the spare
            for entry in self.folder.iterdir():  # what killed builds left: marks, states
                if entry.name.startswith(("writing-", "state.pickle.")):
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
                self._known = dict(spare.files)
            else:
                self._known = _checked(self.spare_path, spare.files)
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
            if not self._done and (kind is None or issubclass(kind, BuildError | ContentError)):
                # Stopped by a check, between files: the spare's record is still exact.
                self._save(self._live, self._spare_tree())
        finally:
            _unlock(self._lock)
            self._lock = None

    def add(self, files: Mapping[str, bytes], group: str = "") -> None:
        """Part of the site ({relative posix path: bytes}); `group` names it in errors."""
        # Locals: this loop runs for every file of the site, build after build in the preview.
        keeping = self._digests_of is not None  # the digests, for the next build's writer
        known_digests = self._digests_of if self._digests_of is not None else {}
        live = self._live.files if self._live else {}
        claim, digests, known, records = (
            self._claims.claim,
            self.digests,
            self._known,
            self._records,
        )
        for name, data in files.items():
            claim(name, group)  # also refuses unsafe paths
            last = known_digests.get(name)
            digest = last[1] if last is not None and last[0] is data else _digest(data)
            digests[name] = digest
            if keeping:
                self._next_digests[name] = (data, digest)
            in_output = (found := live.get(name)) is not None and found[0] == digest
            if not in_output:
                self._differs = True
            record = known.pop(name, None)
            if record is not None and record[0] == digest:
                records[name] = record  # the spare has it
            elif in_output and self._held_bytes + len(data) <= HOLD_AT_MOST:
                self._held[name] = data
                self._held_bytes += len(data)
            else:
                self._put(name, data, digest)

    def handover(self, names: Iterable[str]) -> dict[str, Any] | None:
        """In a forked child: what it did with the files `names`, for the parent's `adopt`.
        None in the process that opened the writer (nothing to hand over)."""
        if os.getpid() == self._pid:
            return None
        names = list(names)
        return {
            "pid": os.getpid(),
            "groups": {name: self._claims.owner[_keys(name)[0]][0] for name in names},
            "digests": {name: self.digests[name] for name in names},
            "records": {name: self._records[name] for name in names if name in self._records},
            "held": {name: self._held[name] for name in names if name in self._held},
            "written": self.written - self._written_before_child,
            "differs": self._differs,
        }

    def adopt(self, handover: dict[str, Any] | None) -> None:
        if handover is None:
            return
        for name, digest in handover["digests"].items():
            self._claims.claim(name, handover["groups"][name])
            self.digests[name] = digest
            self._known.pop(name, None)
        self._records |= handover["records"]
        (self.folder / f"writing-{handover['pid']}").unlink(missing_ok=True)
        self._held |= handover["held"]
        self.written += handover["written"]
        self._differs = self._differs or handover["differs"]

    def read(self, name: str) -> bytes:
        """A file added before, as it is written."""
        held = self._held.get(name)
        return held if held is not None else (self.spare_path / name).read_bytes()

    def commit(self) -> int:
        """Put the site in place; returns how many files were written."""
        if self._digests_of is not None:
            self._digests_of.clear()
            self._digests_of.update(self._next_digests)
        live = self._live
        if live and not self._differs and len(self.digests) == len(live.files):
            self._save(live, self._spare_tree())
            return 0  # the output folder already holds exactly this site
        for name, data in self._held.items():
            self._put(name, data, self.digests[name])
        self._held, self._held_bytes = {}, 0
        for name in sorted(self._known, reverse=True):  # in the spare, not in the site
            path = self.spare_path / name
            path.unlink(missing_ok=True)
            _prune(path.parent, self.spare_path)
        self._known = {}
        written_tree = _tree(self.spare_path, self._records)
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
        return self.written

    def _put(self, name: str, data: bytes, digest: bytes) -> None:
        """Write one file into the spare."""
        if os.getpid() != self._pid and not self._child_marked:
            # A child's files are in no record until the parent adopts them: until then its
            # own mark says that the spare is not to be trusted (if the build fails first).
            (self.folder / f"writing-{os.getpid()}").touch()
            self._child_marked = True
            self._written_before_child = self.written
        path = f"{self.spare_path}/{name}"
        try:
            stat = _write_file(path, data)
        except (FileNotFoundError, NotADirectoryError):  # its folder is not there yet
            self._make_folder(name.rpartition("/")[0])
            stat = _write_file(path, data)
        except IsADirectoryError:  # the spare had a folder here: its files go with it
            shutil.rmtree(path)
            for inside in [k for k in self._known if k.startswith(name + "/")]:
                del self._known[inside]
            stat = _write_file(path, data)
        self._records[name] = (digest, stat.st_size, stat.st_mtime_ns)
        self.written += 1

    def _make_folder(self, folder: str) -> None:
        try:
            os.makedirs(f"{self.spare_path}/{folder}", exist_ok=True)  # noqa: PTH103
        except (FileExistsError, NotADirectoryError):  # the spare had a file where a folder goes
            parts = folder.split("/")
            for end in range(1, len(parts) + 1):
                above = "/".join(parts[:end])
                if os.path.isfile(f"{self.spare_path}/{above}"):  # noqa: PTH113
                    os.unlink(f"{self.spare_path}/{above}")  # noqa: PTH108
                    self._known.pop(above, None)
            os.makedirs(f"{self.spare_path}/{folder}", exist_ok=True)  # noqa: PTH103

    def _spare_tree(self) -> _Tree:
        return _tree(self.spare_path, self._known | self._records)

    def _save(self, live: _Tree | None, spare: _Tree | None) -> None:
        _save_state(self.folder, _State(live=live, spare=spare))
        self._done = True
        (self.folder / f"writing-{self._pid}").unlink(missing_ok=True)


def _digest(data: bytes) -> bytes:
    # SHA-256 runs on the processor's SHA instructions: three times BLAKE2's speed here.
    return hashlib.sha256(data).digest()[:16]


def _write_file(path: str, data: bytes) -> os.stat_result:
    """Write one file (strings, not Path objects: twelve thousand of them on a big site)."""
    # Unbuffered: the size and time recorded must be those after the last byte is written
    # (a buffered file writes small files only when closed, after the fstat).
    with open(path, "wb", buffering=0) as file:  # noqa: PTH123
        view = memoryview(data)
        while view:
            view = view[file.write(view) :]
        return os.fstat(file.fileno())


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


# The state this process last saved or read, with the identity of its file: a process that
# builds again and again (the preview) does not read back what it wrote.
_last_state: tuple[tuple[int, int, int, int], _State] | None = None


def _read_state(folder: Path) -> _State:
    global _last_state
    try:
        with (folder / "state.pickle").open("rb") as file:
            found = os.fstat(file.fileno())
            identity = (found.st_dev, found.st_ino, found.st_size, found.st_mtime_ns)
            if _last_state is not None and _last_state[0] == identity:
                return _last_state[1]
            state = pickle.load(file)
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ValueError):
        return _State()
    if not isinstance(state, _State):
        return _State()
    _last_state = identity, state
    return state


def _save_state(folder: Path, state: _State) -> None:
    global _last_state
    scratch = folder / f"state.pickle.{os.getpid()}"
    scratch.write_bytes(pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL))
    found = scratch.stat()
    scratch.replace(folder / "state.pickle")
    _last_state = (found.st_dev, found.st_ino, found.st_size, found.st_mtime_ns), state


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
