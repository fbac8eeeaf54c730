"""Run one piece of a build on the second core, when that is safe and pays off.

A forked child inherits the validated content as it is in memory, so nothing has to be sent
to it; only its result comes back, pickled, through a pipe. Forking is safe only while this
process has a single thread (the preview server has several), and costs a few milliseconds,
so small builds simply run the work in place. Either way the result is the same bytes.

A plain `os.fork`, not multiprocessing: there is one child and one answer, and importing
multiprocessing took 5 ms of every build's start.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def start(work: Callable[[], T], worth_it: bool) -> Callable[[], T]:
    """Begin `work`; the returned function waits for and returns its result (or raises)."""
    can_fork = os.name == "posix" and (os.cpu_count() or 1) > 1
    if not (worth_it and can_fork and threading.active_count() == 1):
        return work
    receiving, sending = os.pipe()
    # A big answer (the preview's first build hands back 98 MB of memo entries at 1,000
    # programmes) goes through a pipe 64 KiB at a time by default; with 1 MiB (Linux's limit
    # for any user) it arrived 50 ms sooner (0.25 s instead of 0.30).
    with contextlib.suppress(AttributeError, OSError):  # F_SETPIPE_SZ: Linux only
        import fcntl  # (POSIX, as fork is)

        fcntl.fcntl(sending, fcntl.F_SETPIPE_SZ, 1 << 20)
    child = os.fork()
    if child == 0:  # pragma: no cover - the child; coverage would not see it leave
        os.close(receiving)
        code = 1
        try:
            try:
                answer: tuple[bool, object] = (True, work())
            except BaseException as error:  # the parent re-raises it
                answer = (False, error)
            with open(sending, "wb") as pipe:  # noqa: PTH123 - a descriptor
                pipe.write(pickle.dumps(answer, pickle.HIGHEST_PROTOCOL))
            code = 0
        finally:
            # Straight out: the parent's atexit handlers, buffers and objects are its own.
            os._exit(code)
    os.close(sending)

    def result() -> T:
        with open(receiving, "rb") as pipe:  # noqa: PTH123 - a descriptor
            data = pipe.read()
        _, status = os.waitpid(child, 0)
        if not data:  # the child died without a word (killed, out of memory)
            code = os.waitstatus_to_exitcode(status)
            raise RuntimeError(f"taustatöö lõppes ootamatult (kood {code})")
        succeeded, value = pickle.loads(data)
        if not succeeded:
            raise value
        return value  # type: ignore[no-any-return]

    return result
