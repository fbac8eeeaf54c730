"""The build, stage by stage: load and validate, plan, render, write.

Nothing is written before the content has loaded and validated. After that each part of the
site goes into the spare tree (write.Writer) as soon as it is made, so that no build holds the
whole site in memory, and the output folder changes only when every stage, the link check
last, has succeeded.
"""

from __future__ import annotations

import datetime as dt
import functools
import gc
import time
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field, replace
from functools import partial
from itertools import chain
from operator import attrgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar
from zoneinfo import ZoneInfo

# What loading needs. The modules that only make the site (Jinja and the pages, feeds and
# checks: a third of the imports, 60-80 ms) are imported while the other core loads the
# content (`meanwhile` in `build`): a big build's loading child then starts that much sooner.
from . import background, dates, history, urls, write
from .memo import BuildMemo, Memo
from .model import Content, Programme, SiteConfig
from .publish import published
from .validate import load_content

if TYPE_CHECKING:
    from . import linkcheck, pages

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
    loaded: Callable[[BuildMemo], None] | None = None,
    touched: Collection[str] | None = None,
) -> BuildReport:
    """Build the site into `output_dir`. `drafts` (the preview only) keeps drafts and
    programmes before their publish date, marked on their pages; a published site never.
    `search_index=False` leaves out the search index. `memo` carries work from the last
    build to this one (the preview keeps it in memory, the command line keeps the loaded
    content in the output's state folder); the output is the same without it.
    `trusted_output`: nothing but these builds changes the output folder (the preview's).
    `loaded(memo)` is called once the content is loaded and dated, before the pages are
    rendered (the command line saves the memos it keeps on disk then). `touched` (the
    preview's): the only content files that can have changed since the last build with this
    memo, as its file watcher saw them; None: any of them."""
    report = BuildReport()
    clock = time.perf_counter()
    memo = BuildMemo(keep=False) if memo is None else memo

    def lap(stage: str) -> None:
        nonlocal clock
        report.timings[stage] = time.perf_counter() - clock
        clock = time.perf_counter()

    write.check_output_folder(output_dir, [content_dir, templates_dir, Path.cwd()])

    def meanwhile() -> None:  # needs no content: while the other core loads
        from . import atom, feeds, linkcheck, pages, render, revisions, sitemap, timeline  # noqa: F401

        dates.load_locale_data()
        history.git_answers(content_dir, memo.git)
        if not memo.keep:  # (the preview keeps its templates compiled from build to build)
            render.compile_templates(templates_dir)

    content = load_content(content_dir, memo.loaded, touched, meanwhile)
    from . import feeds, linkcheck, pages, render, revisions, sitemap  # (imported meanwhile)

    if base_url:
        base = base_url if base_url.endswith("/") else base_url + "/"
        content = replace(content, config=replace(content.config, base_url=base))
    zone = ZoneInfo(content.config.timezone)
    now = (now or history.build_time() or dt.datetime.now(zone)).astimezone(zone)
    # From here on only what is public at `now`: drafts and programmes before their publish
    # date are in no page, list, feed or sitemap (publish.py).
    content = published(content, now, include_drafts=drafts)
    report.now = now
    lap("load")

    entities = (
        content.programmes,
        content.topics.values(),
        content.people.values(),
        content.organisations.values(),
    )
    sources = [content.config.source, *map(_SOURCE, chain.from_iterable(entities))]
    changed = history.last_changed(
        content_dir, sources, zone, memo.git, content.signatures, content.blob_ids
    )
    programmes, config = content.programmes, content.config
    events = sum(len(p.sessions) for p in programmes)
    # From here on each part of the site goes into the spare tree as soon as it is made (and
    # is dropped unless the memo keeps it); the output folder changes only at `commit`, after
    # every check. Two files on one path (even paths differing only in letter case or Unicode
    # form) fail the build.
    with write.Writer(output_dir, trusted_output, memo.writer if memo.keep else None) as out:
        attributes: dict[str, linkcheck.Attributes] = {}  # each page's links and ids

        def add(group: str, files: dict[str, bytes]) -> None:
            out.add(files, group)
            for name, data in files.items():
                if name.endswith(".html"):
                    attributes[name] = linkcheck.page_attributes(
                        name, data, config.base_url, memo.links
                    )

        assets = render.load_assets(templates_dir)
        add("templates/assets", assets)
        key = _templates_key(templates_dir)
        # the last build's very tuple when equal: a thousand pages' memo entries compare it
        templates_key = memo.site.get("templates", (), key, lambda: key)
        # The preview's next build keeps the environment, with the templates it has loaded.
        env = memo.templates.get(
            "environment",
            (),
            (templates_key, config, assets),
            partial(render.environment, templates_dir, config, assets),
        )

        def with_links(page: pages.Page) -> _Rendered:
            files = render.render(page, env)
            return files, {
                name: linkcheck.page_attributes(name, data, config.base_url, memo.links)
                for name, data in files.items()
            }

        # A build on both cores (the first: nothing to reuse) renders each page; the pages
        # rendered in this process, for the memo (see `_keep_rendered`).
        ours_made: dict[str, _Rendered] = {}

        def render_each(those: Iterable[pages.Page]) -> Iterator[_Rendered]:
            made = map(with_links, those)
            return _recorded(made, ours_made) if memo.rendered.keep else made

        # On a big site the other core makes and writes the calendar files (the costliest
        # output) and the timelines, while this one plans the pages and renders the site's
        # own; then each renders programme pages, this one from the first programme on, the
        # other from the last back, until they meet (the preview's memo takes the child's
        # pages back). Not worth it when the last build's events can be reused. Nor with the
        # search index: Pagefind (a process of its own) indexes each page as this process
        # renders it, and then makes the index alone on one core, for about as long again;
        # the calendar files are made here meanwhile (a child making them would compete with
        # both for two cores while the pages are rendered: 10.7 -> 10.0 s at 1,000
        # programmes, 1.56 -> 1.39 s at 100).
        parallel = events >= PARALLEL_FROM_SESSIONS and not memo.events and not search_index
        shares = None
        if parallel:
            most = int(len(programmes) * SHARE_KEPT) if memo.keep else None
            shares = background.Shares(len(programmes), most)

        # A child hands over its files in parts as it goes (the writer's account of them and
        # its pages' links), which this process takes in between its own pages: all at the
        # end, they were built, pickled and unpickled while one core or the other sat idle
        # (50-65 ms at 1,000 programmes).
        sent: background.Outbox[_Part] = background.Outbox()

        def hand_over(names: list[str]) -> bool:
            """From a child: its files since the last part, and the links of its `names`
            among them. False when made in this process (nothing to hand over)."""
            part = out.handover()
            if part is not None:
                sent.send((part, {name: attributes[name] for name in names}))
            return part is not None

        def calendars_and_pages() -> _Handover:
            found = revisions.session_revisions(
                content_dir, programmes, changed, memo.revisions, content.blob_ids
            )
            feeds.feeds(content, found, memo.events, partial(out.add_each, group=CALENDARS))
            _timelines(programmes, memo, out)
            hand_over([])
            theirs = () if shares is None else shares.back()
            mine = (pages.programme_page(content, programmes[i], now, changed) for i in theirs)
            names: list[str] = []
            kept: dict[str, bytes] = {}  # for the memo, which keeps them (the preview's)
            for files, links in render_each(mine):
                out.add(files, PAGES)
                attributes.update(links)
                names += files
                if memo.keep:
                    kept |= files
                if len(names) >= PAGES_SENT_TOGETHER:
                    hand_over(names)
                    names = []
            if not hand_over(names):  # the last part
                return None
            made_here = tuple(_by_slug(m.made()) for m in (memo.revisions, memo.events, memo.site))
            return made_here, kept

        in_background = background.start(calendars_and_pages, worth_it=parallel)
        if in_background is calendars_and_pages and not search_index:  # in this process:
            # now (with the search index: once the pages are in), so that the big calendar
            # feeds are hashed and written on the writer's thread meanwhile
            made_here = calendars_and_pages()
            in_background = lambda: made_here  # noqa: E731
        if loaded is not None:
            # Now, not before the child process is made: saving takes some megabytes for a
            # moment, which the child would have inherited, and this process is well below
            # its peak yet.
            loaded(memo)

        # After the fork: the programmes' listings, which this needs and plan reuses, are
        # made here while the other core makes the calendars.
        listings = pages.listings(content, now.date(), memo.pages)
        report.true_until = pages.true_until(now, listings)
        planned = pages.plan(content, now, changed, listings, memo.pages)
        made = memo.site.get
        pages_now = tuple(planned)
        add(
            "saidikaart",
            made(
                "sitemap",
                pages_now,
                config.base_url,
                partial(_sitemap, planned, config.base_url, memo.site),
            ),
        )
        add("uudisvoog", _atom(content, planned, changed, memo))
        add("robots", {urls.ROBOTS: sitemap.robots(config.base_url)})
        lap("plan")

        # Each page's files and the links in them. A rebuild's pages come from the last
        # build's, in C, for every page `plan` gave again (the very same object): only the
        # pages made again are rendered, and the writer takes a thousand others whole.
        ours: Iterable[_Rendered]
        if shares is None:
            ours = memo.rendered.each_one(
                "pages", (pages_now,), templates_key, lambda i: with_links(pages_now[i])
            )
        else:  # the site's own pages first, then programmes while any are left
            by_path = {page.path: page for page in planned}
            programme_pages = [by_path.pop(urls.programme(p.slug)) for p in programmes]
            taken = (programme_pages[i] for i in shares.front())
            ours = render_each(chain(by_path.values(), taken))
        # Each page goes to Pagefind as it is rendered: it indexes on the other core meanwhile.
        arrived: list[_Part] = []  # the child's parts, taken in as they come
        with _indexer(config, search_index) as indexer:

            def each_files() -> Iterator[dict[str, bytes]]:
                nonlocal arrived
                for files, links in ours:
                    attributes.update(links)
                    if parallel:  # (asking costs a system call)
                        arrived += sent.arrived()
                    if indexer is not None:
                        for name, html in files.items():
                            indexer.add(name, html)
                    yield files

            out.add_each(each_files(), PAGES)
            lap("render")
            if indexer is not None:
                indexer.finish()  # Pagefind makes the index from here on
                made_here = in_background()  # the calendar files, meanwhile
                in_background = lambda: made_here  # noqa: E731
                add("otsinguindeks", indexer.files())
        lap("search")
        theirs = _adopt(in_background, arrived, sent, memo, programmes, out, attributes)
        if ours_made:
            _keep_rendered(pages_now, ours_made, theirs, memo.rendered, templates_key, attributes)
        lap("outputs")
        linkcheck.check_site(
            out.digests,
            attributes,
            config.base_url,
            out.read,
            planned,
            templates_dir,
            memo.checked if memo.keep else None,
            out.paths_as_committed(),
        )
        lap("links")
        report.written = out.commit()
    memo.next_build()
    lap("write")
    report.files, report.pages = len(out.digests), len(planned)
    return report


