"""What is public at the build's "now": the one stage that decides it.

A programme is kept out of the site while it says `draft: true`, or until its
`publish_date` (from 00.00 Tallinn time that day); a topic while it says `draft: true`.
`published()` runs right after loading and returns the content without them, so every later
stage (pages, topic lists and counts, the calendar files, the sitemap) only ever sees what is
public and none of them needs to know about drafts. Because the output is written as a new
tree each time (write.py), a programme turned back into a draft vanishes from every file.

- A published programme that lists a draft topic simply does not show it (no link to a page
  that does not exist); the topic appears with it once the topic is published.
- People and organisations that only hidden programmes name are left out too, so that
  editing them does not change the public site (its "last updated" dates).
- The preview (`include_drafts`) keeps everything; pages.py then marks what is not public.

Validation is not affected: drafts are checked in full before this, and a broken draft fails
the build like any other file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import replace
from typing import Literal
from zoneinfo import ZoneInfo

from .model import Content, Programme

Hidden = Literal["draft", "scheduled"]


def today(content: Content, now: dt.datetime) -> dt.date:
    """The build's day in the site's time zone (Tallinn), which publish dates are in."""
    return now.astimezone(ZoneInfo(content.config.timezone)).date()


def hidden(programme: Programme, day: dt.date) -> Hidden | None:
    """Why a programme is not public on `day`: a draft, or its publish date is still ahead."""
    if programme.draft:
        return "draft"
    if programme.publish_date is not None and programme.publish_date > day:
        return "scheduled"
    return None


def published(content: Content, now: dt.datetime, include_drafts: bool = False) -> Content:
    """The content the public may see at `now`; with `include_drafts`, all of it."""
    if include_drafts:
        return content
    day = today(content, now)
    # Each dict and tuple is the loader's very own when nothing is left out of it, so that
    # later stages can tell by identity that it did not change (memo.py).
    drafts = any(topic.draft for topic in content.topics.values())
    topics = (
        {slug: topic for slug, topic in content.topics.items() if not topic.draft}
        if drafts
        else content.topics
    )
    is_hidden = [hidden(p, day) is not None for p in content.programmes]
    if not drafts and not any(is_hidden):
        return content
    public = [p for p, out in zip(content.programmes, is_hidden, strict=True) if not out]
    # The same programme object when nothing is dropped from it, so later stages can reuse
    # what they made from it (memo.py).
    programmes = tuple(
        p
        if all(t in topics for t in p.topics)
        else replace(p, topics=tuple(t for t in p.topics if t in topics))
        for p in public
    )
    people, organisations = _named(public)
    if content.config.publisher:
        organisations.add(content.config.publisher)
    hidden_people, hidden_organisations = _named(
        p for p, out in zip(content.programmes, is_hidden, strict=True) if out
    )
    hidden_people -= people
    hidden_organisations -= organisations
    return replace(
        content,
        programmes=programmes,
        topics=topics,
        people={k: v for k, v in content.people.items() if k not in hidden_people},
        organisations={
            k: v for k, v in content.organisations.items() if k not in hidden_organisations
        },
    )


def _named(programmes: Iterable[Programme]) -> tuple[set[str], set[str]]:
    """The slugs of the people and of the organisations that `programmes` refer to."""
    people: set[str] = set()
    organisations: set[str] = set()
    for p in programmes:
        people.update(m.person for m in p.team)
        people.update(c.person for c in p.contacts if c.person)
        organisations.update((*p.organisers, *p.partners))
        organisations.update(c.organisation for c in p.contacts if c.organisation)
    return people, organisations
