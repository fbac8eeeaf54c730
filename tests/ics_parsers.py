"""Six independent iCalendar readers, each turning a file into the same plain rows.

A feed is only as good as what calendars make of it, and calendars do not share a parser. So
every .ics the site builds is read by four Python libraries (icalendar, vobject, ics.py,
recurring-ical-events) and two JavaScript ones (ical.js, node-ical), and the tests require
identical rows. Each reader reports what its library says, in one spelling:

- start, end: a day as `2023-03-30`; a moment as the UTC instant `2023-03-23T13:00:00Z`; a
  time without a zone as `2023-03-23T15:00:00 floating` (never guessed into a zone); end is
  None without DTEND;
- summary, location, description: the unescaped text, None when absent.

Normalising stops there. The one reading of RFC 5545 applied: recurring-ical-events and node-ical
give a moment without DTEND the end the RFC implies (3.6.1: the start itself), which is read
back as "no DTEND". Where a library reads anything else differently, the rows differ and the
test says which library and which file.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import icalendar
import ics
import recurring_ical_events
import vobject

from tests.tools import BROWSER_DIR

# Wide enough for every programme, past or planned: each event must occur exactly once in it.
WINDOW = (dt.date(1990, 1, 1), dt.date(2100, 1, 1))
# The JavaScript readers run in a zone far from Tallinn, as a subscriber abroad would: a
# reader that ignored TZID and used the local zone would be hours off, not silently right.
NODE_TZ = "America/Los_Angeles"


@dataclass(frozen=True)
class Row:
    """One event as a calendar would show it."""

    uid: str
    start: str
    end: str | None
    summary: str | None
    location: str | None
    description: str | None


Reader = Callable[[bytes], list[Row]]


def ordered(rows: Iterable[Row]) -> list[Row]:
    """By UID, as every reader's rows are compared (a broken file may repeat a UID)."""
    return sorted(rows, key=lambda r: (r.uid, r.start, r.end or "", r.summary or ""))


def moment(value: dt.date) -> str:
    """A DATE as itself, an aware DATE-TIME as its UTC instant, a naive one marked floating."""
    if not isinstance(value, dt.datetime):
        return value.isoformat()
    if value.tzinfo is None or value.utcoffset() is None:
        return f"{value.isoformat()} floating"
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def read_icalendar(data: bytes) -> list[Row]:
    """icalendar: the library the site is built with, reading its own output."""
    calendar = icalendar.Calendar.from_ical(data)
    rows = []
    for event in calendar.walk("VEVENT"):
        end = event.get("dtend")
        rows.append(
            Row(
                uid=str(event["uid"]),
                start=moment(event.decoded("dtstart")),
                end=moment(end.dt) if end is not None else None,
                summary=_text(event.get("summary")),
                location=_text(event.get("location")),
                description=_text(event.get("description")),
            )
        )
    return ordered(rows)


def read_vobject(data: bytes) -> list[Row]:
    """vobject: its own grammar and its own tzinfo built from the VTIMEZONE."""
    calendar = vobject.readOne(data.decode("utf-8"))
    rows = []
    for event in getattr(calendar, "vevent_list", []):
        contents: dict[str, list[Any]] = event.contents

        def value(name: str, contents: dict[str, list[Any]] = contents) -> Any:
            return contents[name][0].value if name in contents else None

        end = value("dtend")
        rows.append(
            Row(
                uid=value("uid"),
                start=moment(value("dtstart")),
                end=moment(end) if end is not None else None,
                summary=value("summary"),
                location=value("location"),
                description=value("description"),
            )
        )
    return ordered(rows)


def read_ics(data: bytes) -> list[Row]:
    """ics.py (TatSu grammar, arrow times). It looks TZID up by name in the system's tz
    database before the file's VTIMEZONE, like most clients do; all-day values come back as
    midnight in UTC with `all_day` set."""
    calendar = ics.Calendar(data.decode("utf-8"))
    rows = []
    for event in calendar.events:
        if event.all_day:
            start = event.begin.date().isoformat()
            end = event.end.date().isoformat() if event.has_end() else None
        else:
            start = moment(event.begin.datetime)
            end = moment(event.end.datetime) if event.has_end() else None
        rows.append(Row(event.uid, start, end, event.name, event.location, event.description))
    return ordered(rows)


def read_recurring(data: bytes) -> list[Row]:
    """recurring-ical-events: the occurrences a calendar would draw between 1990 and 2100.
    One row per occurrence, so an event expanded twice, or not at all, shows as a different
    number of rows. Occurrences always carry an end; RFC 5545's implied one (3.6.1: a moment
    ends when it starts) is read back as "no DTEND", which is what it stands for."""
    calendar = icalendar.Calendar.from_ical(data)
    rows = []
    for event in recurring_ical_events.of(calendar).between(*WINDOW):
        start, end = event.decoded("dtstart"), event.decoded("dtend", None)
        implied = isinstance(start, dt.datetime) and end == start
        rows.append(
            Row(
                uid=str(event["uid"]),
                start=moment(start),
                end=None if end is None or implied else moment(end),
                summary=_text(event.get("summary")),
                location=_text(event.get("location")),
                description=_text(event.get("description")),
            )
        )
    return ordered(rows)


PYTHON_READERS: dict[str, Reader] = {
    "icalendar": read_icalendar,
    "vobject": read_vobject,
    "ics.py": read_ics,
    "recurring-ical-events": read_recurring,
}


def read_with_node(paths: Iterable[Path]) -> dict[str, dict[Path, list[Row] | str]]:
    """ical.js and node-ical over all files in one node process (starting node costs more
    than parsing): {reader: {path: rows, or the error message}}."""
    files = list(paths)
    result = subprocess.run(
        ["node", str(BROWSER_DIR / "read_calendars.mjs"), *map(str, files)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        env={**os.environ, "TZ": NODE_TZ},
    )
    parsed: dict[str, dict[str, Any]] = json.loads(result.stdout)
    out: dict[str, dict[Path, list[Row] | str]] = {}
    for reader, by_file in parsed.items():
        out[reader] = {}
        for file in files:
            rows = by_file[str(file)]
            out[reader][file] = (
                str(rows["error"]) if isinstance(rows, dict) else ordered(Row(**r) for r in rows)
            )
    return out


def read_with_python(path: Path) -> dict[str, list[Row] | str]:
    """The four Python readers over one file: {reader: rows, or the error it raised}."""
    data = path.read_bytes()
    out: dict[str, list[Row] | str] = {}
    for name, read in PYTHON_READERS.items():
        try:
            out[name] = read(data)
        except Exception as error:  # a reader that gives up is a finding, not a crash
            out[name] = f"{type(error).__name__}: {error}"
    return out
