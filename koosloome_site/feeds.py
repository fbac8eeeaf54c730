"""iCalendar feeds: one per programme and one for the whole site, built in code (icalendar).

What subscribers in Google, Apple, Outlook and Thunderbird rely on:
- UID `<session id>.<programme slug>@<site host>` is stable as long as the ids are, so an
  edited session updates in place and never turns into a duplicate.
- DTSTAMP and LAST-MODIFIED are when the programme's file last changed (from git), and
  SEQUENCE grows with that time: unchanged content gives byte-identical feeds, and a changed
  session is seen as a newer version of the same event.
- Only what the content says: a day without a time is an all-day event, a start without an
  end is a moment (no DTEND), a session known only to the month or not yet dated is left out,
  since no calendar can show "some day in March".
- Cancelled sessions stay in the feed with STATUS:CANCELLED, so calendars drop or strike
  them instead of keeping a stale copy.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import icalendar

from . import urls
from .dates import format_deadline
from .model import SESSION_KINDS, SESSION_STATUSES, TIMEZONE, Content, Programme, Session
from .pages import session_when, session_where

PRODID = "-//Sotsiaalse Innovatsiooni Labor//koosloome-site//ET"
REFRESH = dt.timedelta(hours=6)  # how often subscribed calendars are asked to look again
_STATUS = {
    "scheduled": "CONFIRMED",
    "moved_online": "CONFIRMED",
    "postponed": "TENTATIVE",
    "cancelled": "CANCELLED",
}


def in_feed(session: Session) -> bool:
    return session.date is not None and session.date.day is not None


def feeds(content: Content, changed: dict[Path, dt.datetime]) -> dict[str, bytes]:
    """Every feed of the site: {output path: bytes}."""
    config = content.config
    host = urlsplit(config.base_url).hostname or "localhost"
    files: dict[str, bytes] = {}
    everything: list[_Serialised] = []
    for programme in content.programmes:
        page = config.base_url + urls.programme(programme.slug)
        modified = changed[programme.source].astimezone(dt.UTC)
        events = [
            _serialise(_event(programme, session, page, host, modified))
            for session in programme.sessions
            if in_feed(session)
        ]
        files[urls.programme_feed(programme.slug)] = _calendar(
            programme.title, programme.summary, page, events
        )
        everything += events
    files[urls.SITE_FEED] = _calendar(config.title, config.description, config.base_url, everything)
    return files


# An event's place in the feed (start, uid), whether it has a clock time, and its iCalendar
# text. Each event is serialised once and reused in the site-wide feed: icalendar's line
# folding is the slowest step of a build.
_Serialised = tuple[tuple[str, str], bool, bytes]


def _serialise(event: icalendar.Event) -> _Serialised:
    start = event.decoded("dtstart")
    timed = isinstance(start, dt.datetime)
    day = start.replace(tzinfo=None) if timed else start
    return (day.isoformat(), str(event["uid"])), timed, bytes(event.to_ical())


def _calendar(name: str, description: str, url: str, events: list[_Serialised]) -> bytes:
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("name", name)  # RFC 7986; the X-WR- names below are what clients read today
    calendar.add("x-wr-calname", name)
    if description:
        calendar.add("description", description)
        calendar.add("x-wr-caldesc", description)
    calendar.add("x-wr-timezone", TIMEZONE)
    calendar.add("url", url)
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", icalendar.vDuration(REFRESH))
    if any(timed for _, timed, _ in events):
        calendar.add_component(tallinn_timezone())
    head, end = bytes(calendar.to_ical()).rsplit(b"END:VCALENDAR", 1)
    body = b"".join(text for _, _, text in sorted(events, key=lambda e: e[0]))
    return head + body + b"END:VCALENDAR" + end


def _event(
    programme: Programme,
    session: Session,
    page: str,
    host: str,
    modified: dt.datetime,
) -> icalendar.Event:
    """One session as an event; nothing in it depends on the build's clock."""
    assert session.date is not None and session.date.day is not None
    where, online_url = session_where(session)
    event = icalendar.Event()
    event.add("uid", f"{session.id}.{programme.slug}@{host}")
    event.add("dtstamp", modified)
    event.add("last-modified", modified)
    event.add("sequence", int(modified.timestamp()) // 60)  # minutes: grows with every edit

    day = session.date.first_day
    if session.start_time is not None:
        tz = ZoneInfo(TIMEZONE)
        event.add("dtstart", dt.datetime.combine(day, session.start_time, tz))
        if session.end_time is not None:
            last = (session.end_date or session.date).first_day
            event.add("dtend", dt.datetime.combine(last, session.end_time, tz))
    else:
        last = (session.end_date or session.date).last_day
        event.add("dtstart", day)
        event.add("dtend", last + dt.timedelta(days=1))  # all-day ends are exclusive

    title = session.title or SESSION_KINDS[session.kind]
    if session.kind == "deadline":
        assert session.deadline is not None
        title = f"Tähtaeg: {title} ({format_deadline(session.date, session.deadline)})"
        event.add("transp", "TRANSPARENT")  # a deadline does not make anyone busy
    if session.status != "scheduled":
        title = f"{SESSION_STATUSES[session.status].upper()}: {title}"
    event.add("summary", f"{title} – {programme.title}")
    event.add("status", _STATUS[session.status])
    if where:
        event.add("location", where)
    event.add("categories", [SESSION_KINDS[session.kind]])
    event.add("class", "PUBLIC")
    event.add("url", f"{page}#toimumine-{session.id}")
    event.add("description", _description(session, programme, page, where, online_url))
    return event


def _description(
    session: Session, programme: Programme, page: str, where: str, online_url: str | None
) -> str:
    lines = [programme.title, f"Aeg: {session_when(session)[0]}"]
    if where:
        lines.append(f"Koht: {where}" + (f" ({online_url})" if online_url else ""))
    if session.group:
        lines.append(f"Grupp: {programme.groups[session.group]}")
    if session.status != "scheduled":
        lines.append(f"Olek: {SESSION_STATUSES[session.status]}")
    if session.notes:
        lines += ["", session.notes]
    if session.registration:
        lines += ["", f"{session.registration.label}: {session.registration.url}"]
    lines += ["", f"Lisainfo: {page}"]
    return "\n".join(lines)


def tallinn_timezone() -> icalendar.Timezone:
    """Europe/Tallinn as recurring rules, the form every client understands (Outlook handles
    RDATE lists poorly): EU summer time since 2002, from the last Sunday of March 03.00 to the
    last Sunday of October 04.00 local time. Tested against the tz database."""
    timezone = icalendar.Timezone()
    timezone.add("tzid", TIMEZONE)
    timezone.add("x-lic-location", TIMEZONE)
    for part, name, before, after, start, month in (
        (icalendar.TimezoneDaylight, "EEST", 2, 3, dt.datetime(2002, 3, 31, 3), 3),
        (icalendar.TimezoneStandard, "EET", 3, 2, dt.datetime(2002, 10, 27, 4), 10),
    ):
        rule = part()
        rule.add("tzname", name)
        rule.add("tzoffsetfrom", dt.timedelta(hours=before))
        rule.add("tzoffsetto", dt.timedelta(hours=after))
        rule.add("dtstart", start)
        rule.add("rrule", {"freq": "yearly", "bymonth": month, "byday": "-1su"})
        timezone.add_component(rule)
    return timezone
