"""Every .ics file the site builds, read by six independent parsers and the strict checker.

Two sites are built: the real content, and tests/rich_site/content, a fixture made to be hard
on calendar files (times next to the summer-time switches, multi-day events across month and
year ends, a start without an end, deadlines, cancelled/postponed/online sessions, long texts
with õäöü, š, ž, emoji, commas, semicolons, backslashes, newlines and a lone CR). Files are
found by globbing, so new kinds of calendar files are covered as soon as the site writes them.

For every file: the six parsers (tests/ics_parsers.py) must read the same events, the strict
checker (tests/ics_check.py) must find nothing, an event must read the same in every file it
is in, and the instant all parsers agree on must be the Tallinn wall-clock time the content
says (tz database), so a shared mistake cannot pass as agreement.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest

from koosloome_site.pipeline import build
from koosloome_site.validate import load_content
from tests.conftest import CONTENT, ROOT
from tests.ics_check import findings
from tests.ics_parsers import PYTHON_READERS, Row, read_with_node, read_with_python
from tests.tools import require_tools

NOW = dt.datetime.fromisoformat("2026-11-25T12:00:00+02:00")
RICH_CONTENT = ROOT / "tests" / "rich_site" / "content"
SITES = {"content": CONTENT, "rich_site": RICH_CONTENT}
REFERENCE = "icalendar"
TALLINN = ZoneInfo("Europe/Tallinn")
Reading = list[Row] | str  # a reader's rows, or the error it gave up with


def _ics_py_backslash_misread(row: Row) -> Row:
    """ics.py 0.7.3 unescapes TEXT with a chain of str.replace calls (ics/utils.py,
    unescape_string) that turns `\\n`, `\\N`, `\\r`, `\\R` into line breaks before it turns
    `\\\\` into a backslash. So text with a backslash before n or r, as in the rich site's
    `Tee\\rada` (in the file, correctly, `Tee\\\\rada`), comes back as a backslash and a line
    break. Our file is right (the five other parsers agree); this is what ics.py makes of it,
    predicted exactly, so any other difference still fails, and so does a fixed ics.py."""

    def misread(text: str | None) -> str | None:
        if text is None:
            return None
        return re.sub(r"\\([nNrR])", lambda m: "\\" + ("\n" if m.group(1) in "nN" else "\r"), text)

    return replace(
        row,
        summary=misread(row.summary),
        location=misread(row.location),
        description=misread(row.description),
    )


# Known bugs of the parsers themselves, each turning the reference row into what that parser
# is known to read. Keep this short and exact; a feed bug never belongs here.
KNOWN_MISREADS: dict[str, Callable[[Row], Row]] = {"ics.py": _ics_py_backslash_misread}


@pytest.fixture(scope="module", params=list(SITES))
def content(request: pytest.FixtureRequest) -> Path:
    return SITES[request.param]


@pytest.fixture(scope="module")
def site(content: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    output = tmp_path_factory.mktemp("site") / "out"
    build(content, output, now=NOW)
    return output


@pytest.fixture(scope="module")
def calendar_files(site: Path) -> list[Path]:
    files = sorted(site.rglob("*.ics"))
    assert site / "kalender.ics" in files, "the site feed is missing"
    return files


@pytest.fixture(scope="module")
def python_readings(calendar_files: list[Path]) -> dict[Path, dict[str, Reading]]:
    """Each file read once by each Python parser."""
    return {file: read_with_python(file) for file in calendar_files}


def _name(site: Path, file: Path) -> str:
    return str(file.relative_to(site))


def _reference(site: Path, file: Path, readings: dict[str, Reading]) -> list[Row]:
    rows = readings[REFERENCE]
    if isinstance(rows, str):
        pytest.fail(f"{_name(site, file)}: {REFERENCE} cannot read it: {rows}")
    return rows


def _differences(reader: str, expected: list[Row], got: Reading) -> list[str]:
    """How `reader`'s rows differ from the reference, event by event and field by field."""
    if isinstance(got, str):
        return [f"{reader} cannot read it: {got}"]
    if reader in KNOWN_MISREADS:
        expected = [KNOWN_MISREADS[reader](row) for row in expected]
    if got == expected:
        return []
    out = []
    ours, theirs = {r.uid: r for r in expected}, {r.uid: r for r in got}
    if len(got) != len(expected):
        out.append(f"{reader} reads {len(got)} events, {REFERENCE} {len(expected)}")
    out += [f"{reader} misses {uid}" for uid in ours.keys() - theirs.keys()]
    out += [f"{reader} has an extra {uid}" for uid in theirs.keys() - ours.keys()]
    for uid in sorted(ours.keys() & theirs.keys()):
        for field in ("start", "end", "summary", "location", "description"):
            a, b = getattr(theirs[uid], field), getattr(ours[uid], field)
            if a != b:
                out.append(f"{reader}: {uid} {field} is {a!r}, {REFERENCE} reads {b!r}")
    return out


def _report(problems: dict[str, list[str]]) -> str:
    return "\n".join(f"{file}:\n  " + "\n  ".join(found) for file, found in problems.items())


def test_python_parsers_read_every_file_alike(
    site: Path, python_readings: dict[Path, dict[str, Reading]]
) -> None:
    problems = {}
    for file, readings in python_readings.items():
        expected = _reference(site, file, readings)
        found = [
            difference
            for reader in PYTHON_READERS
            if reader != REFERENCE
            for difference in _differences(reader, expected, readings[reader])
        ]
        if found:
            problems[_name(site, file)] = found
    assert not problems, _report(problems)


