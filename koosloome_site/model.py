"""The content model: frozen, plain data, valid by construction (validate.py builds it).

References between files are slugs; `site.py` resolves them. Every entity remembers the file it
came from, so pages can say when their sources last changed.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path

from .dates import PartialDate

SESSION_KINDS: dict[str, str] = {
    # key used in YAML -> Estonian label shown on pages
    "info_day": "Infopäev",
    "workshop": "Töötuba",
    "virtual_meeting": "Virtuaalne kohtumine",
    "practical_training": "Praktiline koolitus",
    "seminar": "Seminar",
    "mentoring": "Mentorlus",
    "counselling": "Nõustamine",
    "meeting": "Kohtumine",
    "deadline": "Tähtaeg",
    "other": "Muu",
}

SESSION_STATUSES: dict[str, str] = {
    "scheduled": "Toimub",
    "cancelled": "Ära jäetud",
    "postponed": "Edasi lükatud",
    "moved_online": "Viidud veebi",
}

DEADLINE_BOUNDS = ("before", "until")
TIMEZONE = "Europe/Tallinn"  # the only one: dates and times in content are Tallinn wall-clock
# Tallinn has kept EU summer time since 2002; the feeds' VTIMEZONE describes the clock from then
# on, so timed sessions before it are refused rather than put an hour off.
SUMMER_TIME_RULES_SINCE = 2002


@dataclass(frozen=True)
class SiteConfig:
    title: str
    description: str
    base_url: str
    language: str
    timezone: str
    publisher: str | None  # organisation slug
    source: Path


@dataclass(frozen=True)
class Topic:
    slug: str
    title: str
    description: str  # Markdown
    source: Path
    draft: bool = False  # no page, no feed, not shown with programmes (publish.py)


@dataclass(frozen=True)
class Person:
    slug: str
    name: str
    source: Path


@dataclass(frozen=True)
class Organisation:
    slug: str
    name: str
    short_name: str | None
    url: str | None
    source: Path


@dataclass(frozen=True)
class Link:
    label: str
    url: str


@dataclass(frozen=True)
class TeamMember:
    person: str  # slug
    role: str


@dataclass(frozen=True)
class Contact:
    purpose: str | None
    person: str | None  # slug
    organisation: str | None  # slug
    unit: str | None  # department within the organisation
    phone: str | None
    email: str | None


@dataclass(frozen=True)
class TeamSize:
    minimum: int | None
    maximum: int | None


@dataclass(frozen=True)
class Audience:
    description: str
    team_size: TeamSize | None
    team_composition: str | None


@dataclass(frozen=True)
class Places:
    count: int
    unit: str  # what is counted, in the partitive: "meeskonda", "osalejat"
    up_to: bool  # "kuni 10 meeskonda"


@dataclass(frozen=True)
class Cost:
    free: bool
    note: str | None


@dataclass(frozen=True)
class Online:
    platform: str | None  # None: known to be online, platform not announced
    url: str | None


@dataclass(frozen=True)
class Place:
    city: str
    venue: str | None
    address: str | None


@dataclass(frozen=True)
class Session:
    id: str
    kind: str  # a SESSION_KINDS key
    title: str | None
    date: PartialDate | None  # None: not scheduled yet ("aeg täpsustamisel")
    end_date: PartialDate | None
    start_time: dt.time | None  # Europe/Tallinn wall-clock time
    end_time: dt.time | None
    deadline: str | None  # a DEADLINE_BOUNDS value, for kind "deadline"
    online: Online | None
    place: Place | None
    group: str | None  # key into Programme.groups
    status: str  # a SESSION_STATUSES key
    registration: Link | None
    notes: str | None  # Markdown


@dataclass(frozen=True)
class Programme:
    slug: str
    title: str
    summary: str
    description: str  # Markdown
    start: PartialDate
    end: PartialDate
    audience: Audience | None
    places: Places | None
    cost: Cost | None
    format: str | None
    goals: tuple[str, ...]
    expectations: tuple[str, ...]
    outcomes: tuple[str, ...]
    topics: tuple[str, ...]  # slugs, in the editor's order
    team: tuple[TeamMember, ...]
    organisers: tuple[str, ...]  # slugs
    partners: tuple[str, ...]  # slugs
    contacts: tuple[Contact, ...]
    links: tuple[Link, ...]
    groups: dict[str, str]  # group key -> label
    sessions: tuple[Session, ...]
    source: Path
    # Kept out of every output while a draft or before its publish date (publish.py).
    draft: bool = False
    publish_date: dt.date | None = None  # public from 00.00 Tallinn time that day


@dataclass(frozen=True)
class Content:
    """Everything read from a content folder, validated, references not yet resolved."""

    config: SiteConfig
    programmes: tuple[Programme, ...]
    topics: dict[str, Topic]
    people: dict[str, Person]
    organisations: dict[str, Organisation]
    # Each file's size, times and inode as it was read (history.py takes them instead of
    # asking the file system a second time).
    signatures: dict[Path, Signature] = field(default_factory=dict, compare=False, repr=False)
    # Each file's git blob id, from the bytes read (history.py, revisions.py).
    blob_ids: dict[Path, str] = field(default_factory=dict, compare=False, repr=False)


Signature = tuple[int, int, int, int]  # st_size, st_mtime_ns, st_ctime_ns, st_ino


def signature(stat: os.stat_result) -> Signature:
    """What tells a file's version apart without reading it (see Content.signatures)."""
    return stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino
