"""The timeline picture, the month overview, the search index and the freshness data."""

from __future__ import annotations

import datetime as dt
import importlib.util
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from koosloome_site import search, timeline
from koosloome_site.dates import PartialDate
from koosloome_site.errors import BuildError
from koosloome_site.validate import load_content
from tests.conftest import CONTENT, ROOT, build_py, build_real_site, text

SVG = "{http://www.w3.org/2000/svg}"
RICH = ROOT / "tests" / "rich_site" / "content"
LABOR = "kogukonna-koosloome-labor-2023"


@pytest.fixture(scope="module")
def rich_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_real_site(
        tmp_path_factory.mktemp("rich") / "out", "2026-11-25T12:00:00+02:00", RICH
    )


@pytest.mark.parametrize("content", [CONTENT, RICH], ids=["content", "rich_site"])
def test_one_mark_per_dated_session(content: Path) -> None:
    for programme in load_content(content).programmes:
        root = ET.fromstring(timeline.svg(programme))  # well-formed XML
        assert root.tag == f"{SVG}svg"
        marks = [g.get("data-session") for g in root.iter(f"{SVG}g") if g.get("class") == "mark"]
        assert marks == sorted(
            (s.id for s in programme.sessions if s.date),
            key=lambda i: next(
                (s.date.first_day if s.date else dt.date.min, s.id)
                for s in programme.sessions
                if s.id == i
            ),
        )


def test_cancelled_and_deadlines_differ_in_shape() -> None:
    programme = next(
        p
        for p in load_content(RICH).programmes
        if any(s.status == "cancelled" for s in p.sessions)
        and any(s.kind == "deadline" for s in p.sessions)
    )
    root = ET.fromstring(timeline.svg(programme))
    by_id = {g.get("data-session"): g for g in root.iter(f"{SVG}g") if g.get("class") == "mark"}
    for session in programme.sessions:
        if session.date is None or session.date.day is None:
            continue
        shapes = [
            child.tag.removeprefix(SVG) for child in by_id[session.id] if child.tag != f"{SVG}title"
        ]
        if session.status == "cancelled":
            assert len(shapes) == 2, shapes  # the mark and a cross over it
        if session.kind == "deadline":
            assert shapes[0] == "path"  # a diamond, not the dot of a session
        else:
            assert shapes[0] in ("circle", "rect")


def test_alt_text_names_months_and_counts(page_2023: Callable[[str], BeautifulSoup]) -> None:
    page = page_2023(f"programmid/{LABOR}/")
    image = page.select_one("figure.timeline img")
    assert image is not None and image["src"] == f"/programmid/{LABOR}/ajajoon.svg"
    alt = str(image["alt"])
    assert alt.startswith("Ajajoon: märts 2023 – detsember 2023.")
    assert "Märts 2023: 1 toimumine ja 1 tähtaeg." in alt
    assert "Juuni 2023: 4 toimumist." in alt
    assert "Aeg täpsustamisel: 2 toimumist." in alt
    assert "Juuli 2023" not in alt  # no sessions that month


def test_alt_text_counts_cancelled() -> None:
    programme = next(
        p for p in load_content(RICH).programmes if any(s.status == "cancelled" for s in p.sessions)
    )
    assert "ära jäetud)" in timeline.describe(programme)


def test_month_span() -> None:
    programme = next(p for p in load_content(CONTENT).programmes if p.slug == LABOR)
    span = timeline.months(programme)
    assert span[0] == (2023, 3) and span[-1] == (2023, 12) and len(span) == 10
    assert PartialDate(2023, 3).first_day == dt.date(2023, 3, 1)


def test_overview_lists_months_from_now_on(page_2023: Callable[[str], BeautifulSoup]) -> None:
    page = page_2023("ulevaade/")
    assert text(page.h1) == "Mis toimub millal"
    months = [text(a) for a in page.select("ul.months a")]
    assert months[0] == "Märts 2023"
    assert "Veebruar 2022" not in months  # the past is on the programmes' own pages
    assert text(page.select_one("ul.months li")) == "Märts 2023 : 1 programm, 2 toimumist"
    assert [text(h) for h in page.select("section.month > h2")] == ["Aeg täpsustamisel"]
    nav = page.select_one('nav[aria-label="Peamenüü"] a[aria-current="page"]')
    assert text(nav) == "Mis toimub millal"

    march = page_2023("ulevaade/2023-03/")  # each month on its own page, linked from there
    first = page.select_one("ul.months a")
    assert first is not None and first["href"] == "/ulevaade/2023-03/"
    assert text(march.h1) == "Märts 2023"
    assert [text(a) for a in march.select("ul.overview h2 a")] == ["Kogukonna koosloome labor"]
    items = [text(li) for li in march.select("ul.overview ul li")]
    assert items == [
        "neljapäev, 23. märts 2023, kell 15.00–16.30 : Infopäev",
        "enne 30. märtsi 2023 : Osalemissoovist teatamine",
    ]
    for time in march.select("time"):
        assert time.get("datetime")


