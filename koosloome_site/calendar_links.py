"""Links into people's calendars: subscribe to a feed, or add one session once.

Google Calendar and Outlook on the web take a subscription or a new event through a link;
Apple Calendar, desktop Outlook and Thunderbird subscribe through `webcal://`, and any calendar
can open a downloaded `.ics` file. These links copy the session; they never update, which the
pages say, and the feeds (feeds.py) are what keeps a calendar current.

Content times are Europe/Tallinn wall-clock times; the links carry them in UTC, which both
Google and Outlook read without guessing a time zone. Pure functions of their arguments.
"""

from __future__ import annotations

import datetime as dt
import functools
import string
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from .model import TIMEZONE, Session

GOOGLE = "https://calendar.google.com/calendar/render"
OUTLOOK_COM = "https://outlook.live.com/calendar/0/"  # personal Microsoft accounts
MICROSOFT_365 = "https://outlook.office.com/calendar/0/"  # work and school accounts
# Google needs an end; a session announced with only a start gets this much in Google.
GOOGLE_DEFAULT_LENGTH = dt.timedelta(hours=1)

_ZONE = ZoneInfo(TIMEZONE)


_UNRESERVED = (string.ascii_letters + string.digits + "_.-~").encode()


def _escapes(safe: bytes) -> list[str]:
    """Each byte as `urllib.parse.quote(..., safe=safe)` writes it, by the byte's value (a
    list: str.translate looks each character up in it, twice as fast as in a dict)."""
    kept = frozenset(_UNRESERVED + safe)
    return [chr(byte) if byte in kept else f"%{byte:02X}" for byte in range(256)]


_ESCAPES, _ESCAPES_PATH = _escapes(b""), _escapes(b":/")


def encode(text: str) -> str:
    """Percent-encode everything but the unreserved characters, as `quote(text, safe="")`,
    line by line: most lines of a session's description are those of the programme's
    other sessions (its title, its page, the place), and each is encoded once."""
    return "%0A".join(map(_encoded_line, text.split("\n")))


@functools.lru_cache(maxsize=1 << 12)
def _encoded_line(line: str) -> str:
    """The UTF-8 bytes, read as Latin-1 (a character per byte), through a table of 256. In
    C, twice as fast as `quote`, which handles every byte in Python."""
    return _quoted(line, _ESCAPES)


def _quoted(text: str, escapes: list[str]) -> str:
    """`quote(text, safe=...)` by one of the tables above (`quote` took 2% of a big build)."""
    return text.encode().decode("latin-1").translate(escapes)


@dataclass(frozen=True)
class FeedLinks:
    """Every way to subscribe to one feed."""

    name: str  # the calendar's name, as the feed's X-WR-CALNAME
    path: str  # site-relative address of the .ics file, for the download link
    address: str  # absolute https address, shown for copying
    webcal: str  # Apple Calendar, desktop Outlook, Thunderbird: the system's calendar app
    google: str
    outlook: str  # Outlook.com
    office: str  # Microsoft 365


@functools.lru_cache(maxsize=1 << 14)  # the calendars page lists every feed, build after build
def feed_links(base_url: str, path: str, name: str) -> FeedLinks:
    address = base_url + path
    webcal = "webcal://" + address.split("://", 1)[1]
    # Google: undocumented but long-standing, `cid` with a webcal address offers to subscribe.
    google = f"{GOOGLE}?cid={_quoted(webcal, _ESCAPES_PATH)}"
    add_from_web = f"url={_quoted(address, _ESCAPES)}&name={_quoted(name, _ESCAPES)}"
    return FeedLinks(
        name=name,
        path=path,
        address=address,
        webcal=webcal,
        google=google,
        outlook=f"{OUTLOOK_COM}addfromweb?{add_from_web}",
        office=f"{MICROSOFT_365}addfromweb?{add_from_web}",
    )


# Not frozen: a frozen dataclass's __init__ sets each field through object.__setattr__, and
# these are made for every session on every page and in every feed (frozen, they and the
# views in pages.py took 2% of a big build's instructions). Nothing changes them once made.
@dataclass
class EventTimes:
    """When a session is, as its calendar event says: Europe/Tallinn moments for a session with
    a time (`end` None when only the start is known), or all-day dates with an exclusive end.
    The feeds write the moments with TZID; the links convert them to UTC."""

    start: dt.datetime | dt.date
    end: dt.datetime | dt.date | None

    @property
    def all_day(self) -> bool:
        return not isinstance(self.start, dt.datetime)


def event_times(session: Session) -> EventTimes:
    """When the session is, for its event in the feeds and for the links."""
    assert session.date is not None and session.date.day is not None, "only dated sessions"
    day = session.date.first_day
    if session.start_time is not None:
        start = dt.datetime.combine(day, session.start_time, _ZONE)
        end = None
        if session.end_time is not None:
            last = (session.end_date or session.date).first_day
            end = dt.datetime.combine(last, session.end_time, _ZONE)
        return EventTimes(start, end)
    last_day = (session.end_date or session.date).last_day
    return EventTimes(day, last_day + dt.timedelta(days=1))


def basic(moment: dt.date) -> str:
    """`20250126T100000` for a datetime (without its offset), `20250126` for a date: the
    basic format of iCalendar and of Google's links. (A big site writes ten of these per
    session: %-formatting the fields took half as long as isoformat and its replacements,
    a third of strftime, and half of an f-string's `{:02d}`s.)"""
    if isinstance(moment, dt.datetime):
        return "%04d%02d%02dT%02d%02d%02d" % _fields(moment)  # noqa: UP031 - see above
    return "%04d%02d%02d" % (moment.year, moment.month, moment.day)  # noqa: UP031


def _extended(moment: dt.datetime) -> str:
    """`2025-01-26T10:00:00`: a datetime without its offset, as Outlook's links take it."""
    return "%04d-%02d-%02dT%02d:%02d:%02d" % _fields(moment)  # noqa: UP031


def _fields(moment: dt.datetime) -> tuple[int, int, int, int, int, int]:
    return moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second


@dataclass  # (not frozen: see EventTimes)
class EventLinks:
    """Every way to add one session to a calendar once."""

    ics: str  # site-relative address of the session's own .ics file
    google: str
    outlook: str  # Outlook.com
    office: str  # Microsoft 365


def event_links(
    ics: str, times: EventTimes, summary: str, description: str, location: str
) -> EventLinks:
    # Each text is encoded once and shared by the three links: on a large site this is most of
    # the work of planning a programme page.
    text, details = encode(summary), encode(description)
    place = f"&location={encode(location)}" if location else ""
    if isinstance(times.start, dt.datetime):
        start = times.start.astimezone(dt.UTC)
        end = times.end.astimezone(dt.UTC) if isinstance(times.end, dt.datetime) else None
        google_end = end or start + GOOGLE_DEFAULT_LENGTH
        dates = f"{basic(start)}Z/{basic(google_end)}Z"
        span = f"startdt={_extended(start)}Z"
        if end is not None:  # without an end Outlook picks its own length
            span += f"&enddt={_extended(end)}Z"
    else:
        assert isinstance(times.end, dt.date)
        dates = f"{basic(times.start)}/{basic(times.end)}"
        span = f"startdt={times.start.isoformat()}&enddt={times.end.isoformat()}&allday=true"
    google = f"{GOOGLE}?action=TEMPLATE&text={text}&dates={dates}&details={details}{place}"
    outlook = f"action/compose?rru=addevent&subject={text}&{span}&body={details}{place}"
    return EventLinks(
        ics=ics, google=google, outlook=OUTLOOK_COM + outlook, office=MICROSOFT_365 + outlook
    )