def test_javascript_parsers_read_every_file_as_python_does(
    site: Path, calendar_files: list[Path], python_readings: dict[Path, dict[str, Reading]]
) -> None:
    require_tools("node", "tests/browser/node_modules")
    from_node = read_with_node(calendar_files)
    problems = {}
    for file in calendar_files:
        expected = _reference(site, file, python_readings[file])
        found = [
            difference
            for reader, by_file in from_node.items()
            for difference in _differences(reader, expected, by_file[file])
        ]
        if found:
            problems[_name(site, file)] = found
    assert not problems, _report(problems)


def test_every_file_passes_the_strict_checker(site: Path, calendar_files: list[Path]) -> None:
    problems = {}
    for file in calendar_files:
        single_event = file.name.startswith("toimumine-")  # urls.session_event
        found = findings(file.read_bytes(), single_event)
        if found:
            problems[_name(site, file)] = found
    assert not problems, _report(problems)


def test_an_event_reads_the_same_in_every_file_it_is_in(
    site: Path, python_readings: dict[Path, dict[str, Reading]]
) -> None:
    """The programme feed, the site feed, topic feeds and the single-event file must not tell
    a calendar two stories about one UID: it keeps whichever it saw last."""
    seen: dict[str, dict[Row, list[str]]] = defaultdict(lambda: defaultdict(list))
    for file, readings in python_readings.items():
        for row in _reference(site, file, readings):
            seen[row.uid][row].append(_name(site, file))
    problems = {
        uid: [f"{row} in {', '.join(files)}" for row, files in versions.items()]
        for uid, versions in seen.items()
        if len(versions) > 1
    }
    assert not problems, _report(problems)


def _expected_times(content: Path) -> dict[str, tuple[str, str | None]]:
    """(start, end) of every dated session as the content says it, by UID: Tallinn wall-clock
    times turned into UTC by the tz database, days as days with an exclusive end."""
    loaded = load_content(content)
    host = urlsplit(loaded.config.base_url).hostname
    expected: dict[str, tuple[str, str | None]] = {}
    for programme in loaded.programmes:
        for session in programme.sessions:
            if session.date is None or session.date.day is None:
                continue
            uid = f"{session.id}.{programme.slug}@{host}"
            last = session.end_date or session.date
            if session.start_time is None:
                end_day = last.last_day + dt.timedelta(days=1)
                expected[uid] = (session.date.first_day.isoformat(), end_day.isoformat())
                continue
            start = dt.datetime.combine(session.date.first_day, session.start_time, TALLINN)
            end = (
                dt.datetime.combine(last.first_day, session.end_time, TALLINN)
                if session.end_time is not None
                else None
            )
            expected[uid] = (_utc(start), _utc(end) if end is not None else None)
    return expected


def _utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_the_agreed_times_are_the_ones_the_content_gives(
    content: Path, site: Path, python_readings: dict[Path, dict[str, Reading]]
) -> None:
    expected = _expected_times(content)
    read = {
        row.uid: (row.start, row.end)
        for row in _reference(site, site / "kalender.ics", python_readings[site / "kalender.ics"])
    }
    assert read == expected


@pytest.mark.parametrize("content", ["rich_site"], indirect=True)
def test_the_rich_site_still_exercises_the_feeds(
    site: Path, python_readings: dict[Path, dict[str, Reading]]
) -> None:
    """Guards the fixture: if an edit drops one of the hard cases, the tests above would pass
    without testing it."""
    rows = _reference(site, site / "kalender.ics", python_readings[site / "kalender.ics"])
    timed = [r for r in rows if r.start.endswith("Z")]
    offsets = set()
    for row in timed:
        instant = dt.datetime.fromisoformat(row.start)
        offset = instant.astimezone(TALLINN).utcoffset()
        offsets.add(offset.total_seconds() // 3600 if offset is not None else None)
    assert offsets == {2, 3}, "winter and summer time"
    assert any(r.end is None for r in timed), "a start without an end"
    days = [(dt.date.fromisoformat(r.start), r.end) for r in rows if not r.start.endswith("Z")]
    assert any(
        end is not None
        and dt.date.fromisoformat(end).month != start.month
        and dt.date.fromisoformat(end) - start > dt.timedelta(days=1)
        for start, end in days
    ), "a multi-day event across a month end"
    texts = "".join(str(r.description) + str(r.summary) + str(r.location) for r in rows)
    for needed in ("õ", "ä", "ö", "ü", "š", "ž", "🌲", ",", ";", "\\", "\n"):
        assert needed in texts, needed
    kinds = {f.relative_to(site).parts[0] for f in python_readings if f.parent != site}
    assert kinds >= {"programmid", "teemad"}
    assert any(f.name.startswith("toimumine-") for f in python_readings), "single-event files"
    assert any(b"CONFERENCE" in f.read_bytes() for f in python_readings)


def test_the_comparison_can_fail() -> None:
    """Agreement means something only if the parsers do differ on a doubtful file: a floating
    start (no TZID, no Z) and an all-day end after a timed start are read differently."""
    doubtful = (
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//proov//ET\r\nBEGIN:VEVENT\r\n"
        b"UID:a@example.ee\r\nDTSTAMP:20230101T000000Z\r\nDTSTART:20230323T150000\r\n"
        b"DTEND;VALUE=DATE:20230324\r\nSUMMARY:Proov\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    starts = {
        name: [(r.start, r.end) for r in read(doubtful)] for name, read in PYTHON_READERS.items()
    }
    assert starts["icalendar"] == [("2023-03-23T15:00:00 floating", "2023-03-24")]
    assert starts["ics.py"] == [("2023-03-23T15:00:00Z", "2023-03-24T00:00:00Z")], "UTC"
    assert starts["recurring-ical-events"][0][1] != "2023-03-24"