def test_overview_when_nothing_is_ahead(tmp_path: Path) -> None:
    site = build_real_site(tmp_path / "out", "2026-11-25T12:00:00+02:00")
    page = BeautifulSoup((site / "ulevaade" / "index.html").read_text("utf-8"), "html.parser")
    assert not page.select("section.month")
    assert "Sellest kuust edasi ei ole ühtegi toimumist kavas." in text(page.main)


def test_search_index_is_built(site_2023: Path) -> None:
    index = site_2023 / "pagefind"
    assert (index / "pagefind.js").is_file()
    assert (index / "pagefind-worker.js").is_file()
    assert (index / "wasm.et.pagefind").is_file()
    assert list(index.glob("pagefind.et_*.pf_meta"))
    assert list((index / "index").glob("*.pf_index"))
    # One fragment per indexed page: the programmes and the topics, nothing else.
    pages = [
        p for p in site_2023.rglob("index.html") if "data-pagefind-body" in p.read_text("utf-8")
    ]
    assert {p.parent.parent.name for p in pages} == {"programmid", "teemad"}
    assert len(list((index / "fragment").glob("*.pf_fragment"))) == len(pages)
    assert not list(index.glob("pagefind-ui*"))  # our own search.js draws the results


# What search.without_skipped cuts, as one (slower) regular expression matching whole elements.
WHOLE_SKIPPED = re.compile(
    rb'<script type="application/ld\+json">.*?</script>'
    rb"|<(details|section|figure)\b[^>]*\bdata-pagefind-ignore\b[^>]*>.*?</\1>",
    re.DOTALL,
)


def test_what_pagefind_skips_is_cut_before_indexing(site_2023: Path) -> None:
    pages = [p.read_bytes() for p in site_2023.rglob("*.html")]
    cut = [search.without_skipped(page) for page in pages]
    assert cut == [WHOLE_SKIPPED.sub(b"", page) for page in pages]
    programme = next(c for p, c in zip(pages, cut, strict=True) if b'class="add-event"' in p)
    assert b"data-pagefind-ignore" not in programme and b"ld+json" not in programme
    assert b"data-pagefind-body" in programme
    # An unmarked element of the same kind stays; an unclosed one is left to Pagefind, and
    # what comes after it is cut as ever.
    page = (
        b'<details><p>a</p></details><section data-pagefind-ignore="all"><p>b</p></section>'
        b'<p>c</p><figure class="x" data-pagefind-ignore><p>d'
        b'<script type="application/ld+json">{}</script>'
    )
    assert search.without_skipped(page) == WHOLE_SKIPPED.sub(b"", page)
    assert search.without_skipped(page) == (
        b'<details><p>a</p></details><p>c</p><figure class="x" data-pagefind-ignore><p>d'
    )


def test_search_page_allows_only_webassembly_more(
    page_2023: Callable[[str], BeautifulSoup],
) -> None:
    csp = page_2023("otsing/").select_one('meta[http-equiv="Content-Security-Policy"]')
    assert csp is not None
    assert "script-src 'self' 'wasm-unsafe-eval';" in str(csp["content"])
    assert "style-src 'self';" in str(csp["content"])
    home = page_2023("").select_one('meta[http-equiv="Content-Security-Policy"]')
    assert home is not None and "wasm" not in str(home["content"])


def test_pagefind_binary_found_as_pagefinds_client_finds_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from pagefind.service import get_executable

    assert search.pagefind_executable() == str(get_executable())
    own = tmp_path / "pagefind"
    monkeypatch.setenv("PAGEFIND_BINARY_PATH", str(own))
    assert search.pagefind_executable() == str(get_executable()) == str(own)


def test_missing_pagefind_binary_is_a_build_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PAGEFIND_BINARY_PATH", raising=False)
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    monkeypatch.setenv("PATH", "")
    with pytest.raises(BuildError, match="Pagefindi programmi ei leitud"):
        search.Indexer(load_content(CONTENT).config)


def test_no_search_option(tmp_path: Path) -> None:
    result = build_py("--output", str(tmp_path / "out"), "--no-search", cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "out" / "pagefind").exists()
    assert (tmp_path / "out" / "otsing" / "index.html").is_file()


def test_rich_site_index_and_timelines(rich_site: Path) -> None:
    assert (rich_site / "pagefind" / "pagefind.js").is_file()
    for svg in rich_site.glob("programmid/*/ajajoon.svg"):
        ET.parse(svg)


def test_freshness_data(page_2023: Callable[[str], BeautifulSoup]) -> None:
    page = page_2023(f"programmid/{LABOR}/")
    badge = page.select_one("article .badge[data-start]")
    assert badge is not None
    assert (badge["data-start"], badge["data-end"]) == ("2023-04-20", "2023-12-31")
    deadlines = page.select("[data-deadline]")
    assert deadlines and all(d["data-deadline"] == "2023-03-29" for d in deadlines)
    assert [text(d) for d in deadlines] == ["(Jäänud on 28 päeva)", "Jäänud on 28 päeva"]
    footer = text(page.select_one(".site-footer p"))
    assert "Olekud ja tähtajad seisuga 1. märts 2023 ." in footer
    scripts = [s["src"] for s in page.select("script[src]")]
    assert any(str(s).startswith("/freshness.js?v=") for s in scripts)
    assert all(s.has_attr("defer") for s in page.select("script[src]"))
