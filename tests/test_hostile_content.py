"""Hostile content: hundreds of XSS payloads in every free-text field and every address field.

The payloads (tests/hostile/xss_payloads.txt) come from the families of the OWASP XSS Filter
Evasion Cheat Sheet and the PortSwigger XSS cheat sheet plus Markdown-specific ones. Each one
goes into every kind of free text an editor writes (titles, summaries, Markdown descriptions
and notes, names, places, group and link labels, the site's title and description) of one
generated site, which is then built; every file of the output is read back:

- HTML with an HTML parser: no `<script>` but the page's one JSON-LD data block (which must
  parse as JSON and hold no `<`) and the site's own script files (`src="/name.js?v=hash"`), no
  attribute whose name starts with "on", no tag or
  attribute that neither the templates nor the Markdown sanitiser's allow-list has, and every
  URL attribute (href, src, action, formaction, xlink:href, poster, data, srcset, ...) either
  relative or http, https, mailto or tel, read as browsers read it (entities decoded, leading
  control characters and spaces dropped, tabs and line breaks removed). The site's own
  `webcal://` subscribe links are the one other scheme, on the site's own host.
- every .ics with the strict checker (tests/ics_check.py) and icalendar: no property or
  component the feeds do not make (a smuggled line break would make one), only http(s) URLs,
  exactly the events the content has, and the payload back as plain text in SUMMARY.
- sitemap.xml and programmid.atom with an XML parser: only their elements, every address the
  site's own; robots.txt exactly as written.
- no other kind of file (the site writes no JSON).

Payloads with characters YAML does not allow in a file (NUL, other control characters, U+FFFE)
cannot reach a page at all: validation refuses them, at the field. In address fields every
payload must be refused with a located error unless it is a plain http(s) address.

The build under test runs without the internal link check (linkcheck.py), so that the
sanitiser alone is what keeps the pages safe; a last test runs it with the link check too.
"""

from __future__ import annotations

import datetime as dt
import html.parser
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple
from xml.etree import ElementTree

import icalendar
import jinja2
import markupsafe
import pytest

from koosloome_site import linkcheck, markup, render
from koosloome_site.errors import BuildError, ContentError, Diagnostic
from koosloome_site.pipeline import build
from koosloome_site.validate import load_content
from koosloome_site.yamlsrc import not_printable
from tests import ics_check
from tests.sitekit import FILES, SITE

HERE = Path(__file__).resolve().parent
PAYLOAD_FILE = HERE / "hostile" / "xss_payloads.txt"
TEMPLATES = HERE.parent / "templates"
NOW = dt.datetime.fromisoformat("2023-03-01T12:00:00+02:00")
BASE = "https://programmid.example.ee/"


def load_payloads() -> list[str]:
    payloads: dict[str, None] = {}
    for line in PAYLOAD_FILE.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        if line.startswith("esc:"):
            line = line[4:].encode("latin-1", "backslashreplace").decode("unicode_escape")
        payloads[line] = None
    return list(payloads)


PAYLOADS = load_payloads()
# What YAML cannot carry (raw or as an escape): validation refuses it, so it is never built.
REFUSED = [p for p in PAYLOADS if not_printable().search(p)]
BUILT = [p for p in PAYLOADS if not not_printable().search(p)]


def q(text: str) -> str:
    """`text` as a YAML double-quoted scalar, every non-ASCII or control character escaped."""
    out = []
    for char in text:
        if char in '"\\':
            out.append("\\" + char)
        elif " " <= char <= "~":
            out.append(char)
        elif ord(char) <= 0xFFFF:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(f"\\U{ord(char):08x}")
    return '"' + "".join(out) + '"'


