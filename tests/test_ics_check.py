"""The strict iCalendar checker (tests/ics_check.py) finds each broken rule in a small
hand-written file, and passes the good ones: a checker that finds nothing proves nothing."""

from __future__ import annotations

import pytest

from tests.ics_check import EVENT_REQUIRED, findings

# A feed that follows every rule: a timed online event, a deadline, escapes and folds that are
# in the right places (a fold right before an escape and after a multi-byte character).
FEED = """\
BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Proov//koosloome-site//ET
CALSCALE:GREGORIAN
METHOD:PUBLISH
NAME:Proovilabor\\, 2023
X-WR-CALNAME:Proovilabor\\, 2023
DESCRIPTION:Kirjeldus\\; kõik siin
X-WR-CALDESC:Kirjeldus\\; kõik siin
URL:https://example.ee/programmid/proov/
REFRESH-INTERVAL;VALUE=DURATION:PT6H
X-PUBLISHED-TTL:PT6H
BEGIN:VTIMEZONE
TZID:Europe/Tallinn
BEGIN:DAYLIGHT
DTSTART:20020331T030000
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3
TZNAME:EEST
TZOFFSETFROM:+0200
TZOFFSETTO:+0300
END:DAYLIGHT
BEGIN:STANDARD
DTSTART:20021027T040000
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10
TZNAME:EET
TZOFFSETFROM:+0300
TZOFFSETTO:+0200
END:STANDARD
END:VTIMEZONE
BEGIN:VEVENT
UID:infopaev.proov@example.ee
DTSTAMP:20230101T120000Z
CREATED:20230101T120000Z
LAST-MODIFIED:20230101T120000Z
SEQUENCE:2
DTSTART;TZID=Europe/Tallinn:20230323T150000
DTEND;TZID=Europe/Tallinn:20230323T163000
SUMMARY:Infopäev\\, veebis
LOCATION:Veebis\\, Zoom
CONFERENCE;VALUE=URI;FEATURE=VIDEO;LABEL=Zoom:https://zoom.us/j/123
CATEGORIES:Infopäev
CLASS:PUBLIC
DESCRIPTION:Proovilabor\\nKoht: Veebis\\, Zoom (https://zoom.us/j/123)\\n
 \\nKaust C:\\\\kogukond\\\\failid\\; öö ja õuealadel käib töö
 täie hooga\\, üle kõigi ööde
STATUS:CONFIRMED
URL:https://example.ee/programmid/proov/#toimumine-infopaev
END:VEVENT
BEGIN:VEVENT
UID:osalemissoov.proov@example.ee
DTSTAMP:20230101T120000Z
LAST-MODIFIED:20230101T120000Z
SEQUENCE:0
DTSTART;VALUE=DATE:20230330
DTEND;VALUE=DATE:20230331
SUMMARY:Tähtaeg: osalemissoov (enne 30. märtsi 2023)
CATEGORIES:Tähtaeg
TRANSP:TRANSPARENT
DESCRIPTION:Anna teada.
STATUS:CONFIRMED
URL:https://example.ee/programmid/proov/#toimumine-osalemissoov
END:VEVENT
BEGIN:VEVENT
UID:algus.proov@example.ee
DTSTAMP:20230101T120000Z
LAST-MODIFIED:20230101T120000Z
SEQUENCE:0
DTSTART;TZID=Europe/Tallinn:20230615T180000
SUMMARY:Algab kell kuus
DESCRIPTION:Lõpp ei ole teada.
STATUS:CANCELLED
URL:https://example.ee/programmid/proov/#toimumine-algus
END:VEVENT
END:VCALENDAR
"""

_FEED_ONLY_LINES = (
    "NAME:Proovilabor\\, 2023\n",
    "X-WR-CALNAME:Proovilabor\\, 2023\n",
    "X-WR-CALDESC:Kirjeldus\\; kõik siin\n",
    "REFRESH-INTERVAL;VALUE=DURATION:PT6H\n",
    "X-PUBLISHED-TTL:PT6H\n",
)


