"""The one place that knows page addresses and the files they are written to.

Addresses are directories ("programmid/<slug>/") so that they stay stable and readable;
each is written as index.html inside that directory.
"""

from __future__ import annotations

HOME = ""
TOPICS = "teemad/"
NOT_FOUND = "404.html"
SITE_FEED = "kalender.ics"
SITEMAP = "sitemap.xml"


def programme(slug: str) -> str:
    return f"programmid/{slug}/"


def programme_feed(slug: str) -> str:
    return f"programmid/{slug}/kalender.ics"


def topic(slug: str) -> str:
    return f"teemad/{slug}/"


def output_file(path: str) -> str:
    """The file inside the output folder that serves `path`."""
    return path + "index.html" if path == "" or path.endswith("/") else path