# Every kind of free text an editor writes, as (file kind, field path); the Markdown ones are
# marked. Sessions: an info day (timed, with place, online and registration), a deadline and
# an undated workshop, so that every session branch of the templates is used.
PROGRAMME_TEXT_FIELDS = [
    "title",
    "summary",
    "description (Markdown)",
    "audience.description",
    "audience.team_composition",
    "places.unit",
    "cost.note",
    "format",
    "goals[0]",
    "expectations[0]",
    "outcomes[0]",
    "team[0].role",
    "contacts[0].purpose",
    "contacts[0].unit",
    "links[0].label",
    "groups.g",
    "sessions[*].title",
    "sessions[*].notes (Markdown)",
    "sessions[0].place.city",
    "sessions[0].place.venue",
    "sessions[0].place.address",
    "sessions[0].online.platform",
    "sessions[0].registration.label",
]
OTHER_TEXT_FIELDS = [
    "topics: title",
    "topics: description (Markdown)",
    "people: name",
    "organisations: name",
    "organisations: short_name",
    "site: title",
    "site: description",
]


def programme_yaml(n: int, p: str) -> str:
    v = q(p)
    return f"""\
title: {v}
summary: {v}
description: {v}
period:
  start: "2023-03"
  end: "2023-05"
audience:
  description: {v}
  team_size: {{min: 2, max: 5}}
  team_composition: {v}
places: {{count: 10, unit: {v}, up_to: true}}
cost: {{free: false, note: {v}}}
format: {v}
goals: [{v}]
expectations: [{v}]
outcomes: [{v}]
topics: [t{n}]
team:
  - person: p{n}
    role: {v}
organisers: [o{n}]
partners: [silab]
contacts:
  - purpose: {v}
    person: p{n}
    organisation: o{n}
    unit: {v}
    phone: "+372 504 4576"
    email: mari@example.ee
links:
  - label: {v}
    url: https://example.ee/lisainfo?p={n}
groups:
  g: {v}
sessions:
  - id: infopaev
    kind: info_day
    title: {v}
    date: "2023-03-23"
    start_time: "15.00"
    end_time: "16.30"
    place: {{city: {v}, venue: {v}, address: {v}}}
    online: {{platform: {v}, url: "https://zoom.us/j/123?pwd={n}"}}
    group: g
    registration: {{label: {v}, url: "https://example.ee/registreeru?p={n}"}}
    notes: {v}
  - id: tahtaeg
    kind: deadline
    title: {v}
    date: "2023-03-30"
    deadline: before
    notes: {v}
  - id: hiljem
    kind: workshop
    title: {v}
    notes: {v}
"""


def chunks(texts: list[str], size: int) -> list[str]:
    """The texts joined with spaces into pieces of at most `size` characters."""
    out, current = [], ""
    for text in texts:
        if current and len(current) + 1 + len(text) > size:
            out.append(current)
            current = ""
        current = f"{current} {text}" if current else text
    return [*out, current]


def hostile_files(payloads: list[str], site_title: str, site_description: str) -> dict[str, str]:
    files = {
        "site.yaml": SITE.replace("title: Testsait", f"title: {q(site_title)}")
        + f"description: {q(site_description)}\n",
        "organisations/silab.yaml": FILES["organisations/silab.yaml"],
    }
    for n, p in enumerate(payloads):
        files[f"programmes/x{n}.yaml"] = programme_yaml(n, p)
        files[f"topics/t{n}.yaml"] = f"title: {q(p)}\ndescription: {q(p)}\n"
        files[f"people/p{n}.yaml"] = f"name: {q(p)}\n"
        files[f"organisations/o{n}.yaml"] = (
            f"name: {q(p)}\nshort_name: {q(p)}\nurl: https://example.ee/o{n}\n"
        )
    return files


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


# -- reading the output as browsers and calendar clients would ---------------------------------

# Attributes whose value a browser loads or navigates to.
URL_ATTRIBUTES = frozenset(
    {
        "href",
        "src",
        "action",
        "formaction",
        "xlink:href",
        "poster",
        "data",
        "srcset",
        "background",
        "cite",
        "longdesc",
        "ping",
        "dynsrc",
        "lowsrc",
        "codebase",
        "archive",
        "classid",
        "manifest",
        "icon",
        "profile",
        "usemap",
        "srcdoc",
    }
)
SAFE_SCHEMES = frozenset({None, "http", "https", "mailto", "tel"})
_C0_AND_SPACE = "".join(chr(c) for c in range(0x21))


