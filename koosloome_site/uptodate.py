"""Whether the output folder already holds what a build would write, without building.

A successful command-line build records, in the output's state folder (write.py), what it was
made from: every file under the content and templates folders and of this program (name,
size, modification and change time, inode), git's HEAD, the options and SOURCE_DATE_EPOCH,
and the window of "now" in which its pages stay true (pipeline.py: until the next midnight
or the next end of a session, whichever is first). The next build with the same record and a
"now" inside that window has nothing to do, and says so after reading a few thousand file
times: no YAML, templates or git. Anything else, or any doubt, builds.

This module imports only the standard library (and history.head_key), so that the answer
comes before the build's heavy imports.
"""

from __future__ import annotations

import datetime as dt
import os
import pickle
from dataclasses import dataclass
from pathlib import Path

from .history import head_key

PACKAGE = Path(__file__).resolve().parent
RECORD = "inputs.pickle"


@dataclass(frozen=True)
class Record:
    inputs: tuple[object, ...]
    output: tuple[int, int]  # device and inode of the output folder it wrote
    valid_from: dt.datetime
    valid_until: dt.datetime


def inputs(content: Path, templates: Path, options: tuple[object, ...]) -> tuple[object, ...]:
    """Everything a build reads, as cheaply comparable values."""
    return (
        _files(content),
        _files(templates),
        _files(PACKAGE),
        head_key(content),
        os.environ.get("SOURCE_DATE_EPOCH", ""),
        str(content.resolve()),
        options,
    )


def up_to_date(output: Path, state: Path, found: tuple[object, ...], now: dt.datetime) -> bool:
    try:
        with (state / RECORD).open("rb") as file:
            record = pickle.load(file)
        here = output.lstat()
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ValueError):
        return False
    return (
        isinstance(record, Record)
        and record.inputs == found
        and record.output == (here.st_dev, here.st_ino)
        and record.valid_from <= now < record.valid_until
    )


def remember(
    output: Path, state: Path, found: tuple[object, ...], now: dt.datetime, until: dt.datetime
) -> None:
    here = output.lstat()
    record = Record(found, (here.st_dev, here.st_ino), now, until)
    scratch = state / f"{RECORD}.{os.getpid()}"
    scratch.write_bytes(pickle.dumps(record, protocol=pickle.HIGHEST_PROTOCOL))
    scratch.replace(state / RECORD)


def _files(folder: Path) -> tuple[tuple[str, int, int, int, int], ...]:
    found = []
    for root, folders, names in os.walk(folder):
        folders[:] = sorted(f for f in folders if f != "__pycache__")
        for name in sorted(names):
            path = os.path.join(root, name)  # noqa: PTH118 - os.walk gives strings; kept fast
            stat = os.lstat(path)
            found.append((path, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino))
    return tuple(found)