_SOURCE = attrgetter("source")
CALENDARS, PAGES, TIMELINES = "kalendrifailid", "lehed", "ajajooned"  # named in errors
# At most this share of the programme pages for the child when the memo keeps what it made
# (the preview's first build): it then also hands back its pages and its memos' entries
# (92 MB at 1,000 programmes), which take this process about 0.1 s to take in. Measured
# there with fixed shares: 0.2-0.3 started the preview 0.1 s sooner than 0.35, and 0.15 or 0
# later.
SHARE_KEPT = 0.25


def _timelines(programmes: tuple[Programme, ...], memo: BuildMemo, out: write.Writer) -> None:
    from . import timeline  # (imported in `build`'s meanwhile)

    made = memo.site.each_one(
        "timelines", (programmes,), None, lambda i: timeline.timelines((programmes[i],))
    )
    out.add_each(made, TIMELINES)  # one part each: the writer takes an unchanged one whole


def _indexer(config: SiteConfig, wanted: bool) -> AbstractContextManager[Any]:
    """Pagefind's index in the making, or nothing (None) without the search index."""
    if not wanted:
        return nullcontext(None)
    from . import search  # Pagefind's client: a process and a thread, for this only

    return search.Indexer(config)


def _sitemap(planned: list[pages.Page], base_url: str, memo: Memo[Any]) -> dict[str, bytes]:
    from . import sitemap  # (imported in `build`'s meanwhile)

    return {urls.SITEMAP: sitemap.sitemap(planned, base_url, memo)}


