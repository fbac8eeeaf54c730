"""Run one piece of a build on the second core, when that is safe and pays off.

A forked child inherits the validated content as it is in memory, so nothing has to be sent
to it; only its result comes back, pickled, through a file that exists only in memory
(Linux's memfd; elsewhere an unnamed temporary file), which this process unpickles where it
lies. Not a pipe: a pipe holds at most 1 MiB, so the child's answer waited for this process
to finish its own work before it could be sent, and then went over in pieces (the preview's
first build hands back 92 MB at 1,000 programmes: 90 ms through a pipe). Forking is safe
only while this process has a single thread (the preview server has several), and costs a
few milliseconds, so small builds simply run the work in place. Either way the result is
the same bytes.

A plain `os.fork`, not multiprocessing: there is one child and one answer, and importing
multiprocessing took 5 ms of every build's start.
"""

from __future__ import annotations

import mmap
import os
import pickle
import struct
import threading
import weakref
from collections.abc import Callable, Iterator
from typing import IO, Generic, TypeVar

try:
    import fcntl
except ImportError:  # not POSIX: no fork either, so nothing to lock against
    fcntl = None  # type: ignore[assignment]

T = TypeVar("T")


def start(work: Callable[[], T], worth_it: bool) -> Callable[[], T]:
    """Begin `work`; the returned function waits for and returns its result (or raises)."""
    can_fork = os.name == "posix" and (os.cpu_count() or 1) > 1
    if not (worth_it and can_fork and threading.active_count() == 1):
        return work
    answer = _scratch_file()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child; coverage would not see it leave
        code = 1
        try:
            try:
                reply: tuple[bool, object] = (True, work())
            except BaseException as error:  # the parent re-raises it
                reply = (False, error)
            pickle.dump(reply, answer, pickle.HIGHEST_PROTOCOL)
            answer.flush()
            code = 0
        finally:
            # Straight out: the parent's atexit handlers, buffers and objects are its own.
            os._exit(code)

    def result() -> T:
        _, status = os.waitpid(child, 0)
        with answer:
            code = os.waitstatus_to_exitcode(status)
            if code != 0:  # killed (out of memory, a signal) before its answer was whole
                raise RuntimeError(f"taustatöö lõppes ootamatult (kood {code})")
            # Unpickled where it lies: reading it into bytes first took 58 ms at 92 MB.
            with mmap.mmap(answer.fileno(), 0, access=mmap.ACCESS_READ) as written:
                succeeded, value = pickle.loads(written)
        if not succeeded:
            raise value
        return value  # type: ignore[no-any-return]

    return result


class Shares:
    """The numbers 0 to count - 1 (programmes, say), taken by this process from the front and
    by a forked child from the back as each gets to them, none twice: work shared out this
    way ends on both cores at about the same time, whatever each had to do first. The two
    counts taken so far lie in memory both processes share (an mmap of a scratch file), and
    are changed under a lock on that file (a POSIX record lock: held by a process, unlike
    flock's, which a forked child would share). Without a child, the front takes what is
    left."""

    def __init__(self, count: int, most_from_back: int | None = None) -> None:
        self.count = count
        self._most_from_back = count if most_from_back is None else most_from_back
        file = _scratch_file()
        weakref.finalize(self, file.close)  # when both are done with it; the mmap closes itself
        file.truncate(_TAKEN.size)
        self._fd = file.fileno()
        self._taken = mmap.mmap(self._fd, _TAKEN.size)

    def front(self) -> Iterator[int]:
        while (i := self._take(from_back=False)) is not None:
            yield i

    def back(self) -> Iterator[int]:
        while (i := self._take(from_back=True)) is not None:
            yield i

    def _take(self, from_back: bool) -> int | None:
        if fcntl is not None:
            fcntl.lockf(self._fd, fcntl.LOCK_EX)
        try:
            front: int
            back: int
            front, back = _TAKEN.unpack_from(self._taken)
            if front + back >= self.count or (from_back and back >= self._most_from_back):
                return None
            if from_back:
                _TAKEN.pack_into(self._taken, 0, front, back + 1)
                return self.count - 1 - back
            _TAKEN.pack_into(self._taken, 0, front + 1, back)
            return front
        finally:
            if fcntl is not None:
                fcntl.lockf(self._fd, fcntl.LOCK_UN)


_TAKEN = struct.Struct("=qq")  # taken from the front, from the back


class Outbox(Generic[T]):
    """What a forked child sends this process while it works, one thing at a time: each is
    pickled as it is sent, and this process takes in what has come (`arrived`) between its
    own pieces of work. (The loading child's whole answer at its end, 2.3 MB at 1,000
    programmes, was pickled while this process waited and unpickled while no child ran:
    0.1 s with one core idle.) Made before the fork; sent in the process that made it (the
    work done in place), things are kept as they are."""

    def __init__(self) -> None:
        file = _scratch_file()
        weakref.finalize(self, file.close)
        self._fd = file.fileno()
        self._maker = os.getpid()
        self._kept: list[T] = []
        self._read = 0  # how far this process has taken things in

    def send(self, thing: T) -> None:
        if os.getpid() == self._maker:
            self._kept.append(thing)
            return
        data = pickle.dumps(thing, pickle.HIGHEST_PROTOCOL)
        record = memoryview(_LENGTH.pack(len(data)) + data)
        while record:  # one write, unless a signal cuts it short
            record = record[os.write(self._fd, record) :]

    def arrived(self) -> list[T]:
        """What has been sent since the last call, in the order sent. A thing counts once the
        file's size covers it: the size grows only as the bytes written are in place (the
        child only appends; this process reads at offsets, leaving the shared offset be)."""
        things, self._kept = self._kept, []
        size = os.fstat(self._fd).st_size
        while self._read + _LENGTH.size <= size:
            (length,) = _LENGTH.unpack(os.pread(self._fd, _LENGTH.size, self._read))
            start = self._read + _LENGTH.size
            if start + length > size:
                break
            things.append(pickle.loads(os.pread(self._fd, length, start)))
            self._read = start + length
        return things


_LENGTH = struct.Struct("=Q")  # before each thing an Outbox carries


def _scratch_file() -> IO[bytes]:
    """A file for the child's answer, in memory where the system allows."""
    try:
        return open(os.memfd_create("koosloome-answer"), "w+b")  # noqa: PTH123 - a descriptor
    except (AttributeError, OSError):  # not Linux
        import tempfile  # only here: importing it took 6 ms of every build's start

        return tempfile.TemporaryFile()
