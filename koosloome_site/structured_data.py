"""schema.org structured data (JSON-LD): one `@graph` per page, for search engines and sharing.

Every page carries the site (`WebSite`) and its publisher (`Organization`). A programme page
adds the programme as an `EventSeries` whose `subEvent`s are its sessions, each an
`EducationEvent` with `superEvent` pointing back. Only what the content says is written:
times with their Europe/Tallinn UTC offset (`2023-03-23T15:00:00+02:00`), days as dates, a
session known only to the month as `2023-12`; sessions without a date and deadlines (a
deadline is not something to attend) are not events. Organisations have no pages of their
own, so their `@id`s are fragments of the site's address.

The graph goes into a `<script type="application/ld+json">` element, which browsers never run
but whose text ends at the first `</script`: `script_text` escapes `<`, `>` and `&` as JSON
`\\u003c` escapes, so no content can end the element early, and a JSON parser reads the same
values back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import orjson

from . import urls
from .calendar_links import event_times
from .model import SESSION_KINDS, Content, Organisation, Programme, Session

SCHEMA = "https://schema.org/"
EVENT_STATUS = {
    "scheduled": "EventScheduled",
    "cancelled": "EventCancelled",
    "postponed": "EventPostponed",
    "moved_online": "EventMovedOnline",
}

Node = dict[str, Any]


def script_text(graph: list[Node]) -> str:
    """The graph as JSON that is safe as the text of a `<script>` element."""
    data = {"@context": "https://schema.org", "@graph": graph}
    # The compact JSON of `json.dumps(data, ensure_ascii=False, separators=(",", ":"))`, the
    # same text in a quarter of the time (10 KB per programme page); three replaces of its
    # UTF-8 bytes, many times faster than str.translate and twice as fast as replacing in the
    # text (not ASCII) after decoding
    text = orjson.dumps(data).replace(b"<", b"\\u003c").replace(b">", b"\\u003e")
    return text.replace(b"&", b"\\u0026").decode()


def _organisation_id(base_url: str, slug: str) -> str:
    return f"{base_url}#organisatsioon-{slug}"


def _organisation(base_url: str, org: Organisation) -> Node:
    node: Node = {"@type": "Organization", "@id": _organisation_id(base_url, org.slug)}
    node["name"] = org.name
    if org.short_name:
        node["alternateName"] = org.short_name
    if org.url:
        node["url"] = org.url
    return node


def site_nodes(content: Content) -> list[Node]:
    """The site and its publisher, on every page."""
    config = content.config
    base = config.base_url
    site: Node = {
        "@type": "WebSite",
        "@id": base + "#sait",
        "url": base,
        "name": config.title,
        "inLanguage": config.language,
    }
    if config.description:
        site["description"] = config.description
    nodes = [site]
    if config.publisher:
        site["publisher"] = {"@id": _organisation_id(base, config.publisher)}
        nodes.append(_organisation(base, content.organisations[config.publisher]))
    return nodes


def site_graph(content: Content) -> str:
    return script_text(site_nodes(content))


def session_dates(session: Session) -> tuple[str, str | None]:
    """startDate and endDate: moments with the Tallinn offset, else dates (inclusive)."""
    assert session.date is not None
    if session.date.day is None:
        return session.date.iso, session.end_date.iso if session.end_date else None
    times = event_times(session)
    if isinstance(times.start, dt.datetime):
        end = times.end.isoformat() if isinstance(times.end, dt.datetime) else None
        return times.start.isoformat(), end
    return session.date.iso, session.end_date.iso if session.end_date else None


def is_event(session: Session) -> bool:
    """Sessions that are an Event: dated (to the day or month) and not a deadline."""
    return session.date is not None and session.kind != "deadline"


def _locations(session: Session) -> tuple[str | None, list[Node]]:
    """eventAttendanceMode and the locations: online, in a place, or both."""
    places: list[Node] = []
    online = session.online is not None
    if session.online:
        virtual: Node = {"@type": "VirtualLocation"}
        if session.online.platform:
            virtual["name"] = session.online.platform
        if session.online.url:
            virtual["url"] = session.online.url
        places.append(virtual)
    place = session.place if session.status != "moved_online" else None
    if place:
        address: Node = {"@type": "PostalAddress", "addressLocality": place.city}
        if place.address:
            address["streetAddress"] = place.address
        places.append({"@type": "Place", "name": place.venue or place.city, "address": address})
    if online and place:
        mode = "MixedEventAttendanceMode"
    elif online or session.status == "moved_online":
        mode = "OnlineEventAttendanceMode"
    elif place:
        mode = "OfflineEventAttendanceMode"
    else:
        return None, places
    return SCHEMA + mode, places


def _offer(session: Session, programme: Programme, registration_open: bool) -> Node | None:
    """Free (the programme's cost says so) and/or how to register; None when neither is known."""
    free = programme.cost is not None and programme.cost.free
    if not free and session.registration is None:
        return None
    offer: Node = {"@type": "Offer"}
    if free:
        offer.update(price=0, priceCurrency="EUR")
    if session.registration:
        offer["url"] = session.registration.url
        if registration_open:
            offer["availability"] = SCHEMA + "InStock"
    return offer


def programme_graph(
    content: Content, programme: Programme, registration_open: Mapping[str, bool]
) -> str:
    """The site, the programme as an EventSeries and each of its sessions as an event.
    `registration_open` says per session id whether its registration is still open (pages.py
    decides that relative to the build's "now")."""
    base = content.config.base_url
    page = base + urls.programme(programme.slug)
    organisers = programme.organisers or (
        (content.config.publisher,) if content.config.publisher else ()
    )
    organiser_refs = [{"@id": _organisation_id(base, slug)} for slug in organisers]
    nodes = site_nodes(content)
    known = {node["@id"] for node in nodes}
    for slug in programme.organisers:
        if _organisation_id(base, slug) not in known:
            known.add(_organisation_id(base, slug))
            nodes.append(_organisation(base, content.organisations[slug]))

    series_id = page + "#programm"
    events: list[Node] = []
    for session in programme.sessions:
        if not is_event(session):
            continue
        anchor = f"{page}#toimumine-{session.id}"
        title = session.title or SESSION_KINDS[session.kind]
        event: Node = {
            "@type": "EducationEvent",
            "@id": anchor,
            "url": anchor,
            "name": f"{title} – {programme.title}",
        }
        event["startDate"], end = session_dates(session)
        if end:
            event["endDate"] = end
        event["eventStatus"] = SCHEMA + EVENT_STATUS[session.status]
        mode, locations = _locations(session)
        if mode:
            event["eventAttendanceMode"] = mode
        if locations:
            event["location"] = locations[0] if len(locations) == 1 else locations
        if organiser_refs:
            event["organizer"] = organiser_refs
        offer = _offer(session, programme, registration_open.get(session.id, False))
        if offer:
            event["offers"] = offer
        event["inLanguage"] = content.config.language
        event["superEvent"] = {"@id": series_id}
        events.append(event)

    series: Node = {
        "@type": "EventSeries",
        "@id": series_id,
        "url": page,
        "name": programme.title,
        "description": programme.summary,
        "startDate": programme.start.iso,
        "endDate": programme.end.iso,
        "inLanguage": content.config.language,
    }
    if organiser_refs:
        series["organizer"] = organiser_refs
    if programme.cost:
        series["isAccessibleForFree"] = programme.cost.free
    topics = [content.topics[t].title for t in programme.topics]
    if topics:
        series["keywords"] = ", ".join(topics)
    if events:
        series["subEvent"] = [{"@id": e["@id"]} for e in events]
    return script_text([*nodes, series, *events])
