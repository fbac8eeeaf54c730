"""Plan the pages: from the validated model to one explicit context per page.

Templates receive ready-to-print views (Estonian wording, resolved references, status relative
to the build's "now"), so they hold no logic and every wording decision lives here, testable.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from functools import partial
from itertools import chain, compress, count, repeat
from operator import attrgetter, is_not
from pathlib import Path
from typing import Any

from markupsafe import Markup

from . import structured_data, timeline, urls
from .calendar_links import EventLinks, FeedLinks, event_links, event_times, feed_links
from .dates import (
    PartialDate,
    format_day,
    format_deadline,
    format_span,
    format_time_range,
    month_name,
)
from .markup import to_html
from .memo import Memo
from .model import (
    SESSION_KINDS,
    SESSION_STATUSES,
    Content,
    Link,
    Organisation,
    Person,
    Programme,
    Session,
    Topic,
)
from .publish import hidden

UNDATED = "Aeg täpsustamisel"
STATE_LABELS = {"current": "Käimas", "upcoming": "Tulemas", "past": "Lõppenud"}
DRAFT = "Mustand"


@dataclass(frozen=True)
class Page:
    path: str  # address relative to the site root, see urls.py
    template: str
    context: dict[str, Any]
    sources: tuple[Path, ...]  # content files the page is made from
    # The rest of a big page's context, made when the page is rendered and dropped after:
    # a thousand programme pages' contexts held at once were 90 MB.
    more: Callable[[], dict[str, Any]] | None = None
    changed: dt.datetime | None = None  # when the newest of `sources` changed (a programme's)

    def full_context(self) -> dict[str, Any]:
        return self.context if self.more is None else {**self.context, **self.more()}


# A page's views (SessionView, ScheduleGroup, OverviewEntry) are not frozen: see
# calendar_links.EventTimes. Each is made for the pages that show it, which only read it.
@dataclass
class SessionView:
    id: str
    title: str
    kind: str
    kind_label: str
    when: str
    datetime: str  # for <time datetime>; "" when not scheduled
    where: str
    online_url: str | None
    group: str | None
    status: str
    status_label: str | None  # only when not "scheduled"
    past: bool
    deadline_status: str | None
    registration: Link | None
    registration_open: bool
    notes_html: str
    in_calendar: bool  # an event in the feeds (dated to the day), even when cancelled
    # "Add to calendar" links; None when the session is not in the feeds or is cancelled.
    add: EventLinks | None
    add_label: str  # names the session in those links for screen readers: "Infopäev, <when>"
    # The deadline's last day (ISO), for freshness.js to recount the days left in the browser.
    deadline_last_day: str = ""


@dataclass
class ScheduleGroup:
    heading: str
    sessions: list[SessionView] = field(default_factory=list)


@dataclass(frozen=True)
class ProgrammeCard:
    slug: str
    title: str
    url: str
    summary: str
    when: str
    state: str
    state_label: str
    start: dt.date  # for ordering
    end: dt.date  # with start: the state can be recomputed in the browser (freshness.js)
    notice: str | None = None  # preview only: "Mustand", "Avaldatakse 15. jaanuaril 2027"


def programme_span(programme: Programme) -> tuple[dt.date, dt.date]:
    """First and last day the programme is active: its period widened by its sessions
    (an info day or a final seminar may fall outside the announced period)."""
    days = [programme.start.first_day, programme.end.last_day]
    for s in programme.sessions:
        if s.date:
            days += [s.date.first_day, (s.end_date or s.date).last_day]
    return min(days), max(days)


def programme_state(programme: Programme, today: dt.date) -> str:
    if today < programme.start.first_day:
        return "upcoming"
    return "past" if today > programme_span(programme)[1] else "current"


def card(programme: Programme, today: dt.date) -> ProgrammeCard:
    state = programme_state(programme, today)
    notice = programme_notice(programme, today)
    return ProgrammeCard(
        slug=programme.slug,
        title=programme.title,
        url=urls.programme(programme.slug),
        summary=programme.summary,
        when=format_span(programme.start, programme.end),
        state=state,
        state_label=STATE_LABELS[state],
        start=programme.start.first_day,
        end=programme_span(programme)[1],
        notice=_label(notice),
    )


# What is not public reaches the pages only in the preview (publish.py); there it is marked,
# so that an editor never mistakes it for what the public sees.


def format_on_day(day: dt.date) -> str:
    """`15. jaanuaril 2027`: the adessive, which is the genitive (`enne 15. jaanuari`) + l."""
    genitive = format_deadline(PartialDate(day.year, day.month, day.day), "before")
    head, year = genitive.removeprefix("enne ").rsplit(" ", 1)
    return f"{head}l {year}"


@dataclass(frozen=True)
class Notice:
    label: str  # short, beside the title in lists
    banner: str  # at the top of its own page


def programme_notice(programme: Programme, today: dt.date) -> Notice | None:
    """How the preview marks a programme the public does not see; None for a public one."""
    reason = hidden(programme, today)
    if reason is None:
        return None
    if reason == "draft":
        return Notice(DRAFT, f"{DRAFT} – avalikul lehel seda programmi ei ole.")
    assert programme.publish_date is not None
    when = f"Avaldatakse {format_on_day(programme.publish_date)}"
    return Notice(when, f"{when} – enne seda avalikul lehel seda programmi ei ole.")


def topic_notice(topic: Topic) -> Notice | None:
    return Notice(DRAFT, f"{DRAFT} – avalikul lehel seda teemat ei ole.") if topic.draft else None


def _label(notice: Notice | None) -> str | None:
    return notice.label if notice else None


def _deadline_close(session: Session) -> dt.date:
    """The first day on which the deadline has passed."""
    assert session.date is not None
    day = session.date.first_day
    return day if session.deadline == "before" else day + dt.timedelta(days=1)


def _deadline_status(session: Session, today: dt.date) -> str:
    last_day = _deadline_close(session) - dt.timedelta(days=1)
    remaining = (last_day - today).days
    if remaining < 0:
        return "Tähtaeg on möödunud"
    if remaining == 0:
        return "Täna on viimane päev"
    if remaining == 1:
        return "Homme on viimane päev"
    return f"Jäänud on {remaining} päeva"


def _session_end(session: Session) -> dt.datetime | None:
    """Local wall-clock moment after which the session is over."""
    if session.date is None:
        return None
    if session.kind == "deadline":
        return dt.datetime.combine(_deadline_close(session), dt.time())
    last = (session.end_date or session.date).last_day
    if session.end_time and not session.end_date:
        return dt.datetime.combine(last, session.end_time)
    return dt.datetime.combine(last + dt.timedelta(days=1), dt.time())


def session_when(session: Session) -> tuple[str, str]:
    """The Estonian wording of when a session is, and its `<time datetime>` value."""
    if session.date is None:
        return "", ""
    if session.kind == "deadline":
        assert session.deadline is not None
        return format_deadline(session.date, session.deadline), session.date.iso
    return _when(session.date, session.end_date, session.start_time, session.end_time)


# Asked for each session by its page, its feed event and its month's overview; held for
# them all (a smaller cache was all misses at 5,000 programmes: 33,000 sessions' times).
@functools.lru_cache(maxsize=1 << 17)
def _when(
    date: PartialDate, end_date: PartialDate | None, start: dt.time | None, end: dt.time | None
) -> tuple[str, str]:
    when = format_span(date, end_date)
    times = format_time_range(start, end)
    stamp = date.iso
    if start:
        stamp += "T" + start.isoformat(timespec="minutes")  # C code; strftime is slow
    return (f"{when}, {times}" if times else when), stamp


def session_where(session: Session) -> tuple[str, str | None]:
    """Where a session is, in words, and the link for joining online, if any."""
    where, online_url = "", None
    if session.online:
        where = f"Veebis, {session.online.platform}" if session.online.platform else "Veebis"
        online_url = session.online.url
    if session.place:
        place = ", ".join(
            filter(None, (session.place.venue, session.place.address, session.place.city))
        )
        where = f"{where}; {place}" if where else place
    return where, online_url


def session_summary(session: Session, programme: Programme) -> str:
    """A session's one-line calendar title, the same in feeds and "add to calendar" links:
    `Infopäev – Kogukonna koosloome labor`, `Tähtaeg: … (enne 30. märtsi 2023) – …`,
    `ÄRA JÄETUD: … – …`."""
    title = session.title or SESSION_KINDS[session.kind]
    if session.kind == "deadline":
        assert session.date is not None and session.deadline is not None
        title = f"Tähtaeg: {title} ({format_deadline(session.date, session.deadline)})"
    if session.status != "scheduled":
        title = f"{SESSION_STATUSES[session.status].upper()}: {title}"
    return f"{title} – {programme.title}"


def session_description(
    session: Session, programme: Programme, page: str, when: str, place: tuple[str, str | None]
) -> str:
    """A session's calendar description (plain text), the same in feeds and "add to calendar"
    links; `page` is the programme page's absolute address, `when` and `place` the session's
    `session_when` and `session_where` (which each caller has already)."""
    where, online_url = place
    lines = [programme.title, f"Aeg: {when}"]
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
    # one kind of line break: a lone CR (possible in quoted YAML) is not allowed in iCalendar
    return "\n".join(lines).replace("\r\n", "\n").replace("\r", "\n")


def in_calendar(session: Session) -> bool:
    """Sessions dated to the day are events in the feeds; a month or no date is not."""
    return session.date is not None and session.date.day is not None


def _add_links(
    session: Session,
    programme: Programme,
    base_url: str,
    when: str,
    place: tuple[str, str | None],
) -> EventLinks | None:
    if not in_calendar(session) or session.status == "cancelled":
        return None
    page = base_url + urls.programme(programme.slug)
    links = event_links(
        urls.session_event(programme.slug, session.id),
        event_times(session),
        session_summary(session, programme),
        session_description(session, programme, page, when, place),
        place[0],
    )
    return EventLinks(
        ics=links.ics,
        google=_as_attribute(links.google),
        outlook=_as_attribute(links.outlook),
        office=_as_attribute(links.office),
    )


def _as_attribute(link: str) -> Markup:
    """A web calendar link as its page's href writes it: escaped here, as Jinja would, but
    by a search in C for the one character to escape. Percent-encoding (calendar_links)
    leaves `&`, between the parameters, the only character of these links that HTML needs
    escaped; MarkupSafe looks at every character, and these links are most of a programme
    page's bytes (its escaping was 2.7% of a cold build's instructions). The Markup is made
    in C too: its own constructor is Python."""
    return str.__new__(Markup, link.replace("&", "&amp;"))


def session_view(
    session: Session, programme: Programme, now: dt.datetime, base_url: str
) -> SessionView:
    end = _session_end(session)
    past = end is not None and now.replace(tzinfo=None) >= end
    when, stamp = session_when(session)
    place = session_where(session)
    where, online_url = place
    title = session.title or SESSION_KINDS[session.kind]
    group = programme.groups.get(session.group) if session.group else None
    return SessionView(
        id=session.id,
        title=title,
        kind=session.kind,
        kind_label=SESSION_KINDS[session.kind],
        when=when,
        datetime=stamp,
        where=where,
        online_url=online_url,
        group=group,
        status=session.status,
        status_label=None if session.status == "scheduled" else SESSION_STATUSES[session.status],
        past=past,
        deadline_status=(
            _deadline_status(session, now.date()) if session.kind == "deadline" else None
        ),
        registration=session.registration,
        registration_open=not past and session.status != "cancelled",
        notes_html=to_html(session.notes) if session.notes else "",
        in_calendar=in_calendar(session),
        add=_add_links(session, programme, base_url, when, place),
        add_label=", ".join(part for part in (title, when, group) if part),
        deadline_last_day=(
            (_deadline_close(session) - dt.timedelta(days=1)).isoformat()
            if session.kind == "deadline" and session.date
            else ""
        ),
    )


def _sort_key(session: Session) -> tuple[int, dt.date, dt.time, str]:
    if session.date is None:
        return (1, dt.date.max, dt.time(), session.id)
    return (0, session.date.first_day, session.start_time or dt.time(), session.id)


def schedule(programme: Programme, now: dt.datetime, base_url: str) -> list[ScheduleGroup]:
    """Sessions in date order, grouped by the month they start in; undated ones last, as
    "to be announced" while the programme is ahead, as simply undated once it is over."""
    groups: dict[str, ScheduleGroup] = {}
    undated = "Kuupäevata" if programme_state(programme, now.date()) == "past" else UNDATED
    for session in sorted(programme.sessions, key=_sort_key):
        if session.date is None:
            heading = undated
        else:
            heading = f"{month_name(session.date.month).capitalize()} {session.date.year}"
        groups.setdefault(heading, ScheduleGroup(heading)).sessions.append(
            session_view(session, programme, now, base_url)
        )
    return list(groups.values())


# The calendars' names are the feeds' X-WR-CALNAME (feeds.py); Outlook shows the one passed in
# its subscribe link.
def site_feed(content: Content) -> FeedLinks:
    config = content.config
    return feed_links(config.base_url, urls.SITE_FEED, config.title)


def programme_feed(content: Content, programme: Programme) -> FeedLinks:
    return feed_links(content.config.base_url, urls.programme_feed(programme.slug), programme.title)


def topic_feed(content: Content, topic: Topic) -> FeedLinks:
    config = content.config
    return feed_links(
        config.base_url, urls.topic_feed(topic.slug), f"{config.title}: {topic.title}"
    )


def _people_line(low: int | None, high: int | None) -> str:
    if low is not None and high is not None:
        return f"{low}–{high} inimest"
    if low is not None:
        return f"vähemalt {low} inimest"
    return f"kuni {high} inimest"


def programme_context(content: Content, programme: Programme, now: dt.datetime) -> dict[str, Any]:
    state = programme_state(programme, now.date())
    notice = programme_notice(programme, now.date())
    people, orgs, topics = content.people, content.organisations, content.topics
    audience = programme.audience
    facts: list[tuple[str, str]] = [("Toimumisaeg", format_span(programme.start, programme.end))]
    if audience:
        facts.append(("Kellele", audience.description))
        if audience.team_size:
            size = audience.team_size
            facts.append(("Meeskonna suurus", _people_line(size.minimum, size.maximum)))
        if audience.team_composition:
            facts.append(("Meeskonna koosseis", audience.team_composition))
    if programme.places:
        places = programme.places
        facts.append(("Kohti", f"{'kuni ' if places.up_to else ''}{places.count} {places.unit}"))
    if programme.cost:
        cost = programme.cost
        price = "Tasuta" if cost.free else "Tasuline"
        facts.append(("Osalustasu", f"{price} {cost.note}" if cost.note else price))
    if programme.format:
        facts.append(("Vorm", programme.format))

    base_url = content.config.base_url
    sessions = schedule(programme, now, base_url)
    views = {view.id: view for group in sessions for view in group.sessions}
    # Repeated near the top: what a prospective participant must not miss.
    key_dates = [
        views[s.id]
        for s in sorted(programme.sessions, key=_sort_key)
        if s.kind in ("deadline", "info_day") and s.date is not None
    ]
    contacts = []
    for c in programme.contacts:
        org = orgs[c.organisation] if c.organisation else None
        contacts.append(
            {
                "purpose": c.purpose,
                "name": people[c.person].name if c.person else None,
                "organisation": org.name if org else None,
                "unit": c.unit,
                "phone": c.phone,
                "phone_href": "tel:" + c.phone.replace(" ", "") if c.phone else None,
                "email": c.email,
            }
        )
    registration_open = {v.id: v.registration_open for v in views.values()}
    return {
        "programme": programme,
        "feed": programme_feed(content, programme),
        "state": state,
        "state_label": STATE_LABELS[state],
        "description_html": to_html(programme.description),
        "facts": facts,
        "key_dates": key_dates,
        "schedule": sessions,
        "topics": [
            (topics[t].title, urls.topic(t), _label(topic_notice(topics[t])))
            for t in programme.topics
        ],
        "team": [(people[m.person].name, m.role) for m in programme.team],
        "organisers": [orgs[o] for o in programme.organisers],
        "partners": [orgs[o] for o in programme.partners],
        "contacts": contacts,
        "preview_notice": notice.banner if notice else None,
        # The days programme_state compares "today" with, for freshness.js.
        "span": [programme.start.first_day.isoformat(), programme_span(programme)[1].isoformat()],
        "timeline": (urls.programme_timeline(programme.slug), timeline.describe(programme)),
        "json_ld": structured_data.programme_graph(content, programme, registration_open),
    }


# The accessibility statement (templates/accessibility.html): when it was written and the
# checks last reviewed. Update it whenever the statement's text or the checks change.
ACCESSIBILITY_STATEMENT_DATE = dt.date(2026, 11, 25)


def accessibility_statement(content: Content) -> dict[str, Any]:
    """The statement's date and where to send feedback: the site's publisher (site.yaml)."""
    config = content.config
    publisher = content.organisations.get(config.publisher) if config.publisher else None
    day = ACCESSIBILITY_STATEMENT_DATE
    return {
        "statement_date": {"iso": day.isoformat(), "text": format_on_day(day)},
        "feedback": publisher,
    }


def true_until(now: dt.datetime, listings: list[Listing]) -> dt.datetime:
    """Until when pages made at `now` (from the programmes' `listings` on its day) stay true:
    what they say about time changes at the next midnight (days left, states, publish dates)
    or when a session ends ("past", registration)."""
    wall_clock = now.replace(tzinfo=None)
    midnight = dt.datetime.combine(now.date() + dt.timedelta(days=1), dt.time())
    each_ends: list[list[dt.datetime]] = list(map(_ENDS, listings))
    later = map(bisect.bisect_right, each_ends, repeat(wall_clock))  # (in C)
    next_ends = [ends[i] for ends, i in zip(each_ends, later, strict=True) if i < len(ends)]
    return min([midnight, *next_ends]).replace(tzinfo=now.tzinfo)


@dataclass(frozen=True)
class Listing:
    """What the site's lists and `true_until` take from a programme on a day: one memo entry
    each, since a big site's plan asks for a thousand."""

    ends: list[dt.datetime]  # when its sessions end (local wall clock), sorted
    card: ProgrammeCard
    overview: list[tuple[tuple[int, int] | None, OverviewEntry]]
    feed: FeedLinks


def listings(content: Content, today: dt.date, memo: Memo[Any] | None = None) -> list[Listing]:
    """Each programme's listing on `today`, in programme order, for `plan` and `true_until`
    (one memo pass)."""
    memo = Memo() if memo is None else memo
    programmes = content.programmes
    before = memo.last("listings")
    last: list[Listing] = [] if before is None else before[1]
    by_slug: dict[str, Listing] | None = None

    def make(i: int) -> Listing:
        nonlocal by_slug
        made = _listing(content, programmes[i], today)
        # The last card and feed links when equal: an edit to a session leaves them as they
        # were, and the lists made from a thousand cards are then reused (`plan`). The last
        # listing is most often in the same place (an edit), else found by slug.
        slug = made.card.slug
        was = last[i] if i < len(last) and last[i].card.slug == slug else None
        if was is None:
            if by_slug is None:
                by_slug = {x.card.slug: x for x in last}
            was = by_slug.get(slug)
        if was is None:
            return made
        return replace(
            made,
            card=was.card if was.card == made.card else made.card,
            feed=was.feed if was.feed == made.feed else made.feed,
        )

    made: list[Listing] = memo.each(
        "listings", (programmes,), (today, content.config.base_url), make
    )
    return made


def _listing(content: Content, programme: Programme, today: dt.date) -> Listing:
    return Listing(
        ends=sorted(e for s in programme.sessions if (e := _session_end(s)) is not None),
        card=card(programme, today),
        overview=overview_entries(programme, today),
        feed=programme_feed(content, programme),
    )


def plan(
    content: Content,
    now: dt.datetime,
    changed: dict[Path, dt.datetime],
    listings: list[Listing],
    memo: Memo[Any] | None = None,
) -> list[Page]:
    """Every page of the site, in a fixed order; `listings` are the programmes' on the day
    of `now` (`listings`). With a `memo`, a programme's page and card are made again only
    when the programme, what it refers to, its files' dates or its status at `now` have
    changed."""
    memo = Memo() if memo is None else memo
    today = now.date()
    config = content.config
    programmes = content.programmes

    newest = changed.__getitem__  # (map: a preview's rebuild asks for thousands)

    def updated(sources: Iterable[Path]) -> dict[str, str]:
        return _day(max(map(newest, sources)).date())

    wall_clock = now.replace(tzinfo=None)
    everything = (config.source, *changed)
    # the pages made from all the content (`changed` has every file, the site's own too)
    updated_anything = _day(max(changed.values()).date())
    cards = tuple(map(_CARD, listings))
    order, active, archive = memo.get("cards", cards, None, partial(_ordered_cards, cards))
    pages = [
        Page(
            urls.HOME,
            "home.html",
            {
                "active": active,
                "archive": archive,
                "feed": site_feed(content),
                "updated": updated_anything,
            },
            everything,
        ),
        Page(urls.NOT_FOUND, "404.html", {"updated": updated([config.source])}, (config.source,)),
    ]
    refs = memo.each(
        "referenced",
        (programmes,),
        (content.topics, content.people, content.organisations),
        lambda i: _referenced_and_sources(content, programmes[i]),
    )
    # All that a programme's page takes from `now`: the day, and how many of its sessions
    # have ended; from the files' dates, the newest.
    # What a page's context looks things up in, without the programmes: the preview keeps a
    # page for many builds, and with the whole content it kept every old version of every
    # programme edited since.
    looked_up = replace(content, programmes=(), signatures={}, blob_ids={})
    ended = tuple(map(bisect.bisect_right, map(_ENDS, listings), repeat(wall_clock)))
    # Each programme file's date, and the other files': a programme page's date is the
    # newest of its files', worked out again only when its own file's date or what it refers
    # to changed, or another file's date did (a look-up by Path is a call in Python: a
    # rebuild's thousand programmes' every file cost more than the rest of the pass).
    own = tuple(map(newest, map(_SOURCE, programmes)))
    others = (content.topics.values(), content.people.values(), content.organisations.values())
    dated = memo.each(
        "dated",
        (tuple(refs), own),
        tuple(map(newest, map(_SOURCE, chain.from_iterable(others)))),
        lambda i: max(map(newest, refs[i][1])),
    )
    programme_pages = slice(len(pages), len(pages) + len(programmes))
    pages += memo.each(
        "pages",
        (programmes, tuple(refs), ended, tuple(dated)),
        (today, config),
        lambda i: _programme_page(looked_up, programmes[i], now, changed, refs[i][1]),
    )

    by_topic, members = memo.get(
        "by topic",
        (cards, content.topics),
        tuple(map(_TOPICS, programmes)),
        partial(_by_topic, content, cards),
    )
    topic_list = sorted(content.topics.values(), key=lambda t: t.title)
    pages.append(
        Page(
            urls.TOPICS,
            "topics.html",
            {
                "topics": [
                    (t, urls.topic(t.slug), len(by_topic[t.slug]), _label(topic_notice(t)))
                    for t in topic_list
                ],
                "updated": updated([t.source for t in topic_list] or [config.source]),
            },
            tuple(t.source for t in topic_list),
        )
    )
    for topic in topic_list:
        cards_here = by_topic[topic.slug]  # (the very list while no card changed)
        listed = memo.get(
            ("listed", topic.slug), (cards_here,), None, partial(sorted, cards_here, key=_listed)
        )
        here = members[topic.slug]  # its programmes, by place
        sources = (topic.source, *map(_SOURCE, map(programmes.__getitem__, here)))
        topic_updated = max((newest(topic.source), *map(own.__getitem__, here)))
        pages.append(
            Page(
                urls.topic(topic.slug),
                "topic.html",
                {
                    "topic": topic,
                    "description_html": memo.get(
                        ("topic", topic.slug),
                        (),
                        topic.description,
                        partial(to_html, topic.description),
                    ),
                    "programmes": listed,
                    "feed": topic_feed(content, topic),
                    "updated": _day(topic_updated.date()),
                    "preview_notice": notice.banner if (notice := topic_notice(topic)) else None,
                },
                sources,
            )
        )
    # Every feed with its address: the calendars are made from all the content.
    pages.append(
        Page(
            urls.CALENDAR_HELP,
            "calendar_help.html",
            {
                "site_feed": site_feed(content),
                "programme_feeds": memo.get(
                    "programme feeds",
                    (cards, tuple(map(_FEED, listings))),
                    None,
                    lambda: [
                        (cards[i].title, cards[i].url, listings[i].feed) for i in reversed(order)
                    ],
                ),
                "topic_feeds": [
                    (t.title, urls.topic(t.slug), topic_feed(content, t)) for t in topic_list
                ],
                "updated": updated_anything,
            },
            everything,
        )
    )
    pages.append(
        Page(
            urls.ACCESSIBILITY,
            "accessibility.html",
            {**accessibility_statement(content), "updated": updated([config.source])},
            (config.source,),
        )
    )
    # One page per month, so that a big site's overview stays small and an edit redoes a
    # month, not the whole calendar.
    overviews = tuple(map(_OVERVIEW, map(listings.__getitem__, order)))  # by start
    months = memo.get(
        "overview", overviews, today, lambda: overview(overviews, memo.last("overview"))
    )
    undated = months.get(None, _NO_MONTH).entries
    index = {
        "months": [m.index_row for m in months.values() if m.month is not None],
        "undated": undated,
        "updated": updated_anything,
    }
    pages.append(Page(urls.OVERVIEW, "overview.html", index, everything))
    for m in months.values():
        if m.month is not None:
            context = {"heading": m.heading, "entries": m.entries, "updated": updated_anything}
            page = Page(m.index_row[1], "overview_month.html", context, everything)
            pages.append(page)
    pages.append(Page(urls.SEARCH, "search.html", {"updated": updated([config.source])}, ()))
    # Statuses ("Tulemas", days left) are as of the build; freshness.js updates them later.
    # One JSON-LD graph per page (structured_data.py): the site and its publisher. (A
    # programme's page has both of its own, made with it.)
    as_of = _day(today)
    site_graph = structured_data.site_graph(content)
    for page in chain(pages[: programme_pages.start], pages[programme_pages.stop :]):
        page.context["as_of"] = as_of
        page.context.setdefault("json_ld", site_graph)
    return pages


_SESSIONS = attrgetter("sessions")
_CARD, _ENDS, _FEED = attrgetter("card"), attrgetter("ends"), attrgetter("feed")
_OVERVIEW = attrgetter("overview")
_TOPICS, _SOURCE = attrgetter("topics"), attrgetter("source")


def _listed(card: ProgrammeCard) -> tuple[bool, str]:
    """A topic's programmes: what is on or ahead first, then the past, by slug."""
    return card.state == "past", card.slug


def _ordered_cards(
    cards: tuple[ProgrammeCard, ...],
) -> tuple[list[int], list[ProgrammeCard], list[ProgrammeCard]]:
    """The programmes' order by start (as indices), and the cards of the home page: soonest
    first for what is ahead, newest first in the archive."""
    order = sorted(range(len(cards)), key=lambda i: (cards[i].start, cards[i].slug))
    active = sorted((c for c in cards if c.state != "past"), key=lambda c: (c.start, c.slug))
    archive = sorted(
        (c for c in cards if c.state == "past"), key=lambda c: (c.start, c.slug), reverse=True
    )
    return order, active, archive


def _by_topic(
    content: Content, cards: tuple[ProgrammeCard, ...]
) -> tuple[dict[str, list[ProgrammeCard]], dict[str, list[int]]]:
    """Each topic's programmes: their cards, and their places in `content.programmes`."""
    by_topic: dict[str, list[ProgrammeCard]] = {slug: [] for slug in content.topics}
    members: dict[str, list[int]] = {slug: [] for slug in content.topics}
    for i, (programme, programme_card) in enumerate(zip(content.programmes, cards, strict=True)):
        for slug in programme.topics:
            by_topic[slug].append(programme_card)
            members[slug].append(i)
    return by_topic, members


def _referenced_and_sources(
    content: Content, programme: Programme
) -> tuple[list[Topic | Person | Organisation], list[Path]]:
    """What a programme's page is made from besides the programme (a memo's key), and the
    files whose dates its "updated" line takes."""
    entities = referenced(content, programme)
    sources = [programme.source, *(entity.source for entity in entities)]
    # Every page's JSON-LD describes the site's publisher too (structured_data.site_nodes),
    # which a programme need not name: its page is made again when that organisation
    # changes, but the programme is not "updated" by it.
    publisher = content.config.publisher
    if publisher:
        entities = [*entities, content.organisations[publisher]]
    return entities, sources


def referenced(content: Content, programme: Programme) -> list[Topic | Person | Organisation]:
    """What a programme's page shows of other files: its topics, people, organisations."""
    people, organisations = content.people, content.organisations
    found: list[Topic | Person | Organisation] = [content.topics[t] for t in programme.topics]
    found += [people[m.person] for m in programme.team]
    found += [people[c.person] for c in programme.contacts if c.person]
    found += [organisations[o] for o in programme.organisers]
    found += [organisations[o] for o in programme.partners]
    found += [organisations[c.organisation] for c in programme.contacts if c.organisation]
    return found


def programme_page(
    content: Content, programme: Programme, now: dt.datetime, changed: dict[Path, dt.datetime]
) -> Page:
    """A programme's page as `plan` makes it: a part of the site's pages can be rendered
    elsewhere (another process) without the rest of the plan."""
    _, sources = _referenced_and_sources(content, programme)
    return _programme_page(content, programme, now, changed, sources)


def _programme_page(
    content: Content,
    programme: Programme,
    now: dt.datetime,
    changed: dict[Path, dt.datetime],
    sources: list[Path],
) -> Page:
    newest = max(changed[p] for p in sources)
    return Page(
        urls.programme(programme.slug),
        "programme.html",
        {"updated": _day(newest.date()), "as_of": _day(now.date())},
        tuple(sources),
        partial(programme_context, content, programme, now),
        newest,
    )


def _day(day: dt.date) -> dict[str, str]:
    return {"iso": day.isoformat(), "text": format_day(day)}


@dataclass
class OverviewEntry:
    """One programme in one month of the overview, with its sessions that month."""

    title: str
    url: str
    state_label: str
    sessions: list[tuple[str, str, str]]  # (<time datetime>, when, what), in date order


def overview_entries(
    programme: Programme, today: dt.date
) -> list[tuple[tuple[int, int] | None, OverviewEntry]]:
    """A programme's part of "Mis toimub millal": an entry for each month from this one on
    that has its sessions (None: the sessions whose time is still to be announced)."""
    state = programme_state(programme, today)
    found: dict[tuple[int, int] | None, OverviewEntry] = {}
    for session in sorted(programme.sessions, key=_sort_key):
        if session.date is None:
            if state == "past":
                continue
            month = None
        else:
            month = (session.date.year, session.date.month)
            if month < (today.year, today.month):
                continue
        entry = found.setdefault(
            month,
            OverviewEntry(programme.title, urls.programme(programme.slug), STATE_LABELS[state], []),
        )
        what = session.title or SESSION_KINDS[session.kind]
        if session.status != "scheduled":
            what += f" ({SESSION_STATUSES[session.status].lower()})"
        when, stamp = session_when(session)
        entry.sessions.append((stamp, when, what))
    return list(found.items())


@dataclass(frozen=True)
class _Month:
    """A month of the overview ("Mis toimub millal"), or the undated sessions (month None):
    the programmes' entries in programme order, and where each programme is in that order."""

    month: tuple[int, int] | None
    entries: list[OverviewEntry]
    places: list[int]  # each entry's programme's index in the order

    @property
    def heading(self) -> str:
        assert self.month is not None
        year, month = self.month
        return f"{month_name(month).capitalize()} {year}"

    @functools.cached_property
    def index_row(self) -> tuple[str, str, int, int]:
        """The overview page's line: heading, address, programmes, sessions."""
        assert self.month is not None
        sessions = sum(map(len, map(_SESSIONS, self.entries)))
        return self.heading, urls.overview_month(*self.month), len(self.entries), sessions


_NO_MONTH = _Month(None, [], [])
_Overview = dict[tuple[int, int] | None, _Month]  # by month, in order; None (undated) first


def overview(
    entries: tuple[list[tuple[tuple[int, int] | None, OverviewEntry]], ...],
    last: tuple[tuple[object, ...], _Overview] | None = None,
) -> _Overview:
    """The programmes' entries (each programme's, in programme order) by month from this
    month on, and the entries without a date (month None). With the `last` overview and
    the entries it was made from: only the months of programmes whose entries are new
    objects are made again (an edit changes one programme of a thousand)."""
    if last is not None and len(last[0]) == len(entries):
        before, months = last
        changed = list(compress(count(), map(is_not, entries, before)))
        if len(changed) <= _FEW_CHANGED:
            return _changed_months(entries, before, months, changed)
    places: dict[tuple[int, int] | None, tuple[list[OverviewEntry], list[int]]] = {}
    for place, programme_entries in enumerate(entries):
        for month, entry in programme_entries:
            listed, where = places.setdefault(month, ([], []))
            listed.append(entry)
            where.append(place)
    return _in_order({month: _Month(month, *found) for month, found in places.items()})


_FEW_CHANGED = 16  # programmes, up to which the last overview is worth starting from


def _changed_months(
    entries: tuple[list[tuple[tuple[int, int] | None, OverviewEntry]], ...],
    before: tuple[object, ...],
    months: _Overview,
    changed: list[int],
) -> _Overview:
    """The last overview with the entries of the programmes at `changed` places taken out
    of their months and their new ones put in, where programme order puts them."""
    months = dict(months)
    copied: set[tuple[int, int] | None] = set()

    def month_of(month: tuple[int, int] | None) -> _Month:
        if month not in copied:
            copied.add(month)
            last = months.get(month)
            months[month] = (
                _Month(month, last.entries.copy(), last.places.copy())
                if last is not None
                else _Month(month, [], [])
            )
        return months[month]

    for place in changed:
        old = before[place]
        assert isinstance(old, list)
        for month, _ in old:
            found = month_of(month)
            i = bisect.bisect_left(found.places, place)
            del found.entries[i], found.places[i]
        for month, entry in entries[place]:
            found = month_of(month)
            i = bisect.bisect_left(found.places, place)
            found.entries.insert(i, entry)
            found.places.insert(i, place)
    return _in_order({month: found for month, found in months.items() if found.entries})


def _in_order(months: _Overview) -> _Overview:
    return {
        month: months[month] for month in sorted(months, key=lambda m: (m is not None, m or ()))
    }
