"""Write the site as a whole: a new tree beside the old one, swapped in at the end.

The new site is written into a scratch folder beside the output folder, `.<name>.new-<pid>-<hex>`,
and then exchanged with the output folder in one atomic step: on Linux with
`renameat2(RENAME_EXCHANGE)` (kernel 3.15+, glibc 2.28+; local file systems such as ext4, xfs,
btrfs and tmpfs support it). Whoever reads the output folder (a web server, rsync, a preview)
sees the whole old site or the whole new one, and a build killed at any moment (even with
`kill -9`) leaves the previous output folder or the complete new one, never a mix and never
none. After the exchange the scratch name holds the old tree, which is then deleted. (Files are
not fsynced: this is about killed builds, not power cuts.)

Where the exchange is not available (macOS, Windows, other kernels, file systems that answer
EINVAL such as some network or FUSE mounts) the old way is used: rename the output folder to
`.<name>.old-...`, then the new tree into its place. A build killed between those two renames
leaves no output folder until the next build; both trees are then still beside it.

Every build writes a fresh tree, so the files of deleted content disappear. Scratch folders
left by a killed build are deleted by the next build into the same folder. A build holds an
exclusive `flock` on its own scratch folder while it writes, so a concurrent build into the
same folder never deletes a scratch folder that is still in use; only folders whose names
match the scratch pattern exactly are ever touched, never the output folder itself.

The site's files are also checked before anything is written: two files may not land on the
same path, including paths that differ only in letter case or Unicode normalisation (one file
on macOS and Windows file systems), and no file may sit where another needs a folder.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import functools
import os
import re
import secrets
import shutil
import sys
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path, PurePosixPath

from .errors import BuildError

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
    """All files of the named groups (name -> {path: bytes}) as one site.

    Fails closed: a path given twice, paths that one file system or another would take for
    the same file (letter case, Unicode normalisation) and a file where another file needs a
    folder are a BuildError naming both files and their groups, instead of one silently
    replacing the other.
    """
    merged: dict[str, bytes] = {}
    owner: dict[str, tuple[str, str]] = {}  # file key -> (group, path)
    folders: dict[str, tuple[str, str]] = {}  # folder key -> the first (group, path) inside it
    for group, files in groups.items():
        for name in files:
            path = _safe(name)
            key = _fold(str(path))
            here = (group, name)
            if key in owner:
                raise _collision(owner[key], here)
            if key in folders:
                raise _collision(folders[key], here, folder=True)
            for parent in list(path.parents)[:-1]:  # without "."
                folder = _fold(str(parent))
                if folder in owner:
                    raise _collision(owner[folder], here, folder=True)
                folders.setdefault(folder, here)
            owner[key] = here
            merged[name] = files[name]
    return merged


def write_site(files: Mapping[str, bytes], output: Path) -> None:
    """Replace `output` with exactly `files` ({relative posix path: bytes}), all or nothing."""
    files = merge_outputs({"": files})  # the last guard: never let one file overwrite another
    output = output.absolute()
    with _scratch(output) as staging:
        for name, data in sorted(files.items()):
            target = staging / _safe(name)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        if not output.exists():
            staging.rename(output)
        elif not _exchange(staging, output):
            retired = _scratch_name(output, "old")
            output.rename(retired)
            try:
                staging.rename(output)
            except BaseException:
                retired.rename(output)
                raise
            _remove(retired)
        # The staging name now holds the old tree (or nothing); leaving _scratch deletes it.


def _safe(name: str) -> PurePosixPath:
    """Only plain relative paths inside the output folder."""
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise BuildError(f"keelatud väljunditee: {name!r}")
    return path


def _fold(path: str) -> str:
    """The same text for paths that a case-insensitive or normalising file system (APFS,
    HFS+, NTFS, FAT) may take for one file: Unicode canonical caseless matching."""
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


@contextlib.contextmanager
def _scratch(output: Path) -> Iterator[Path]:
    """A new empty folder beside `output`, locked while in use and then removed with
    whatever it holds. Scratch folders that builds killed earlier left are removed first."""
    _remove_leftovers(output)
    while True:
        path = _scratch_name(output, "new")
        path.mkdir()
        lock = _locked(path, wait=True)
        if lock is not None:
            break
    try:
        yield path
    finally:
        try:
            _remove(path)
        finally:
            _unlock(lock)


def _scratch_name(output: Path, kind: str) -> Path:
    return output.with_name(f".{output.name}.{kind}-{os.getpid()}-{secrets.token_hex(4)}")


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