def _single_event() -> str:
    """The first event alone, as a file for "add to calendar"."""
    text = FEED
    for line in _FEED_ONLY_LINES:
        text = text.replace(line, "")
    head, _, rest = text.partition("BEGIN:VEVENT\n")
    first, _, _ = rest.partition("END:VEVENT\n")
    return f"{head}BEGIN:VEVENT\n{first}END:VEVENT\nEND:VCALENDAR\n"


SINGLE = _single_event()
_DEADLINE_EVENT = FEED[
    FEED.index("BEGIN:VEVENT\nUID:osalemissoov") : FEED.index("BEGIN:VEVENT\nUID:algus")
]


def crlf(text: str) -> bytes:
    return text.replace("\n", "\r\n").encode("utf-8")


def edit(old: str, new: str, text: str = FEED) -> bytes:
    """The good file with one change, which must apply."""
    assert text.count(old) == 1, f"{old!r} must occur once"
    return crlf(text.replace(old, new))


def fold_inside(pattern: str) -> bytes:
    """The good feed with a fold after the first octet of `pattern`: inside a character or an
    escape, where no fold may be."""
    data = crlf(FEED)
    at = data.index(pattern.encode("utf-8")) + 1
    return data[:at] + b"\r\n " + data[at:]


def drop(name: str, text: str = FEED) -> bytes:
    """The file without the first line that starts with `name:` or `name;`."""
    lines = text.splitlines(keepends=True)
    index = next(i for i, line in enumerate(lines) if line.startswith((name + ":", name + ";")))
    return crlf("".join(lines[:index] + lines[index + 1 :]))


def test_good_feed_and_single_event_file_pass() -> None:
    assert findings(crlf(FEED), single_event=False) == []
    assert findings(crlf(SINGLE), single_event=True) == []


def test_the_good_feed_folds_next_to_escapes_and_characters() -> None:
    """The sample does test folds: one falls right before an escape, one after an ö."""
    data = crlf(FEED)
    assert b"(https://zoom.us/j/123)\\n\r\n \\nKaust" in data
    assert "töö\r\n täie".encode() in data


def _event_without(name: str) -> bytes:
    """The first event (the one with every property) without `name`."""
    head, _, rest = FEED.partition("BEGIN:VEVENT\n")
    return crlf(head + "BEGIN:VEVENT\n") + drop(name, rest)


