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
import tempfile
import threading
from collections.abc import Callable
from typing import IO, TypeVar

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


def _scratch_file() -> IO[bytes]:
    """A file for the child's answer, in memory where the system allows."""
    try:
        return open(os.memfd_create("koosloome-answer"), "w+b")  # noqa: PTH123 - a descriptor
    except (AttributeError, OSError):  # not Linux
        return tempfile.TemporaryFile()