def scheme(value: str) -> str | None:
    """The scheme a browser's URL parser finds in an attribute value (entities decoded
    already): leading and trailing C0 controls and spaces dropped, tab, LF and CR removed
    anywhere; None for a relative address."""
    value = re.sub("[\t\n\r]", "", value.strip(_C0_AND_SPACE))
    m = re.match(r"([A-Za-z][A-Za-z0-9+.-]*):", value)
    return m.group(1).lower() if m else None


def allowed_url(value: str) -> bool:
    found = scheme(value)
    if found in SAFE_SCHEMES:
        return True
    # the site's own subscribe links (calendar_links.feed_links)
    return found == "webcal" and value.startswith("webcal://programmid.example.ee/")


def template_tags_and_attributes() -> tuple[set[str], set[str]]:
    """What the templates themselves write, plus what the Markdown sanitiser keeps."""
    text = "".join(p.read_text(encoding="utf-8") for p in sorted(TEMPLATES.glob("*.html")))
    tags = (set(re.findall(r"<([a-z][a-z0-9]*)", text)) - {"script"}) | set(markup._TAGS)
    attributes = set(re.findall(r"\s([a-z][a-z:-]*)=", text)) | {"readonly", "rel"}
    attributes |= {name for names in markup._ATTRIBUTES.values() for name in names}
    return tags, attributes


class Element(NamedTuple):
    tag: str
    attributes: list[tuple[str, str | None]]


class _Collector(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append(Element(tag, attrs))


def elements(data: bytes) -> list[Element]:
    collector = _Collector()
    collector.feed(data.decode("utf-8"))
    collector.close()
    return collector.elements


class Scan(NamedTuple):
    files: int
    html: int
    ics: int
    elements: int
    url_attributes: int
    problems: list[str]


def scan(site: Path) -> Scan:
    """Every file of a built site, read for anything a payload could have smuggled in."""
    tags_ok, attributes_ok = template_tags_and_attributes()
    problems: list[str] = []
    counts = {"files": 0, "html": 0, "ics": 0, "elements": 0, "urls": 0}
    for path in sorted(p for p in site.rglob("*") if p.is_file()):
        name = path.relative_to(site).as_posix()
        data = path.read_bytes()
        counts["files"] += 1
        if path.suffix == ".html":
            counts["html"] += 1
            blocks = JSON_LD.findall(data)
            if len(blocks) != 1:
                problems.append(f"{name}: {len(blocks)} JSON-LD blocks")
            for block in blocks:
                try:
                    json.loads(block)
                except ValueError:
                    problems.append(f"{name}: JSON-LD that is not JSON")
            if re.search(rb"<\s*/?\s*script", ASSET_SCRIPT.sub(b"", JSON_LD.sub(b"", data)), re.I):
                problems.append(f"{name}: '<script' in the bytes")
            for element in elements(data):
                counts["elements"] += 1
                if element.tag == "script" and not _our_script(element):
                    problems.append(f"{name}: element <script>")
                elif element.tag not in tags_ok and element.tag != "script":
                    problems.append(f"{name}: element <{element.tag}>")
                for attribute, value in element.attributes:
                    if attribute.startswith("on"):
                        problems.append(f"{name}: <{element.tag} {attribute}=...>")
                    if attribute not in attributes_ok and element.tag != "script":
                        problems.append(f"{name}: <{element.tag}> attribute {attribute}")
                    if attribute in URL_ATTRIBUTES and value is not None:
                        counts["urls"] += 1
                        candidates = (
                            [c.strip().split(" ")[0] for c in value.split(",")]
                            if attribute == "srcset"
                            else [value]
                        )
                        problems += [
                            f"{name}: <{element.tag} {attribute}={c!r}>"
                            for c in candidates
                            if not allowed_url(c)
                        ]
                http_equiv = any(a == "http-equiv" for a, _ in element.attributes)
                if element.tag == "meta" and http_equiv and not _our_policy(element):
                    problems.append(f"{name}: <meta http-equiv>")
        elif path.suffix == ".ics":
            counts["ics"] += 1
            problems += scan_calendar(name, data)
        elif name == "sitemap.xml":
            problems += scan_sitemap(data)
        elif name == "programmid.atom":
            problems += scan_atom(data)
        elif name == "robots.txt":
            if data != f"User-agent: *\nAllow: /\n\nSitemap: {BASE}sitemap.xml\n".encode():
                problems.append("robots.txt: unexpected text")
        elif path.suffix == ".svg":
            problems += scan_svg(name, data)
        elif name.startswith("pagefind/"):
            # The search index, made by Pagefind from the pages scanned above; search.js puts
            # its excerpts on the page as text and <mark> only.
            pass
        elif path.suffix == ".js":
            if data != (TEMPLATES / "assets" / name).read_bytes():
                problems.append(f"{name}: not our own script as written")
        elif path.suffix != ".css":
            problems.append(f"{name}: unexpected kind of file")
    return Scan(
        counts["files"],
        counts["html"],
        counts["ics"],
        counts["elements"],
        counts["urls"],
        problems,
    )


CALENDAR_PROPERTIES = frozenset(
    {
        *("PRODID", "VERSION", "CALSCALE", "METHOD", "NAME", "X-WR-CALNAME", "DESCRIPTION"),
        *("X-WR-CALDESC", "X-WR-TIMEZONE", "URL", "REFRESH-INTERVAL", "X-PUBLISHED-TTL"),
        *("TZID", "X-LIC-LOCATION", "TZNAME", "TZOFFSETFROM", "TZOFFSETTO", "DTSTART", "RRULE"),
        *("UID", "DTSTAMP", "CREATED", "LAST-MODIFIED", "SEQUENCE", "DTEND", "TRANSP"),
        *("SUMMARY", "STATUS", "LOCATION", "CONFERENCE", "CATEGORIES", "CLASS"),
    }
)
CALENDAR_COMPONENTS = frozenset({"VCALENDAR", "VTIMEZONE", "STANDARD", "DAYLIGHT", "VEVENT"})


def scan_calendar(name: str, data: bytes) -> list[str]:
    problems = [f"{name}: {f}" for f in ics_check.findings(data, "/toimumine-" in name)]
    if re.search(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", data):
        problems.append(f"{name}: a control character")
    calendar = icalendar.Calendar.from_ical(data)
    for component in calendar.walk():
        if component.name not in CALENDAR_COMPONENTS:
            problems.append(f"{name}: component {component.name}")
        for prop, value in component.property_items(recursive=False):
            if prop in ("BEGIN", "END"):
                continue
            if prop not in CALENDAR_PROPERTIES:
                problems.append(f"{name}: property {prop}")
            if prop in ("URL", "CONFERENCE") and scheme(str(value)) not in ("http", "https"):
                problems.append(f"{name}: {prop}:{value}")
    return problems


# The page's one JSON-LD block (structured_data.py escapes `<`, so `[^<]*` is all of it) and the
# site's own script files.
JSON_LD = re.compile(rb'<script type="application/ld\+json">([^<]*)</script>')
ASSET_SCRIPT = re.compile(rb'<script src="/[a-z0-9/_.-]+\.js\?v=[0-9a-f]+"[^<>]*></script>')


def _our_script(element: Element) -> bool:
    attributes = dict(element.attributes)
    if attributes == {"type": "application/ld+json"}:
        return True
    src = attributes.get("src") or ""
    return re.fullmatch(r"/[a-z0-9/_.-]+\.js\?v=[0-9a-f]+", src) is not None


def _our_policy(element: Element) -> bool:
    """The Content-Security-Policy of base.html: nothing inline, nothing evaluated."""
    attributes = dict(element.attributes)
    policy = attributes.get("content") or ""
    return (
        attributes.get("http-equiv") == "Content-Security-Policy"
        and policy.startswith("default-src 'self'; script-src 'self'")
        and "unsafe-inline" not in policy
        and "'unsafe-eval'" not in policy
    )


ATOM_ELEMENTS = {"feed", "id", "title", "subtitle", "updated", "published", "link", "author"}
ATOM_ELEMENTS |= {"name", "uri", "entry", "summary", "category"}


def scan_atom(data: bytes) -> list[str]:
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        return ["programmid.atom: a DTD"]
    problems = []
    ns = "{http://www.w3.org/2005/Atom}"
    for element in ElementTree.fromstring(data).iter():
        if element.tag not in {ns + t for t in ATOM_ELEMENTS}:
            problems.append(f"programmid.atom: element {element.tag}")
        href = element.get("href")
        if href is not None and not re.fullmatch(re.escape(BASE) + r"[a-z0-9/.-]*", href):
            problems.append(f"programmid.atom: href={href}")
    return problems


SVG_ELEMENTS = frozenset({"svg", "title", "g", "rect", "circle", "path", "text"})


def scan_svg(name: str, data: bytes) -> list[str]:
    """A timeline picture: only drawing elements; content text only as text, never markup."""
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        return [f"{name}: a DTD"]
    problems = []
    for element in ElementTree.fromstring(data).iter():
        tag = element.tag.removeprefix("{http://www.w3.org/2000/svg}")
        if tag not in SVG_ELEMENTS:
            problems.append(f"{name}: element {element.tag}")
        problems += [
            f"{name}: <{tag} {a}>" for a in element.attrib if a.startswith("on") or "href" in a
        ]
    return problems


def scan_sitemap(data: bytes) -> list[str]:
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        return ["sitemap.xml: a DTD"]
    root = ElementTree.fromstring(data)
    problems = []
    ns = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
    for element in root.iter():
        if element.tag not in {ns + t for t in ("urlset", "url", "loc", "lastmod")}:
            problems.append(f"sitemap.xml: element {element.tag}")
        if element.tag == ns + "loc" and not re.fullmatch(
            re.escape(BASE) + r"[a-z0-9/.-]*", element.text or ""
        ):
            problems.append(f"sitemap.xml: <loc>{element.text}</loc>")
    return problems


def normalised(text: str) -> str:
    """Whitespace collapsed, as a reader sees it; without U+FEFF, which icalendar drops at the
    start of a value (an invisible character: nothing a reader loses)."""
    return " ".join(text.replace("\ufeff", "").split())


class _Text(html.parser.HTMLParser):
    """The text of the first element with a given tag."""

    def __init__(self, tag: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tag, self.depth, self.done, self.parts = tag, 0, False, list[str]()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == self.tag and not self.done:
            self.depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == self.tag and self.depth:
            self.depth -= 1
            self.done = self.depth == 0

    def handle_data(self, data: str) -> None:
        if self.depth and not self.done:
            self.parts.append(data)


def first_text(data: bytes, tag: str) -> str:
    reader = _Text(tag)
    reader.feed(data.decode("utf-8"))
    return "".join(reader.parts)


# -- the build ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The payloads in every free-text field of one site, built without the link check."""
    root = tmp_path_factory.mktemp("hostile")
    pieces = chunks(BUILT, 9_000)
    content = write(root / "content", hostile_files(BUILT, pieces[0], pieces[1]))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(linkcheck, "check_site", lambda *args, **kwargs: None)
        build(content, root / "out", now=NOW)
    yield root / "out"


def test_corpus_is_large_and_varied() -> None:
    assert len(PAYLOADS) >= 200
    assert len(REFUSED) >= 10
    lowered = "\n".join(PAYLOADS).lower()
    for family in (
        "<script",
        "onerror=",
        "javascript:",
        "vbscript:",
        "data:text/html",
        "<svg",
        "<math",
        "<iframe",
        "<object",
        "<embed",
        "srcdoc",
        "expression(",
        "http-equiv",
        "<!--",
        "<![cdata[",
        "](javascript:",
        "[ref]: javascript:",
        "<javascript:",
        "&#x",
        "\x00",
    ):
        assert family in lowered, family


def test_no_payload_reaches_a_page_as_markup_or_a_dangerous_address(hostile_site: Path) -> None:
    result = scan(hostile_site)
    fields = len(PROGRAMME_TEXT_FIELDS) + len(OTHER_TEXT_FIELDS)
    print(
        f"\n{len(BUILT)} payloads built into {fields} kinds of text field; scanned "
        f"{result.files} files ({result.html} HTML pages, {result.ics} calendar files, "
        f"sitemap.xml, style.css): {result.elements} elements, {result.url_attributes} URL "
        f"attributes, {len(result.problems)} problems"
    )
    assert result.problems == []
    assert result.html > len(BUILT) * 2  # a programme page and a topic page per payload
    assert result.ics > len(BUILT) * 3  # per programme: its feed and two session files


def test_every_payload_is_shown_as_the_text_it_is(hostile_site: Path) -> None:
    """Nothing is lost either: titles arrive as text, character for character."""
    for n, p in enumerate(BUILT):
        page = (hostile_site / f"programmid/x{n}/index.html").read_bytes()
        assert normalised(first_text(page, "h1")) == normalised(p), n
        topic = (hostile_site / f"teemad/t{n}/index.html").read_bytes()
        assert normalised(first_text(topic, "h1")) == normalised(p), n


def test_calendar_text_is_the_payload_as_plain_text(hostile_site: Path) -> None:
    for n, p in enumerate(BUILT):
        data = (hostile_site / f"programmid/x{n}/toimumine-infopaev.ics").read_bytes()
        [event] = icalendar.Calendar.from_ical(data).walk("VEVENT")
        assert normalised(str(event["summary"])) == normalised(f"{p.strip()} – {p.strip()}"), n


def test_the_remaining_payloads_as_site_title_and_description(tmp_path: Path) -> None:
    """The site's title and description are on every page: the payloads not used there by
    the big build, in small builds."""
    pieces = chunks(BUILT, 9_000)[2:]
    for i in range(0, len(pieces), 2):
        title, description = pieces[i], pieces[i + 1] if i + 1 < len(pieces) else "x"
        files = hostile_files([BUILT[0]], title, description)
        content = write(tmp_path / f"c{i}", files)
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(linkcheck, "check_site", lambda *a, **k: None)
            build(content, tmp_path / f"out{i}", now=NOW)
        assert scan(tmp_path / f"out{i}").problems == []


def test_characters_yaml_cannot_carry_are_refused_at_the_field(tmp_path: Path) -> None:
    files = hostile_files(REFUSED, "Testsait", "Kirjeldus")
    with pytest.raises(ContentError) as caught:
        load_content(write(tmp_path / "content", files))
    found = caught.value.diagnostics
    assert all(located(d) for d in found)
    assert all("lubamatu märk" in d.message for d in found), [d.format() for d in found]
    # every programme file: one diagnostic per value, at the value, named by its field
    fields = {d.field for d in found if d.position.path.endswith("programmes/x0.yaml")}
    assert {"title", "description", "sessions[0].notes", "groups.g", "goals[0]"} <= fields
    per_programme = sum(
        1 for d in found if d.position.path.endswith(f"programmes/x{len(REFUSED) - 1}.yaml")
    )
    assert per_programme == 27  # every text value of programme_yaml
    print(f"\n{len(REFUSED)} payloads with control characters: {len(found)} located errors")


# -- address fields ------------------------------------------------------------------------------


def located(d: Diagnostic) -> bool:
    return bool(d.position.path) and d.position.line >= 1 and d.position.column >= 1


def url_fields_programme(payloads: list[str]) -> str:
    lines = [
        "title: Aadressid",
        "summary: Kõik aadressiväljad.",
        'period: {start: "2023-03", end: "2023-05"}',
        "links:",
    ]
    lines += [f"  - {{label: x, url: {q(p)}}}" for p in payloads]
    lines.append("contacts:")
    lines += [f"  - {{person: mari-maasikas, email: {q(p)}, phone: {q(p)}}}" for p in payloads]
    lines.append("sessions:")
    for n, p in enumerate(payloads):
        lines += [
            f"  - id: s{n}",
            "    kind: workshop",
            f"    online: {{platform: Zoom, url: {q(p)}}}",
            f"    registration: {{label: Registreeru, url: {q(p)}}}",
        ]
    return "\n".join(lines) + "\n"


def test_address_fields_take_only_http_and_https(tmp_path: Path) -> None:
    """Every payload in every address field (link, online, registration, organisation and
    site addresses; e-mail and phone, which become mailto: and tel:): refused with an error
    at that field, or a plain http(s) address (e-mail: a plain address) when accepted."""
    files = {
        **FILES,
        "programmes/demo.yaml": url_fields_programme(PAYLOADS),
    }
    for n, p in enumerate(PAYLOADS):
        files[f"organisations/o{n}.yaml"] = f"name: O\nurl: {q(p)}\n"
    with pytest.raises(ContentError) as caught:
        load_content(write(tmp_path / "content", files))
    found = caught.value.diagnostics
    assert all(located(d) for d in found)
    refused = {(Path(d.position.path).name, d.field) for d in found}
    accepted: list[tuple[str, str]] = []
    checked = 0
    for n, p in enumerate(PAYLOADS):
        for file, field, kind in (
            ("demo.yaml", f"links[{n}].url", "url"),
            ("demo.yaml", f"sessions[{n}].online.url", "url"),
            ("demo.yaml", f"sessions[{n}].registration.url", "url"),
            ("demo.yaml", f"contacts[{n}].email", "email"),
            ("demo.yaml", f"contacts[{n}].phone", "phone"),
            (f"o{n}.yaml", "url", "url"),
        ):
            checked += 1
            if (file, field) not in refused:
                accepted.append((kind, p.strip()))
    for kind, value in accepted:
        if kind == "url":
            assert scheme(value) in ("http", "https") and value == value.strip(), value
            assert re.fullmatch(r"https?://[\w.-]+(:\d+)?([/?#][^\s\"<>\\`]*)?", value), value
        elif kind == "email":
            assert not re.search(r"[\s<>\"?%/\\:]", value), value
        else:
            assert re.fullmatch(r"\+?[0-9 ]+", value), value
    print(
        f"\n{len(PAYLOADS)} payloads x 6 address fields = {checked} values: "
        f"{checked - len(accepted)} refused with a located error, {len(accepted)} accepted "
        f"(plain http(s) addresses): {sorted({v for _, v in accepted})}"
    )

    # The site's own address: one small validation per payload.
    site_accepted = []
    for n, p in enumerate(PAYLOADS):
        site = SITE.replace("base_url: https://programmid.example.ee/", f"base_url: {q(p)}")
        try:
            load_content(write(tmp_path / f"site{n}", {**FILES, "site.yaml": site}))
        except ContentError as error:
            for d in error.diagnostics:
                assert located(d) and d.field == "base_url" and d.position.line == 2, d.format()
        else:
            site_accepted.append(p)
    assert all(scheme(p) in ("http", "https") for p in site_accepted), site_accepted


def test_known_bad_addresses_are_all_refused(tmp_path: Path) -> None:
    bad = [
        "javascript:alert(1)",
        " JaVaScRiPt:alert(1)",
        "java\tscript:alert(1)",
        "vbscript:msgbox(1)",
        "data:text/html,<script>alert(1)</script>",
        "file:///etc/passwd",
        "//evil.example/",
        "https:evil.example",
        "http:\\\\evil.example",
        "https://koosloome.ee@evil.example/",
        'https://x.example/"onmouseover="alert(1)',
        "https://x.example/ javascript:alert(1)",
        "webcal://evil.example/feed.ics",
        "ftp://evil.example/x",
    ]
    files = {**FILES, "programmes/demo.yaml": url_fields_programme(bad)}
    with pytest.raises(ContentError) as caught:
        load_content(write(tmp_path / "content", files))
    fields = {d.field for d in caught.value.diagnostics}
    for n in range(len(bad)):
        assert {f"links[{n}].url", f"sessions[{n}].online.url"} <= fields, bad[n]
        assert f"sessions[{n}].registration.url" in fields, bad[n]


def test_markdown_keeps_only_safe_links() -> None:
    """The sanitiser on its own, for the Markdown payloads: what survives as a link."""
    for p in PAYLOADS:
        for element in elements(markup.to_html(p).encode()):
            for attribute, value in element.attributes:
                assert not attribute.startswith("on"), p
                if attribute in URL_ATTRIBUTES and value is not None:
                    assert scheme(value) in SAFE_SCHEMES, (p, value)


def test_with_the_link_check_the_build_fails_closed_or_is_safe(tmp_path: Path) -> None:
    """The real pipeline, link check included: a payload that makes a link to a page the
    site does not have stops the build (nothing written); otherwise the output is clean."""
    sample = BUILT[::7]
    content = write(tmp_path / "content", hostile_files(sample, "Testsait", "Kirjeldus"))
    try:
        build(content, tmp_path / "out", now=NOW)
    except BuildError as error:
        print(f"\nwith the link check: {str(error).splitlines()[0][:200]}")
        assert not (tmp_path / "out").exists()
    else:
        assert scan(tmp_path / "out").problems == []


def test_the_scan_finds_what_it_looks_for(tmp_path: Path) -> None:
    """A control: planted problems of each kind are all reported."""
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "index.html").write_text(
        '<p><a href="jav&#x09;ascript:alert(1)">x</a><img src=x onerror=alert(1)>'
        '<a href=" &#14; javascript:alert(1)">y</a><a href="webcal://evil.example/x.ics">z</a>'
        '<a href="mailto:x@example.ee">m</a><a href="../">up</a>'
        '<iframe srcdoc="x"></iframe><SCRIPT>1</SCRIPT><p style="x">s</p>',
        encoding="utf-8",
    )
    (tmp_path / "data.json").write_text("{}", encoding="utf-8")
    (tmp_path / "sitemap.xml").write_bytes(
        b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        b"<url><loc>javascript:alert(1)</loc><x/></url></urlset>"
    )
    problems = scan(tmp_path).problems
    for expected in (
        "a/index.html: <a href='jav\\tascript:alert(1)'>",
        "a/index.html: <img onerror=...>",
        "a/index.html: <a href='  javascript:alert(1)'>",  # &#14; dropped, as html.parser does
        "a/index.html: <a href='webcal://evil.example/x.ics'>",
        "a/index.html: element <iframe>",
        "a/index.html: <iframe> attribute srcdoc",
        "a/index.html: '<script' in the bytes",
        "a/index.html: element <script>",
        "a/index.html: <p> attribute style",
        "data.json: unexpected kind of file",
        "sitemap.xml: <loc>javascript:alert(1)</loc>",
        "sitemap.xml: element {http://www.sitemaps.org/schemas/sitemap/0.9}x",
    ):
        assert expected in problems, (expected, problems)
    assert not [p for p in problems if "mailto:" in p or "../" in p], problems


def test_templates_escape_every_value_as_jinja_does(tmp_path: Path) -> None:
    """The pages' Jinja writes values out as plain escaped text (render._escaped) instead of
    Jinja's Markup objects: in text, attributes, macros, blocks, set blocks, filter blocks,
    loops and includes, with Markup, numbers, None and objects with __html__, every payload
    comes out exactly as with Jinja's own escaping."""
    (tmp_path / "base.html").write_text(
        "<title>{% block title %}{{ value }}{% endblock %}</title>{% block main %}{% endblock %}"
    )
    (tmp_path / "part.html").write_text('<i title="{{ value }}">{{ value }}</i>')
    (tmp_path / "page.html").write_text(
        '{% extends "base.html" %}{% block main %}'
        "{% macro cell(x) %}<td>{{ x }}</td>{% endmacro %}"
        "{% set kept %}<b>{{ value }}</b>{% endset %}"
        "{{ cell(value) }}{{ kept }}{{ kept|upper }}{{ safe }}{{ number }}{{ html_object }}"
        "{% filter upper %}{{ value }}{% endfilter %}{% for v in [value, safe] %}{{ v }}"
        '{% endfor %}{% include "part.html" %}{{ value ~ safe }}{{ value|e }}{{ value|safe }}'
        "{% autoescape false %}{{ value }}{% endautoescape %}{% endblock %}"
    )

    class HasHtml:
        def __html__(self) -> str:
            return "<u>as it says</u>"

    ours = render._bare_environment(tmp_path).get_template("page.html")
    jinjas = jinja2.Environment(loader=jinja2.FileSystemLoader(tmp_path), autoescape=True)
    for payload in [*PAYLOADS[:200], "", "&amp; \"'<>", "tekst õäöü"]:
        context = {
            "value": payload,
            "safe": markupsafe.Markup("<em>") + payload,
            "number": 3.5,
            "html_object": HasHtml(),
        }
        expected = jinjas.get_template("page.html").render(context)
        assert ours.render(context) == expected
        assert markupsafe.escape(payload) in expected  # (and the payload is in it, escaped)