def _atom(
    content: Content,
    planned: list[pages.Page],
    changed: dict[Path, dt.datetime],
    memo: BuildMemo,
) -> dict[str, bytes]:
    from . import atom  # (imported in `build`'s meanwhile)

    return {urls.PROGRAMMES_FEED: atom.feed(content, planned, changed, memo.site)}


def _templates_key(templates_dir: Path) -> tuple[tuple[str, int, int], ...]:
    """What the rendered pages depend on besides their contexts: the templates as they are."""
    return tuple(
        (str(path), stat.st_size, stat.st_mtime_ns)
        for path in sorted(templates_dir.rglob("*"))
        if (stat := path.stat())
    )


# What the calendar child hands back (None when made in this process): what it made for the
# memos that keep it (revisions, events, timelines) and, for a memo that keeps pages, its
# pages. Its files and pages' links it has sent as parts: the writer's account and links each.
_Handover = tuple[tuple[dict[Any, Any], ...], dict[str, bytes]] | None
if TYPE_CHECKING:  # (linkcheck is imported as the content loads)
    _Part = tuple[dict[str, Any], dict[str, linkcheck.Attributes]]
    # A page's files and their links (each file's).
    _Rendered = tuple[dict[str, bytes], dict[str, linkcheck.Attributes]]
