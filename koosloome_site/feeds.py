"""iCalendar files: a feed per programme, per topic and for the whole site, and a file per
session for "add to calendar", written line by line (six iCalendar parsers check them in the
tests).

What subscribers in Google, Apple, Outlook and Thunderbird rely on:
- UID `<session id>.<programme slug>@<site host>` is stable as long as the ids are, and the
  same in every file the session is in, so an edited session updates in place and never turns
  into a duplicate.
- SEQUENCE, LAST-MODIFIED and DTSTAMP come from the session's own history (revisions.py):
  editing one session makes only that event newer, and unchanged content gives byte-identical
  files. Nothing depends on the build's clock.
- Only what the content says: a day without a time is an all-day event, a start without an
  end is a moment (no DTEND), a session known only to the month or not yet dated is left out,
  since no calendar can show "some day in March".
- Cancelled sessions stay in the feed with STATUS:CANCELLED, so calendars drop or strike
  them instead of keeping a stale copy.
- Lines are folded here, not by icalendar: a fold never splits a UTF-8 character or a
  backslash escape (some clients drop a feed that does), and it is the costliest step of a
  large build, so each event is serialised once and its bytes reused in every file.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left, insort
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from itertools import chain, compress, count
from operator import attrgetter, is_, is_not, itemgetter
from typing import Any, cast
from urllib.parse import urlsplit

from . import urls
from .calendar_links import basic, event_times
from .memo import Memo
from .model import SESSION_KINDS, TIMEZONE, Content, Programme, Session
from .pages import in_calendar, session_description, session_summary, session_when, session_where
from .revisions import Revision, Revisions
from .write import Data, Joined

PRODID = "-//Sotsiaalse Innovatsiooni Labor//koosloome-site//ET"
REFRESH = "PT6H"  # how often subscribed calendars are asked to look again (a DURATION)
LINE_OCTETS = 75  # RFC 5545 3.1, not counting the CRLF
_END = b"END:VCALENDAR\r\n"
_HEAD = (
    b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:" + PRODID.encode() + b"\r\n"
    b"CALSCALE:GREGORIAN\r\nMETHOD:PUBLISH\r\n"
)
_STATUS = {
    "scheduled": "CONFIRMED",
    "moved_online": "CONFIRMED",
    "postponed": "TENTATIVE",
    "cancelled": "CANCELLED",
}


@dataclass  # (not frozen, as calendar_links.EventTimes: one for each session)
class _Entry:
    """One event, serialised once: where it goes in a feed, whether it needs the time zone."""

    # Local start and uid, as one string: feeds are sorted by it, and one string compares
    # twice as fast as a pair ("\0" sorts before anything else, so the order is the pair's).
    order: str
    timed: bool
    ical: bytes


def feeds(
    content: Content,
    revisions: Revisions,
    memo: Memo[Any] | None = None,
    emit: Callable[[Iterable[dict[str, Data]]], None] | None = None,
) -> dict[str, Data]:
    """Every calendar file of the site: {output path: bytes, or for the feeds of many
    programmes their parts (write.Joined)}. With a `memo`, a programme's events and files
    are made again only when it or its sessions' revisions changed. With `emit`, the files
    are handed to it instead, and not kept: in parts (a programme's each, then a feed
    each), as it takes them from the iterable it is given."""
    memo = Memo() if memo is None else memo
    config = content.config
    base = config.base_url
    files: dict[str, Data] = {}
    if emit is None:
        emit = partial(_update_each, files)
    programmes = content.programmes
    # the same objects when unchanged (map: a preview's rebuild asks for a thousand)
    found = tuple(map(revisions.__getitem__, map(_SLUG, programmes)))
    last = memo.last("programmes")
    earlier: dict[str, list[_Entry]] = {}  # the last build's events, by programme

    def make(i: int) -> tuple[list[_Entry], dict[str, Data]]:
        if last is not None and not earlier:  # (asked only when a programme is made again)
            (last_programmes, _), made_then = cast(_LastEach, last)
            slugs, entries = map(_SLUG, last_programmes), map(_ENTRIES, made_then)
            earlier.update(zip(slugs, entries, strict=True))
        slug = programmes[i].slug
        return _programme_files(programmes[i], base, found[i], earlier.get(slug, ()))

    made = memo.each_one("programmes", (programmes, found), base, make)
    made_entries: list[list[_Entry]] = []

    def each_files() -> Iterator[dict[str, Data]]:
        for entries, own in made:
            made_entries.append(entries)
            yield own

    emit(each_files())  # (one call: a preview's rebuild hands over a thousand parts)
    by_topic: dict[str, list[list[_Entry]]] = {slug: [] for slug in content.topics}
    for topics, entries in zip(map(_TOPICS, programmes), made_entries, strict=True):
        for slug in topics:
            by_topic[slug].append(entries)
    # The feeds of many programmes are made again only when one of them changed.
    for topic in content.topics.values():
        heading = (
            f"{config.title}: {topic.title}",
            f"Programmide toimumised teemal „{topic.title}“.",
            base + urls.topic(topic.slug),
        )
        topic_feed = _many(memo, ("topic", topic.slug), tuple(by_topic[topic.slug]), heading)
        emit(({urls.topic_feed(topic.slug): topic_feed},))
    heading = (config.title, config.description, base)
    site_feed = _many(memo, "site", tuple(made_entries), heading)
    emit(({urls.SITE_FEED: site_feed},))
    return files


def _update_each(files: dict[str, Data], parts: Iterable[dict[str, Data]]) -> None:
    for part in parts:
        files.update(part)


def _programme_files(
    programme: Programme,
    base: str,
    revisions: dict[str, Revision],
    earlier: Iterable[_Entry] = (),
) -> tuple[list[_Entry], dict[str, Data]]:
    """A programme's events, its feed and a file per session. An event equal to one of
    `earlier` (the programme's last events) is that very object: the feeds of many
    programmes then make again only the months whose events are not all the very same
    (`_by_month`), one month of the site's megabytes when one session is edited."""
    host = urlsplit(base).hostname or "localhost"
    page = base + urls.programme(programme.slug)
    entries: list[_Entry] = []
    files: dict[str, Data] = {}
    before = {entry.order: entry for entry in earlier}
    for session in filter(in_calendar, programme.sessions):
        entry = event(programme, session, page, host, revisions[session.id])
        if before.get(entry.order) == entry:
            entry = before[entry.order]
        files[urls.session_event(programme.slug, session.id)] = _single(entry)
        entries.append(entry)
    files[urls.programme_feed(programme.slug)] = _feed(
        programme.title, programme.summary, page, map(_ICAL, sorted(entries, key=_ORDER))
    )
    return entries, files


def _feed(name: str, description: str, url: str, events: Iterable[bytes]) -> bytes:
    """A subscription: named, refreshed regularly. It always carries the time zone, which also
    keeps a feed with no events valid (a calendar needs at least one component)."""
    # One join: a programme's feed is made whole; the many programmes' feeds are made in parts.
    return b"".join([_feed_head(name, description, url), *events, _END])


def _feed_head(name: str, description: str, url: str) -> bytes:
    # NAME is RFC 7986; X-WR-CALNAME and X-WR-CALDESC are what clients read today.
    lines = []
    if description:
        lines += [f"DESCRIPTION:{text(description)}", f"X-WR-CALDESC:{text(description)}"]
    lines += [
        f"NAME:{text(name)}",
        f"X-WR-CALNAME:{text(name)}",
        f"REFRESH-INTERVAL;VALUE=DURATION:{REFRESH}",
        f"URL:{url}",
        f"X-PUBLISHED-TTL:{REFRESH}",
        f"X-WR-TIMEZONE:{TIMEZONE}",
    ]
    return _HEAD + _content(lines) + TALLINN_VTIMEZONE


# The last build's pass over the programmes: (programmes, revisions), each's events and files.
_LastEach = tuple[tuple[tuple[Programme, ...], object], list[tuple[list["_Entry"], object]]]
_ORDER, _ICAL, _SLUG = attrgetter("order"), attrgetter("ical"), attrgetter("slug")
_TOPICS, _ENTRIES = attrgetter("topics"), itemgetter(0)


def _many(
    memo: Memo[Any], name: Hashable, lists: tuple[list[_Entry], ...], heading: tuple[str, str, str]
) -> Joined:
    """The feed of many programmes' events (`lists`, a programme's each); made again only
    when one of them changed, from the order it had then, and with the bytes it had for
    each month whose events are the same. In parts, a month each: the site's feed is
    megabytes, and an edit changes a month or two of it."""

    def make() -> tuple[Joined, list[_Entry], _Months]:
        last = memo.last(name)
        ordered, touched = _ordered(lists, last)
        months = _by_month(ordered, last[1][2] if last is not None else {}, touched)
        feed = Joined([_feed_head(*heading), *map(_BYTES, months.values()), _END])
        return feed, ordered, months

    feed: Joined = memo.get(name, lists, heading, make)[0]
    return feed


# A feed's events month by month, and their bytes: {"2025-03-": (entries, bytes)}.
_Months = dict[str, tuple[list[_Entry], bytes]]
_MONTH = len("2025-03-")  # an entry's order begins with its month
_BYTES = itemgetter(1)


def _by_month(ordered: list[_Entry], before: _Months, touched: set[str] | None) -> _Months:
    """The entries of `ordered` month by month, with their bytes: a month whose entries are
    the very same as `before` (the last feed's) is the very same. `touched`: the only
    months whose entries can differ from `before`'s (None: any)."""
    months: _Months = {}
    start = 0
    while start < len(ordered):
        month = ordered[start].order[:_MONTH]
        end = bisect_left(ordered, month + "\uffff", start, key=_ORDER)
        old = before.get(month)
        untouched = touched is not None and month not in touched
        if old is not None and (
            untouched or (len(old[0]) == end - start and all(map(is_, old[0], ordered[start:end])))
        ):
            months[month] = old
        else:
            entries = ordered[start:end]
            months[month] = entries, b"".join(map(_ICAL, entries))
        start = end
    return months


def _ordered(
    lists: tuple[list[_Entry], ...],
    last: tuple[Sequence[Any], tuple[Joined, list[_Entry], _Months]] | None,
) -> tuple[list[_Entry], set[str] | None]:
    """The entries of `lists` in feed order, and the months whose entries may have changed
    since the `last` feed (None: any). A big site's feed has ten thousand, and an edit
    changes a programme or two: the `last` feed's order is taken (with the lists it was made
    from), without the entries of the lists no longer given, with those of the new lists put
    in place."""
    if last is not None:
        last_lists, (_, ordered, _) = last
        if len(lists) == len(last_lists):  # the same programmes: by place, in C
            places = list(compress(count(), map(is_not, lists, last_lists)))
            gone, came = [last_lists[i] for i in places], [lists[i] for i in places]
        else:
            now, before = {id(x) for x in lists}, {id(x) for x in last_lists}
            gone = [x for x in last_lists if id(x) not in now]
            came = [x for x in lists if id(x) not in before]
        if len(gone) + len(came) <= _FEW:
            ordered = ordered.copy()
            for entry in chain.from_iterable(gone):  # orders are unique: found where they sort
                del ordered[bisect_left(ordered, entry.order, key=_ORDER)]
            for entry in chain.from_iterable(came):  # and put where sorted() puts them
                insort(ordered, entry, key=_ORDER)
            changed = chain.from_iterable(chain(gone, came))
            return ordered, {entry.order[:_MONTH] for entry in changed}
    return sorted(chain.from_iterable(lists), key=_ORDER), None


_FEW = 16  # lists changed, up to which the last order is worth starting from


def _single(entry: _Entry) -> bytes:
    """One event to add once (not a subscription: no name, no refresh)."""
    return _HEAD + (TALLINN_VTIMEZONE if entry.timed else b"") + entry.ical + _END


def _content(lines: list[str]) -> bytes:
    """The lines, each folded and ended with CRLF. Encoded as one text, and only the few
    lines longer than a line may be are folded: a function call and an encoding for each of
    an event's seventeen lines were a seventh of making the calendars. (No line holds a
    line break: `text` and `_parameter` escape them, and addresses have none.)"""
    data = "\r\n".join(lines).encode("utf-8")
    parts = data.split(b"\r\n")
    folded = [part if len(part) <= LINE_OCTETS else _folded(part) for part in parts]
    return b"\r\n".join(folded) + b"\r\n"


def text(value: str) -> str:
    """An RFC 5545 TEXT value: backslash, semicolon and comma escaped, every line break
    (CRLF, LF or a lone CR) written as `\\n`."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def _parameter(value: str) -> str:
    """A parameter value: RFC 6868 escapes (^^, ^', ^n), in quotes when it holds , ; or :."""
    value = value.replace("^", "^^").replace('"', "^'").replace("\r\n", "^n")
    value = value.replace("\n", "^n").replace("\r", "^n")
    return f'"{value}"' if any(c in value for c in ",;:") else value


def _time(value: dt.date) -> str:
    """DTSTART/DTEND after the property name: a local Tallinn time or an all-day date."""
    if isinstance(value, dt.datetime):
        return f";TZID={TIMEZONE}:{basic(value)}"
    return f";VALUE=DATE:{basic(value)}"


def _utc(value: dt.datetime) -> str:
    return basic(value.astimezone(dt.UTC)) + "Z"


def _folded(data: bytes) -> bytes:
    """RFC 5545 folding of a line's UTF-8 bytes, longer than a line may be: at most 75 octets
    per physical line, continuation lines starting with a space, never inside a UTF-8
    character or a backslash escape."""
    parts, start, room = [], 0, LINE_OCTETS
    while len(data) - start > room:
        cut = start + room
        while data[cut] & 0xC0 == 0x80:  # a continuation byte: back up to the character start
            cut -= 1
        backslashes = 0
        while cut - 1 - backslashes >= start and data[cut - 1 - backslashes] == 0x5C:
            backslashes += 1
        if backslashes % 2:  # the last one begins an escape: keep it with what it escapes
            cut -= 1
        parts.append(data[start:cut])
        start, room = cut, LINE_OCTETS - 1  # the leading space takes one octet
    parts.append(data[start:])
    return b"\r\n ".join(parts)


def event(
    programme: Programme,
    session: Session,
    page: str,
    host: str,
    revision: Revision,
) -> _Entry:
    """One session as a VEVENT, serialised; nothing in it depends on the build's clock.

    Written line by line rather than through icalendar's object model, which took half of a
    large build's time; the properties come in icalendar's order (SUMMARY, DTSTART, DTEND,
    DTSTAMP, UID, SEQUENCE, then by name), and six parsers read the result the same way
    (tests/test_feed_parsers.py)."""
    place = session_where(session)
    where, online_url = place
    times = event_times(session)  # the same as in the add-to-calendar links
    when = session_when(session)[0]
    uid = f"{session.id}.{programme.slug}@{host}"
    modified = _utc(revision.modified)
    lines = [
        "BEGIN:VEVENT",
        f"SUMMARY:{text(session_summary(session, programme))}",
        f"DTSTART{_time(times.start)}",
    ]
    if times.end is not None:  # for all-day events the exclusive day after
        lines.append(f"DTEND{_time(times.end)}")
    lines += [
        f"DTSTAMP:{modified}",
        f"UID:{uid}",
        f"SEQUENCE:{revision.sequence}",
        f"CATEGORIES:{text(SESSION_KINDS[session.kind])}",
        "CLASS:PUBLIC",
    ]
    if online_url:  # RFC 7986; the link is in the description too, for clients without it
        label = session.online.platform if session.online and session.online.platform else ""
        label = _parameter(label or "Veebikohtumine")
        lines.append(f"CONFERENCE;FEATURE=VIDEO;LABEL={label};VALUE=URI:{online_url}")
    lines += [
        f"CREATED:{_utc(revision.created)}",
        f"DESCRIPTION:{text(session_description(session, programme, page, when, place))}",
        f"LAST-MODIFIED:{modified}",
    ]
    if where:
        lines.append(f"LOCATION:{text(where)}")
    lines.append(f"STATUS:{_STATUS[session.status]}")
    if session.kind == "deadline":
        lines.append("TRANSP:TRANSPARENT")  # a deadline does not make anyone busy
    lines += [f"URL:{page}#toimumine-{session.id}", "END:VEVENT"]
    start = times.start
    timed = isinstance(start, dt.datetime)
    day = start.replace(tzinfo=None) if isinstance(start, dt.datetime) else start
    return _Entry(f"{day.isoformat()}\0{uid}", timed, _content(lines))


# Europe/Tallinn as recurring rules, the form every client understands (Outlook handles RDATE
# lists and many observances poorly): EU summer time since 2002, from the last Sunday of March
# 03.00 to the last Sunday of October 04.00 local time. Validation refuses timed sessions from
# before SUMMER_TIME_RULES_SINCE. Written out rather than made with icalendar's Timezone:
# importing icalendar took 20 ms of every big build's calendar process (tests parse this with
# icalendar and check it against the tz database).
TALLINN_VTIMEZONE = (
    "BEGIN:VTIMEZONE\r\n"
    f"TZID:{TIMEZONE}\r\n"
    f"X-LIC-LOCATION:{TIMEZONE}\r\n"
    "BEGIN:DAYLIGHT\r\n"
    "DTSTART:20020331T030000\r\n"
    "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3\r\n"
    "TZNAME:EEST\r\n"
    "TZOFFSETFROM:+0200\r\n"
    "TZOFFSETTO:+0300\r\n"
    "END:DAYLIGHT\r\n"
    "BEGIN:STANDARD\r\n"
    "DTSTART:20021027T040000\r\n"
    "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10\r\n"
    "TZNAME:EET\r\n"
    "TZOFFSETFROM:+0300\r\n"
    "TZOFFSETTO:+0200\r\n"
    "END:STANDARD\r\n"
    "END:VTIMEZONE\r\n"
).encode()
