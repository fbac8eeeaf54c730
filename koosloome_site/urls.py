"""The one place that knows page addresses and the files they are written to.

Addresses are directories ("programmid/<slug>/") so that they stay stable and readable;
each is written as index.html inside that directory.
"""

from __future__ import annotations

HOME = ""
TOPICS = "teemad/"
NOT_FOUND = "404.html"
SITE_FEED = "kalender.ics"
CALENDAR_HELP = "kalender/"  # how to subscribe, step by step
SITEMAP = "sitemap.xml"
SEARCH = "otsing/"
SEARCH_INDEX = "pagefind/"  # Pagefind's loader and index files (search.py)
OVERVIEW = "ulevaade/"  # what is on when, month by month
ROBOTS = "robots.txt"
PROGRAMMES_FEED = "programmid.atom"  # Atom: programmes, new and updated
ACCESSIBILITY = "ligipaasetavus/"  # the accessibility statement


def programme(slug: str) -> str:
    return f"programmid/{slug}/"


def programme_feed(slug: str) -> str:
    return f"programmid/{slug}/kalender.ics"


def programme_timeline(slug: str) -> str:
    """The programme's months and sessions as an SVG picture (timeline.py)."""
    return f"programmid/{slug}/ajajoon.svg"


def overview_month(year: int, month: int) -> str:
    return f"{OVERVIEW}{year}-{month:02d}/"


def topic(slug: str) -> str:
    return f"teemad/{slug}/"


def topic_feed(slug: str) -> str:
    return f"teemad/{slug}/kalender.ics"


def session_event(programme_slug: str, session_id: str) -> str:
    """One session as its own calendar file, for "add to calendar" (not a subscription); beside
    the programme's page, as its anchor is (#toimumine-<id>): no folder per programme to make."""
    return f"programmid/{programme_slug}/toimumine-{session_id}.ics"


def output_file(path: str) -> str:
    """The file inside the output folder that serves `path`."""
    return path + "index.html" if path == "" or path.endswith("/") else path