PAGES_SENT_TOGETHER = 50  # the child's pages whose files and links go to this process at once


def _adopt(
    in_background: Callable[[], _Handover],
    arrived: list[_Part],
    sent: background.Outbox[_Part],
    memo: BuildMemo,
    programmes: tuple[Programme, ...],
    out: write.Writer,
    attributes: dict[str, linkcheck.Attributes],
) -> dict[str, bytes]:
    """Wait for the calendar files (and the child's pages); when a child process wrote them,
    take its account of them and its pages' links (the parts `arrived` while this process
    rendered, the rest `sent` since), and keep what it made for the next build: its copies
    of the programmes are swapped for ours, so that identity holds. Returns the pages it
    rendered when the memo keeps pages (for `_keep_rendered`)."""
    answer = in_background()
    if answer is None:  # made in this process
        return {}
    (revisions_made, events_made, site_made), rendered = answer
    parts = [*arrived, *sent.arrived()]
    out.adopt(part for part, _ in parts)
    for _, links in parts:
        attributes |= links
    by_slug = {p.slug: p for p in programmes}

    def ours(thing: object) -> object:
        if isinstance(thing, tuple):  # a pass's column of programmes (Memo.each)
            return tuple(map(ours, thing))
        return by_slug[thing.slug] if isinstance(thing, _Sent) else thing

    memo.revisions.adopt(revisions_made, ours)
    memo.events.adopt(events_made, ours)
    memo.site.adopt(site_made, ours)  # the timelines
    return rendered


@dataclass(frozen=True)
class _Sent:
    """A programme that a memo's entry was made from, sent back from the calendar child
    by its slug: this process has the very same one (pickling a thousand programmes, to be
    swapped for ours on arrival anyway, took the preview's first build 0.1-0.2 s)."""

    slug: str


def _by_slug(made: dict[Any, tuple[tuple[object, ...], object, Any]]) -> dict[Any, Any]:
    """A memo's `made()` with the programmes it was made from as _Sent."""

    def sent(thing: object) -> object:
        if isinstance(thing, tuple):
            return tuple(map(sent, thing))
        return _Sent(thing.slug) if isinstance(thing, Programme) else thing

    return {
        name: (sent(objects), values, result) for name, (objects, values, result) in made.items()
    }


def _recorded(rendered: Iterable[_Rendered], made: dict[str, _Rendered]) -> Iterator[_Rendered]:
    """`rendered`, each also put in `made` under its page's first file."""
    for files, links in rendered:
        made[next(iter(files))] = files, links
        yield files, links


def _keep_rendered(
    planned: tuple[pages.Page, ...],
    ours: dict[str, _Rendered],
    theirs: dict[str, bytes],
    memo: Memo[Any],
    templates_key: object,
    attributes: dict[str, linkcheck.Attributes],
) -> None:
    """The pages of a build on both cores (the preview's first), rendered in this process
    (`ours`) and in the child (`theirs`), kept in the memo as a build in one process keeps
    them, under the very pages `plan` made, which the next build gives again for unchanged
    programmes."""

    def made(i: int) -> _Rendered:
        target = urls.output_file(planned[i].path)
        if target in ours:
            return ours[target]
        return {target: theirs[target]}, {target: attributes[target]}

    memo.each("pages", (planned,), templates_key, made)
