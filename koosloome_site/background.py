"""Run one piece of a build on the second core, when that is safe and pays off.

A forked child inherits the validated content as it is in memory, so nothing has to be sent
to it; only its result comes back through a pipe. Forking is safe only while this process
has a single thread (the preview server has several), and costs a few milliseconds, so small
builds simply run the work in place. Either way the result is the same bytes.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def start(work: Callable[[], T], worth_it: bool) -> Callable[[], T]:
    """Begin `work`; the returned function waits for and returns its result (or raises)."""
    can_fork = os.name == "posix" and (os.cpu_count() or 1) > 1
    if not (worth_it and can_fork and threading.active_count() == 1):
        return work
    context = multiprocessing.get_context("fork")
    receiving, sending = context.Pipe(duplex=False)

    def child() -> None:
        try:
            sending.send((True, work()))
        except BaseException as error:  # the parent re-raises it
            sending.send((False, error))

    process = context.Process(target=child, daemon=True)
    process.start()
    sending.close()

    def result() -> T:
        try:
            succeeded, value = receiving.recv()
        except EOFError:  # the child died without a word (killed, out of memory)
            process.join()
            raise RuntimeError(f"taustatöö lõppes ootamatult (kood {process.exitcode})") from None
        process.join()
        if not succeeded:
            raise value
        return value  # type: ignore[no-any-return]

    return result
