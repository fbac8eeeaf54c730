"""The build, stage by stage: load and validate, plan, render, write.

Nothing is written until every stage before writing has succeeded.
"""

from __future__ import annotations

import datetime as dt
import functools
import gc
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any, ParamSpec, TypeVar
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
from .memo import BuildMemo
from .model import Content, Programme
from .publish import published
from .validate import load_content

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
PARALLEL_FROM_SESSIONS = 300  # below this, starting a second process costs more than it saves


@dataclass
class BuildReport:
    files: int = 0
    pages: int = 0
    written: int = 0  # files that were not already in the output folder as they are
    now: dt.datetime | None = None  # the build's "now"
    true_until: dt.datetime | None = None  # when what the pages say about time changes
    timings: dict[str, float] = field(default_factory=dict)


def check(content_dir: Path) -> Content:
    """Validate only. Raises ContentError listing every problem."""
    return load_content(content_dir)


P = ParamSpec("P")
R = TypeVar("R")


def _without_garbage_collector(function: Callable[P, R]) -> Callable[P, R]:
    """A build makes millions of objects and frees them by reference counting; the cyclic
    collector's full passes over what the preview's memo keeps took up to 0.2 s of a 0.2 s
    rebuild on a big site, so it is paused while a build runs."""

    @functools.wraps(function)
    def paused(*args: P.args, **kwargs: P.kwargs) -> R:
        collecting = gc.isenabled()
        gc.disable()
        try:
            return function(*args, **kwargs)
        finally:
            if collecting:
                gc.enable()

    return paused


@_without_garbage_collector
def build(
    content_dir: Path,
    output_dir: Path,
    now: dt.datetime | None = None,
    base_url: str | None = None,
    templates_dir: Path = TEMPLATES,
    drafts: bool = False,
    search_index: bool = True,
    memo: BuildMemo | None = None,
    trusted_output: bool = False,
) -> BuildReport:
    """Build the site into `output_dir`. `drafts` (the preview only) keeps drafts and
    programmes before their publish date, marked on their pages; a published site never.
    `search_index=False` leaves out the search index. `memo` carries work from the last
    build to this one (the preview keeps it in memory, the command line keeps the loaded
    content in the output's state folder); the output is the same without it.
    `trusted_output`: nothing but these builds changes the output folder (the preview's)."""
    report = BuildReport()
    clock = time.perf_counter()
    memo = BuildMemo() if memo is None else memo

    def lap(stage: str) -> None:
        nonlocal clock
        report.timings[stage] = time.perf_counter() - clock
        clock = time.perf_counter()

    write.check_output_folder(output_dir, [content_dir, templates_dir, Path.cwd()])
    content = load_content(content_dir, memo.loaded)
    if base_url:
        base = base_url if base_url.endswith("/") else base_url + "/"
        content = replace(content, config=replace(content.config, base_url=base))
    zone = ZoneInfo(content.config.timezone)
    now = (now or history.build_time() or dt.datetime.now(zone)).astimezone(zone)
    # From here on only what is public at `now`: drafts and programmes before their publish
    # date are in no page, list, feed or sitemap (publish.py).
    content = published(content, now, include_drafts=drafts)
    report.now, report.true_until = now, pages.true_until(content, now, memo.pages)
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
    changed = history.last_changed(content_dir, sources, zone, memo.git)
    # The feeds are the costliest output (icalendar's content lines); on large sites they are
    # made on the other core while this one plans and renders the pages.
    programmes = content.programmes
    events = sum(len(p.sessions) for p in programmes)

    def calendars() -> tuple[dict[str, bytes], dict[Any, Any], dict[Any, Any]]:
        found = revisions.session_revisions(content_dir, programmes, changed, memo.revisions)
        files = feeds.feeds(content, found, memo.events)
        return files, memo.revisions.made(), memo.events.made()

    # Not worth it when the last build's events can be reused.
    in_background = background.start(
        calendars, worth_it=events >= PARALLEL_FROM_SESSIONS and not memo.events
    )
    planned = pages.plan(content, now, changed, memo.pages)
    lap("plan")

    assets = render.load_assets(templates_dir)
    env = render.environment(templates_dir, content.config, assets)
    rendered = render.render(planned, env, memo.rendered, _templates_key(templates_dir))
    lap("render")
    # Made from all the pages: again only when one of them changed.
    made = memo.site.get
    pages_now, config = tuple(planned), content.config
    index = (
        made(
            "search",
            tuple(rendered.values()),
            config,
            partial(search.search_index, rendered, config),
        )
        if search_index
        else {}
    )
    lap("search")
    # Two files on one path (even one differing only in case or Unicode form) fail the build.
    files = write.merge_outputs(
        {
            "lehed": rendered,
            "ajajooned": _timelines(programmes, memo),
            "otsinguindeks": index,
            "templates/assets": assets,
            "kalendrifailid": _calendar_files(in_background, memo, programmes),
            "saidikaart": made(
                "sitemap", pages_now, config.base_url, partial(_sitemap, planned, config.base_url)
            ),
            "robots": {urls.ROBOTS: sitemap.robots(config.base_url)},
            "uudisvoog": _atom(content, planned, changed, memo),
        }
    )
    lap("outputs")
    linkcheck.check_links(files, config.base_url, planned, templates_dir, memo.links)
    lap("links")

    report.written = write.write_site(files, output_dir, trusted_output, memo.digests)
    memo.next_build()
    lap("write")
    report.files, report.pages = len(files), len(planned)
    return report


def _timelines(programmes: tuple[Programme, ...], memo: BuildMemo) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for programme in programmes:
        files |= memo.site.get(
            ("timeline", programme.slug),
            (programme,),
            None,
            partial(timeline.timelines, (programme,)),
        )
    return files


def _sitemap(planned: list[pages.Page], base_url: str) -> dict[str, bytes]:
    return {urls.SITEMAP: sitemap.sitemap(planned, base_url)}


def _atom(
    content: Content,
    planned: list[pages.Page],
    changed: dict[Path, dt.datetime],
    memo: BuildMemo,
) -> dict[str, bytes]:
    return {urls.PROGRAMMES_FEED: atom.feed(content, planned, changed, memo.site)}


def _templates_key(templates_dir: Path) -> tuple[tuple[str, int, int], ...]:
    """What the rendered pages depend on besides their contexts: the templates as they are."""
    return tuple(
        (str(path), stat.st_size, stat.st_mtime_ns)
        for path in sorted(templates_dir.rglob("*"))
        if (stat := path.stat())
    )


def _calendar_files(
    in_background: Callable[[], tuple[dict[str, bytes], dict[Any, Any], dict[Any, Any]]],
    memo: BuildMemo,
    programmes: tuple[Programme, ...],
) -> dict[str, bytes]:
    """The calendar files, and what was made for them kept for the next build, also when
    they were made in a child process: its copies of the programmes are swapped for ours."""
    files, revisions_made, events_made = in_background()
    by_slug = {p.slug: p for p in programmes}

    def ours(thing: object) -> object:
        return by_slug.get(thing.slug, thing) if isinstance(thing, Programme) else thing

    if revisions_made is not memo.revisions.made():  # made in another process
        memo.revisions.adopt(revisions_made, ours)
        memo.events.adopt(events_made, ours)
    return files
