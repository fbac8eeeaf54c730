"""programmid.atom: the programmes as an Atom feed (RFC 4287), newest change first.

For feed readers and anyone who wants to hear of new and changed programmes (the calendars,
feeds.py, are for sessions). One entry per public programme: its page address is the entry's
id (stable as long as the slug is, like every page address), `updated` is when the programme
page's content last changed (history.py, from git), `published` its publish date when it has
one (then `updated` is at least that midnight; without one the element is left out: the
history records only the last change). No build
clock: an unchanged site gives a byte-identical feed.
"""

from __future__ import annotations

import datetime as dt
from operator import attrgetter, itemgetter
from pathlib import Path
from typing import Any
from xml.etree import ElementTree
from zoneinfo import ZoneInfo

from . import urls
from .memo import Memo
from .model import Content, Programme, Topic
from .pages import Page

NAMESPACE = "http://www.w3.org/2005/Atom"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


_SLUG, _PATH, _CHANGED = attrgetter("slug"), attrgetter("path"), attrgetter("changed")


def _stamp(moment: dt.datetime) -> str:
    return moment.isoformat(timespec="seconds")


def feed(
    content: Content,
    pages: list[Page],
    changed: dict[Path, dt.datetime],
    memo: Memo[Any] | None = None,
) -> bytes:
    """The feed; with a `memo`, each entry is serialised again only when its programme or its
    page's date changed, or a topic (a big site's feed is a few thousand entries)."""
    memo = Memo() if memo is None else memo
    config = content.config
    base = config.base_url
    zone = ZoneInfo(config.timezone)
    page_changed = dict(zip(map(_PATH, pages), map(_CHANGED, pages), strict=True))  # (in C)
    programmes = content.programmes
    # when what each programme's page shows last changed
    changed_at = tuple(map(page_changed.__getitem__, map(urls.programme, map(_SLUG, programmes))))

    def entry(i: int) -> tuple[str, dt.datetime, bytes]:
        """The programme's place in the feed (newest first; as one string, which sorts
        several times as fast as a time with its zone), its time and its <entry>."""
        programme, updated = programmes[i], changed_at[i]
        published: dt.datetime | None = None
        if programme.publish_date:
            # public from that midnight: a programme written before it is new to readers then
            published = dt.datetime.combine(programme.publish_date, dt.time(), zone)
            updated = max(updated, published)
        topics = tuple(content.topics[slug] for slug in programme.topics)
        address = base + urls.programme(programme.slug)
        text = _entry(address, programme, topics, updated, published)
        # UTC to the microsecond, then the slug: in the order of the time, then the slug
        # ("\0" sorts before anything else)
        place = f"{updated.astimezone(dt.UTC):%Y-%m-%dT%H:%M:%S.%f}\0{programme.slug}"
        return place, updated, text.encode()  # (encoded once, not at every edit)

    # A topic renamed makes every entry again: rare, and its programmes' pages change too.
    made = memo.each("atom", (programmes, changed_at), (base, zone, content.topics), entry)
    entries = sorted(made, key=itemgetter(0), reverse=True)

    root = ElementTree.Element("feed", {"xmlns": NAMESPACE, XML_LANG: config.language})
    ElementTree.SubElement(root, "id").text = base + urls.PROGRAMMES_FEED
    ElementTree.SubElement(root, "title").text = config.title
    if config.description:
        ElementTree.SubElement(root, "subtitle").text = config.description
    newest = changed[config.source]
    if entries:  # the newest entry comes first
        newest = max(newest, entries[0][1])
    ElementTree.SubElement(root, "updated").text = _stamp(newest)
    ElementTree.SubElement(
        root,
        "link",
        rel="self",
        type="application/atom+xml",
        href=base + urls.PROGRAMMES_FEED,
    )
    ElementTree.SubElement(root, "link", rel="alternate", type="text/html", href=base)
    author = ElementTree.SubElement(root, "author")
    publisher = content.organisations.get(config.publisher) if config.publisher else None
    ElementTree.SubElement(author, "name").text = publisher.name if publisher else config.title
    ElementTree.SubElement(author, "uri").text = (
        publisher.url if publisher and publisher.url else base
    )
    ElementTree.indent(root)
    head = ElementTree.tostring(root, encoding="unicode")
    head = head.removesuffix("</feed>").rstrip("\n") + "\n"  # entries follow, indented
    parts = [f"<?xml version='1.0' encoding='utf-8'?>\n{head}".encode()]
    parts += map(itemgetter(2), entries)
    parts.append(b"</feed>\n")
    return b"".join(parts)


def _entry(
    address: str,
    programme: Programme,
    topics: tuple[Topic, ...],
    updated: dt.datetime,
    published: dt.datetime | None,
) -> str:
    """One programme's <entry>, indented as a child of <feed>: written out as ElementTree
    writes it, indentation and escaping included (an ElementTree made and serialised for each
    entry was 2% of a big site's cold build; tests compare the two)."""
    href = _attribute(address)
    lines = [
        "  <entry>",
        f"    <id>{_text(address)}</id>",
        f"    {_element('title', programme.title)}",
        f"    <updated>{_stamp(updated)}</updated>",
    ]
    if published:
        lines.append(f"    <published>{_stamp(published)}</published>")
    lines += [
        f'    <link rel="alternate" type="text/html" href="{href}" />',
        f"    {_element('summary', programme.summary)}",
    ]
    lines += [
        f'    <category term="{_attribute(topic.slug)}" label="{_attribute(topic.title)}" />'
        for topic in topics
    ]
    lines.append("  </entry>\n")
    return "\n".join(lines)


def _element(tag: str, text: str) -> str:
    return f"<{tag}>{_text(text)}</{tag}>" if text else f"<{tag} />"


def _text(text: str) -> str:
    """Character data as ElementTree escapes it."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _attribute(text: str) -> str:
    """An attribute's value as ElementTree escapes it (line breaks and tabs as references,
    which an XML parser reads back as they were)."""
    text = _text(text).replace('"', "&quot;")
    return text.replace("\r", "&#13;").replace("\n", "&#10;").replace("\t", "&#09;")
