"""The build, stage by stage: load and validate, plan, render, write.

Nothing is written until every stage before writing has succeeded.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from zoneinfo import ZoneInfo

from . import (
    atom,
    background,
    feeds,
    history,
    linkcheck,
    pages,
    render,
    revisions,
    search,
    sitemap,
    timeline,
    urls,
    write,
)
from .model import Content
from .publish import published
from .validate import load_content

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
PARALLEL_FROM_SESSIONS = 300  # below this, starting a second process costs more than it saves


@dataclass
class BuildReport:
    files: int = 0
    pages: int = 0
    timings: dict[str, float] = field(default_factory=dict)


def check(content_dir: Path) -> Content:
    """Validate only. Raises ContentError listing every problem."""
    return load_content(content_dir)


def build(
    content_dir: Path,
    output_dir: Path,
    now: dt.datetime | None = None,
    base_url: str | None = None,
    templates_dir: Path = TEMPLATES,
    drafts: bool = False,
    search_index: bool = True,
) -> BuildReport:
    """Build the site into `output_dir`. `drafts` (the preview only) keeps drafts and
    programmes before their publish date, marked on their pages; a published site never.
    `search_index=False` leaves out the search index (for timing the rest of the build)."""
    report = BuildReport()
    clock = time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal clock
        report.timings[stage] = time.perf_counter() - clock
        clock = time.perf_counter()

    write.check_output_folder(output_dir, [content_dir, templates_dir, Path.cwd()])
    content = load_content(content_dir)
    if base_url:
        base = base_url if base_url.endswith("/") else base_url + "/"
        content = replace(content, config=replace(content.config, base_url=base))
    zone = ZoneInfo(content.config.timezone)
    now = (now or history.build_time() or dt.datetime.now(zone)).astimezone(zone)
    # From here on only what is public at `now`: drafts and programmes before their publish
    # date are in no page, list, feed or sitemap (publish.py).
    content = published(content, now, include_drafts=drafts)
    lap("load")

    sources = [
        content.config.source,
        *(
            entity.source
            for group in (
                content.programmes,
                content.topics.values(),
                content.people.values(),
                content.organisations.values(),
            )
            for entity in group
        ),
    ]
    changed = history.last_changed(content_dir, sources, zone)
    # The feeds are the costliest output (icalendar's content lines); on large sites they are
    # made on the other core while this one plans and renders the pages.
    programmes = content.programmes
    events = sum(len(p.sessions) for p in programmes)
    calendar_files = background.start(
        lambda: feeds.feeds(content, revisions.session_revisions(content_dir, programmes, changed)),
        worth_it=events >= PARALLEL_FROM_SESSIONS,
    )
    planned = pages.plan(content, now, changed)
    lap("plan")

    assets = render.load_assets(templates_dir)
    env = render.environment(templates_dir, content.config, assets)
    rendered = render.render(planned, env)
    lap("render")
    index = search.search_index(rendered, content.config) if search_index else {}
    lap("search")
    # Two files on one path (even one differing only in case or Unicode form) fail the build.
    files = write.merge_outputs(
        {
            "lehed": rendered,
            "ajajooned": timeline.timelines(content.programmes),
            "otsinguindeks": index,
            "templates/assets": assets,
            "kalendrifailid": calendar_files(),
            "saidikaart": {urls.SITEMAP: sitemap.sitemap(planned, content.config.base_url)},
            "robots": {urls.ROBOTS: sitemap.robots(content.config.base_url)},
            "uudisvoog": {urls.PROGRAMMES_FEED: atom.feed(content, planned, changed)},
        }
    )
    lap("outputs")
    linkcheck.check_links(files, content.config.base_url, planned, templates_dir)
    lap("links")

    write.write_site(files, output_dir)
    lap("write")
    report.files, report.pages = len(files), len(planned)
    return report
