"""What every public page carries besides its text, over all three test sites (the real content
at two clocks and tests/rich_site/content, as in test_browser_checks.py):

- one JSON-LD `@graph` (structured_data.py): each session an event with times at the right
  Europe/Tallinn offset, status, attendance mode, place, organiser and offer; the programme an
  EventSeries; safe inside its `<script>` even with hostile text;
- canonical address and Open Graph; robots.txt; the Atom feed of programmes (atom.py);
- a strict Content-Security-Policy, no inline script (but the JSON-LD data), no style="" or
  <style>;
- the weight budget: each page's HTML plus its stylesheets at most 14 KiB with gzip -9.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any
from xml.etree import ElementTree
from zoneinfo import ZoneInfo

import pytest
from bs4 import BeautifulSoup, Tag
from hypothesis import given, settings
from hypothesis import strategies as st

from koosloome_site import atom, structured_data, urls
from koosloome_site.model import Content, Topic
from koosloome_site.pipeline import build
from koosloome_site.publish import published
from koosloome_site.validate import load_content
from tests.conftest import ROOT
from tests.sitekit import write_site
from tests.test_hostile_content import BUILT, normalised, q

SITES = [
    ("content", "2023-03-01T12:00:00+02:00"),
    ("content", "2026-11-25T12:00:00+02:00"),
    ("tests/rich_site/content", "2026-11-25T12:00:00+02:00"),
]
BUDGET = 14 * 1024  # bytes of gzip -9: HTML plus every stylesheet the page links
ATOM = "{http://www.w3.org/2005/Atom}"
TALLINN = ZoneInfo("Europe/Tallinn")
SCHEMA = "https://schema.org/"


class Site:
    def __init__(self, root: Path, content: Content) -> None:
        self.root = root
        self.content = content
        self.base = content.config.base_url
        self.pages = sorted(p.relative_to(root).as_posix() for p in root.rglob("*.html"))

    def soup(self, name: str) -> BeautifulSoup:
        return BeautifulSoup((self.root / name).read_text(encoding="utf-8"), "html.parser")

    def graph(self, name: str) -> list[dict[str, Any]]:
        scripts = self.soup(name).find_all("script", type="application/ld+json")
        assert len(scripts) == 1, f"{name}: {len(scripts)} JSON-LD blocks"
        data = json.loads(scripts[0].string or "")
        assert data["@context"] == "https://schema.org"
        nodes: list[dict[str, Any]] = data["@graph"]
        return nodes


@pytest.fixture(scope="module", params=SITES, ids=["now=2023-03", "now=2026-11", "rich_site"])
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Site:
    content_dir, now = request.param
    out = tmp_path_factory.mktemp("public") / "out"
    moment = dt.datetime.fromisoformat(now)
    build(ROOT / content_dir, out, now=moment)
    return Site(out, published(load_content(ROOT / content_dir), moment))


def _offset_ok(stamp: str) -> None:
    """A moment with the UTC offset Tallinn has at that wall-clock time."""
    moment = dt.datetime.fromisoformat(stamp)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", stamp), stamp
    assert moment.utcoffset() == moment.replace(tzinfo=TALLINN).utcoffset(), stamp


def test_every_page_has_one_json_ld_graph_with_the_site(site: Site) -> None:
    for name in site.pages:
        nodes = site.graph(name)
        sites = [n for n in nodes if n["@type"] == "WebSite"]
        assert len(sites) == 1 and sites[0]["url"] == site.base, name
        ids = [n["@id"] for n in nodes]
        assert len(ids) == len(set(ids)), f"{name}: repeated @id"


def test_every_session_is_an_event_with_its_facts(site: Site) -> None:
    checked = 0
    for programme in site.content.programmes:
        page = urls.programme(programme.slug)
        nodes = {n["@id"]: n for n in site.graph(urls.output_file(page))}
        series = nodes[site.base + page + "#programm"]
        assert series["@type"] == "EventSeries" and series["name"] == programme.title
        assert series["startDate"] == programme.start.iso
        events = [s for s in programme.sessions if structured_data.is_event(s)]
        assert [r["@id"] for r in series.get("subEvent", [])] == [
            f"{site.base}{page}#toimumine-{s.id}" for s in events
        ]
        for session in programme.sessions:
            node = nodes.get(f"{site.base}{page}#toimumine-{session.id}")
            if not structured_data.is_event(session):
                assert node is None, session.id  # deadlines and undated: not events
                continue
            checked += 1
            assert session.date is not None and node is not None
            assert node["@type"] == "EducationEvent"
            assert programme.title in node["name"]
            assert node["superEvent"] == {"@id": series["@id"]}
            assert node["eventStatus"] == SCHEMA + structured_data.EVENT_STATUS[session.status]
            start = node["startDate"]
            if session.start_time and session.date.day:
                _offset_ok(start)
                assert dt.datetime.fromisoformat(start).time() == session.start_time
                if session.end_time:
                    _offset_ok(node["endDate"])
            else:
                assert start == session.date.iso  # a day or a month, as the content says
            assert all(o["@id"] in nodes for o in node["organizer"])
            mode = node.get("eventAttendanceMode")
            locations = node.get("location", [])
            locations = [locations] if isinstance(locations, dict) else locations
            kinds = {loc["@type"] for loc in locations}
            if session.online:
                assert "VirtualLocation" in kinds
                assert mode in (
                    SCHEMA + "OnlineEventAttendanceMode",
                    SCHEMA + "MixedEventAttendanceMode",
                )
            if session.place and session.status != "moved_online":
                place = next(loc for loc in locations if loc["@type"] == "Place")
                assert place["address"]["@type"] == "PostalAddress"
                assert place["address"]["addressLocality"] == session.place.city
                assert mode in (
                    SCHEMA + "OfflineEventAttendanceMode",
                    SCHEMA + "MixedEventAttendanceMode",
                )
            free = programme.cost is not None and programme.cost.free
            if free or session.registration:
                offer = node["offers"]
                if free:
                    assert (offer["price"], offer["priceCurrency"]) == (0, "EUR")
                if session.registration:
                    assert offer["url"] == session.registration.url
            else:
                assert "offers" not in node
    assert checked > 0


def test_canonical_and_open_graph_on_every_page(site: Site) -> None:
    for name in site.pages:
        if name == urls.NOT_FOUND:
            continue  # served at any missing address: noindex, no canonical
        soup = site.soup(name)
        path = name.removesuffix("index.html")
        canonical = soup.find("link", rel="canonical")
        assert isinstance(canonical, Tag) and canonical["href"] == site.base + path, name
        og = {
            str(m["property"]): str(m["content"])
            for m in soup.find_all("meta", property=True)
            if isinstance(m, Tag)
        }
        assert og["og:url"] == site.base + path, name
        assert og["og:locale"] == "et_EE" and og["og:type"] == "website"
        assert og["og:site_name"] == site.content.config.title
        assert og["og:title"] and og["og:description"], name
        title = soup.title.string if soup.title else ""
        assert title and title.startswith(og["og:title"]), name


def test_robots_txt_allows_all_and_names_the_sitemap(site: Site) -> None:
    robots = (site.root / "robots.txt").read_text(encoding="utf-8")
    assert robots.splitlines() == [
        "User-agent: *",
        "Allow: /",
        "",
        f"Sitemap: {site.base}sitemap.xml",
    ]
    assert (site.root / "sitemap.xml").is_file()


def test_atom_feed_of_programmes(site: Site) -> None:
    data = (site.root / urls.PROGRAMMES_FEED).read_bytes()
    feed = ElementTree.fromstring(data)
    assert feed.tag == ATOM + "feed"
    assert feed.get("{http://www.w3.org/XML/1998/namespace}lang") == "et"

    def one(parent: ElementTree.Element, tag: str) -> str:
        found = parent.findall(ATOM + tag)
        assert len(found) == 1, tag
        return found[0].text or ""

    assert one(feed, "id") == site.base + urls.PROGRAMMES_FEED
    assert one(feed, "title") == site.content.config.title
    feed_updated = dt.datetime.fromisoformat(one(feed, "updated"))
    assert one(feed.find(ATOM + "author"), "name")  # type: ignore[arg-type]
    links = {link.get("rel"): link.get("href") for link in feed.findall(ATOM + "link")}
    assert links == {"self": site.base + urls.PROGRAMMES_FEED, "alternate": site.base}

    entries = feed.findall(ATOM + "entry")
    ids = [one(e, "id") for e in entries]
    assert sorted(ids) == sorted(
        site.base + urls.programme(p.slug) for p in site.content.programmes
    ), "one entry per public programme, its page address as id"
    assert len(set(ids)) == len(ids)
    stamps = []
    for entry, programme_id in zip(entries, ids, strict=True):
        updated = dt.datetime.fromisoformat(one(entry, "updated"))
        assert updated.tzinfo is not None and updated <= feed_updated
        stamps.append(updated)
        assert one(entry, "title") and one(entry, "summary")
        alternate = entry.find(ATOM + "link")
        assert alternate is not None and alternate.get("href") == programme_id
        for published_at in entry.findall(ATOM + "published"):
            assert dt.datetime.fromisoformat(published_at.text or "") <= updated
    assert stamps == sorted(stamps, reverse=True), "newest change first"
    for name in site.pages:
        alternates = site.soup(name).find_all("link", type="application/atom+xml")
        assert [a["href"] for a in alternates] == ["/" + urls.PROGRAMMES_FEED], name


CSP_REQUIRED = {
    "default-src": {"'self'"},
    "object-src": {"'none'"},
    "base-uri": {"'none'"},
    "form-action": {"'self'"},
    "style-src": {"'self'"},
}


def test_strict_csp_and_nothing_inline(site: Site) -> None:
    for name in site.pages:
        soup = site.soup(name)
        metas = soup.find_all("meta", attrs={"http-equiv": "Content-Security-Policy"})
        assert len(metas) == 1, name
        policy = {
            d.split()[0]: set(d.split()[1:])
            for d in str(metas[0]["content"]).split(";")
            if d.strip()
        }
        for directive, sources in CSP_REQUIRED.items():
            assert policy.get(directive) == sources, (name, directive, policy)
        # WebAssembly (the search index) is the one widening a page may make.
        assert policy["script-src"] <= {"'self'", "'wasm-unsafe-eval'"}, name
        assert policy["img-src"] <= {"'self'", "data:"}, name
        head = soup.head
        assert head is not None and head.find("meta") is head.find("meta", charset=True)
        assert soup.find("style") is None, f"{name}: <style>"
        styled = [t.name for t in soup.find_all(style=True)]
        assert not styled, f"{name}: style= on {styled}"
        for script in soup.find_all("script"):
            if script.get("type") == "application/ld+json":
                continue
            src = str(script.get("src", ""))
            assert src.startswith("/") and not src.startswith("//"), f"{name}: inline script"
            assert not (script.string or "").strip(), f"{name}: script with text"
        handlers = [(t.name, a) for t in soup.find_all(True) for a in t.attrs if a.startswith("on")]
        assert not handlers, f"{name}: {handlers}"


def test_page_weight_budget(site: Site) -> None:
    sizes = []
    for name in site.pages:
        soup = site.soup(name)
        data = (site.root / name).read_bytes()
        size = len(gzip.compress(data, 9))
        for sheet in soup.find_all("link", rel="stylesheet"):
            path = str(sheet["href"]).split("?")[0].lstrip("/")
            size += len(gzip.compress((site.root / path).read_bytes(), 9))
        sizes.append((size, name))
    sizes.sort(reverse=True)
    print("\nlargest pages (gzip -9 HTML + CSS):", ", ".join(f"{n} {s} B" for s, n in sizes[:3]))
    over = [f"{n}: {s} B" for s, n in sizes if s > BUDGET]
    assert not over, f"over {BUDGET} B: {over}"


def test_accessibility_statement_is_linked_from_every_page(site: Site) -> None:
    statement = site.soup(urls.output_file(urls.ACCESSIBILITY))
    assert statement.h1 is not None and statement.h1.get_text() == "Ligipääsetavuse teatis"
    text = " ".join(statement.get_text(" ").split())
    for fact in (
        "WCAG 2.1",
        "AA",
        "axe-core",
        "Nu Html Checker",
        "klaviatuur",
        "Teatis on koostatud",
    ):
        assert fact in text, fact
    assert statement.find("time") is not None
    for name in site.pages:
        footer = site.soup(name).find("footer")
        assert isinstance(footer, Tag)
        assert footer.find("a", href="/" + urls.ACCESSIBILITY), name


def test_script_text_cannot_end_its_element() -> None:
    text = structured_data.script_text([{"name": "</script><!-- & -->"}])
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text)["@graph"][0]["name"] == "</script><!-- & -->"


def test_hostile_titles_stay_data_in_the_json_ld(tmp_path: Path) -> None:
    """Every payload of the XSS corpus as a session title: one script element on the page,
    its JSON the titles back exactly."""
    sessions = "".join(
        f"  - id: s{n}\n    kind: workshop\n    title: {q(p)}\n"
        f'    date: "2023-04-{1 + n % 28:02d}"\n'
        for n, p in enumerate(BUILT)
    )
    programme = (
        f"title: {q(BUILT[0])}\nsummary: {q(BUILT[1])}\n"
        'period:\n  start: "2023-04"\n  end: "2023-05"\norganisers:\n  - silab\n'
        f"sessions:\n{sessions}"
    )
    content = write_site(tmp_path, {"programmes/demo.yaml": programme})
    build(content, tmp_path / "out", now=dt.datetime(2023, 3, 1, tzinfo=TALLINN))
    html = (tmp_path / "out" / "programmid" / "demo" / "index.html").read_text(encoding="utf-8")
    assert len(re.findall(r"<script", html, re.IGNORECASE)) == 1 + html.count('<script src="')
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.DOTALL)
    assert block is not None and "<" not in block.group(1)
    nodes = {n["@id"]: n for n in json.loads(block.group(1))["@graph"]}
    base = "https://programmid.example.ee/programmid/demo/"
    for n, payload in enumerate(BUILT):
        name = nodes[f"{base}#toimumine-s{n}"]["name"]
        assert normalised(name) == normalised(f"{payload} – {BUILT[0]}")  # as trimmed by validation


@settings(max_examples=300, deadline=None)
@given(
    text=st.text(st.characters(codec="utf-8"), max_size=20),
    other=st.text(alphabet="&<>\"'\n\r\t ;#aõ", max_size=12),
    published_too=st.booleans(),
)
def test_atom_entry_is_what_elementtree_writes(text: str, other: str, published_too: bool) -> None:
    """atom.py writes each entry out itself: byte for byte what ElementTree wrote (which it
    did until the nineteenth session), escaping and empty elements included."""
    content = load_content(ROOT / "content")
    programme = replace(content.programmes[0], title=text + other, summary=other + text)
    topics = (
        Topic(slug="a" + other, title=other + text, description="", source=Path("t.yaml")),
        Topic(slug="b", title=text, description="", source=Path("b.yaml")),
    )
    updated = dt.datetime(2026, 11, 25, 12, 0, 5, tzinfo=ZoneInfo("Europe/Tallinn"))
    published_at = updated - dt.timedelta(days=3) if published_too else None
    address = f"https://example.ee/{other}&x=<{text}>"

    entry = ElementTree.Element("entry")
    ElementTree.SubElement(entry, "id").text = address
    ElementTree.SubElement(entry, "title").text = programme.title
    ElementTree.SubElement(entry, "updated").text = updated.isoformat(timespec="seconds")
    if published_at:
        ElementTree.SubElement(entry, "published").text = published_at.isoformat(timespec="seconds")
    ElementTree.SubElement(entry, "link", rel="alternate", type="text/html", href=address)
    ElementTree.SubElement(entry, "summary").text = programme.summary
    for topic in topics:
        ElementTree.SubElement(entry, "category", term=topic.slug, label=topic.title)
    ElementTree.indent(entry, level=1)
    expected = f"  {ElementTree.tostring(entry, encoding='unicode')}\n"

    assert atom._entry(address, programme, topics, updated, published_at) == expected