BROKEN: list[tuple[str, bytes, bool, str]] = [
    # (id, file, single_event, a part of the expected finding)
    ("LF line ends", FEED.encode(), False, "74 lines end in a bare LF"),
    ("no final CRLF", crlf(FEED).removesuffix(b"\r\n"), False, "does not end with CRLF"),
    ("raw CR", edit("\\nKoht:", "\rKoht:"), False, "raw CR"),
    ("long line", edit("SUMMARY:Infopäev\\, veebis", "SUMMARY:" + "x" * 68), False, "76 octets"),
    ("fold inside ä", fold_inside("äev\\, veebis"), False, "splits a UTF-8 character"),
    ("line not UTF-8", fold_inside("äev\\, veebis"), False, "not valid UTF-8 on its own"),
    ("fold inside \\,", fold_inside("\\, veebis"), False, "splits the escape '\\\\,'"),
    ("fold inside \\\\", fold_inside("\\\\failid"), False, "splits the escape '\\\\\\\\'"),
    ("fold inside \\n", fold_inside("\\nKoht"), False, "splits the escape '\\\\n'"),
    ("no PRODID", drop("PRODID"), False, "VCALENDAR: missing PRODID"),
    ("VERSION 1.0", edit("VERSION:2.0", "VERSION:1.0"), False, "not 2.0"),
    ("METHOD", edit("METHOD:PUBLISH", "METHOD:REQUEST"), False, "not PUBLISH"),
    *((f"no {name}", _event_without(name), False, f"missing {name}") for name in EVENT_REQUIRED),
    (
        "DTSTAMP local",
        edit("DTSTAMP:20230101T120000Z\nCREATED", "DTSTAMP:20230101T120000\nCREATED"),
        False,
        "DTSTAMP must be a UTC time",
    ),
    (
        "LAST-MODIFIED with TZID",
        edit(
            "LAST-MODIFIED:20230101T120000Z\nSEQUENCE:2",
            "LAST-MODIFIED;TZID=Europe/Tallinn:20230101T120000\nSEQUENCE:2",
        ),
        False,
        "LAST-MODIFIED must be a UTC time",
    ),
    (
        "floating",
        edit("DTSTART;TZID=Europe/Tallinn:20230323", "DTSTART:20230323"),
        False,
        "floating",
    ),
    (
        "UTC start",
        edit("DTSTART;TZID=Europe/Tallinn:20230323T150000", "DTSTART:20230323T130000Z"),
        False,
        "is UTC",
    ),
    (
        "another zone",
        edit("DTEND;TZID=Europe/Tallinn:20230323", "DTEND;TZID=Europe/Riga:20230323"),
        False,
        "TZID=Europe/Riga, not Europe/Tallinn",
    ),
    (
        "no VTIMEZONE",
        crlf(FEED.replace(FEED[FEED.index("BEGIN:VTIMEZONE") : FEED.index("BEGIN:VEVENT")], "")),
        False,
        "no VTIMEZONE for it",
    ),
    (
        "date without VALUE=DATE",
        edit("DTSTART;VALUE=DATE:20230330", "DTSTART:20230330"),
        False,
        "date without VALUE=DATE",
    ),
    (
        "no such day",
        edit("DTEND;VALUE=DATE:20230331", "DTEND;VALUE=DATE:20230332"),
        False,
        "is not a DATE",
    ),
    (
        "all-day end not after start",
        edit("DTEND;VALUE=DATE:20230331", "DTEND;VALUE=DATE:20230330"),
        False,
        "is not after DTSTART",
    ),
    (
        "all-day without end",
        edit("DTEND;VALUE=DATE:20230331\n", ""),
        False,
        "all-day event without DTEND",
    ),
    (
        "mixed start and end",
        edit("DTEND;VALUE=DATE:20230331", "DTEND;TZID=Europe/Tallinn:20230331T000000"),
        False,
        "not both DATE",
    ),
    (
        "timed end before start",
        edit(
            "DTEND;TZID=Europe/Tallinn:20230323T163000", "DTEND;TZID=Europe/Tallinn:20230323T140000"
        ),
        False,
        "is not after DTSTART",
    ),
    ("opaque deadline", edit("TRANSP:TRANSPARENT\n", ""), False, "TRANSP:TRANSPARENT"),
    (
        "timed deadline",
        edit(
            "DTSTART;VALUE=DATE:20230330\nDTEND;VALUE=DATE:20230331",
            "DTSTART;TZID=Europe/Tallinn:20230330T120000",
        ),
        False,
        "a deadline must be all-day",
    ),
    *(
        (f"feed without {name}", drop(name), False, f"feed: missing {name}")
        for name in ("NAME", "X-WR-CALNAME", "REFRESH-INTERVAL", "X-PUBLISHED-TTL", "URL", "METHOD")
    ),
    (
        "REFRESH-INTERVAL untyped",
        edit("REFRESH-INTERVAL;VALUE=DURATION:PT6H", "REFRESH-INTERVAL:PT6H"),
        False,
        "needs VALUE=DURATION",
    ),
    (
        "names differ",
        edit("X-WR-CALNAME:Proovilabor\\, 2023", "X-WR-CALNAME:Proovilabor 2024"),
        False,
        "NAME and X-WR-CALNAME differ",
    ),
    (
        "description alone",
        edit("X-WR-CALDESC:Kirjeldus\\; kõik siin\n", ""),
        False,
        "DESCRIPTION and X-WR-CALDESC must come together",
    ),
    *(
        (
            f"single event with {line.split(':')[0]}",
            edit("PRODID", line + "PRODID", SINGLE),
            True,
            "belongs to feeds only",
        )
        for line in _FEED_ONLY_LINES
    ),
    (
        "single-event file with two events",
        edit("END:VCALENDAR", _DEADLINE_EVENT + "END:VCALENDAR", SINGLE),
        True,
        "2 VEVENTs",
    ),
    (
        "VALARM",
        edit(
            "END:VEVENT\nBEGIN:VEVENT\nUID:osalemissoov",
            "BEGIN:VALARM\nACTION:DISPLAY\nTRIGGER:-PT15M\nDESCRIPTION:x\nEND:VALARM\n"
            "END:VEVENT\nBEGIN:VEVENT\nUID:osalemissoov",
        ),
        False,
        "VALARM",
    ),
    (
        "same UID twice",
        edit("UID:osalemissoov.proov@example.ee", "UID:infopaev.proov@example.ee"),
        False,
        "UID infopaev.proov@example.ee already used",
    ),
    (
        "comma in SUMMARY",
        edit("SUMMARY:Infopäev\\, veebis", "SUMMARY:Infopäev, veebis"),
        False,
        "SUMMARY: unescaped ','",
    ),
    (
        "semicolon in LOCATION",
        edit("LOCATION:Veebis\\, Zoom", "LOCATION:Veebis; Zoom"),
        False,
        "LOCATION: unescaped ';'",
    ),
    (
        "comma in DESCRIPTION",
        edit("DESCRIPTION:Anna teada.", "DESCRIPTION:Anna, teada."),
        False,
        "DESCRIPTION: unescaped ','",
    ),
    (
        "stray backslash",
        edit("DESCRIPTION:Anna teada.", "DESCRIPTION:C:\\kaust"),
        False,
        "backslash that starts no escape",
    ),
    (
        "semicolon in CATEGORIES",
        edit("CATEGORIES:Tähtaeg", "CATEGORIES:Tähtaeg;x"),
        False,
        "CATEGORIES: unescaped ';'",
    ),
    (
        "control character",
        edit("DESCRIPTION:Anna teada.", "DESCRIPTION:Anna\x0bteada."),
        False,
        "control character",
    ),
    ("status", edit("STATUS:CANCELLED", "STATUS:DROPPED"), False, "STATUS 'DROPPED'"),
    ("SEQUENCE", edit("SEQUENCE:2", "SEQUENCE:-1"), False, "SEQUENCE '-1'"),
    (
        "summary twice",
        edit("SUMMARY:Algab kell kuus", "SUMMARY:Algab\nSUMMARY:kell kuus"),
        False,
        "SUMMARY 2 times",
    ),
    (
        "conference link not described",
        edit("(https://zoom.us/j/123)", "(Zoom)"),
        False,
        "CONFERENCE link is not in DESCRIPTION",
    ),
    (
        "conference not a URI",
        edit("CONFERENCE;VALUE=URI;", "CONFERENCE;"),
        False,
        "CONFERENCE needs VALUE=URI",
    ),
    (
        "event never closed",
        crlf(FEED).replace(b"END:VEVENT\r\nEND:VCALENDAR", b"END:VCALENDAR"),
        False,
        "does not close",
    ),
    ("two calendars", crlf(FEED) * 2, False, "exactly one VCALENDAR"),
]


@pytest.mark.parametrize(
    ("broken", "single_event", "expected"),
    [pytest.param(data, single, expected, id=name) for name, data, single, expected in BROKEN],
)
def test_each_broken_rule_is_found(broken: bytes, single_event: bool, expected: str) -> None:
    found = findings(broken, single_event)
    assert any(expected in finding for finding in found), found
