"""Broken internal links and fragments fail the build, located, and nothing is written."""

from __future__ import annotations

import datetime as dt
import html
import shutil
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from koosloome_site import linkcheck
from koosloome_site.errors import BuildError
from koosloome_site.memo import Memo
from koosloome_site.pipeline import TEMPLATES, build
from tests.conftest import CONTENT

NOW = dt.datetime.fromisoformat("2023-03-01T12:00:00+02:00")
RICH = Path(__file__).resolve().parent / "rich_site" / "content"
PROGRAMME = "programmes/koosloome-koolitusprogramm-2022.yaml"
PAGE = "/programmid/koosloome-koolitusprogramm-2022/"


@pytest.fixture
def content(tmp_path: Path) -> Path:
    copy = tmp_path / "content"
    shutil.copytree(CONTENT, copy)
    return copy


@pytest.fixture
def templates(tmp_path: Path) -> Path:
    copy = tmp_path / "templates"
    shutil.copytree(TEMPLATES, copy)
    return copy


@pytest.fixture
def published(content: Path, templates: Path, tmp_path: Path) -> Path:
    """A good build in output/, which a failed build must leave as it is."""
    output = tmp_path / "output"
    build(content, output, now=NOW, templates_dir=templates)
    return output


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def insert(template: Path, after: str, new: str) -> int:
    """Put `new` on a line of its own after the first line containing `after`; its line number."""
    lines = template.read_text("utf-8").splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if after in line) + 1
    lines.insert(at, new + "\n")
    template.write_text("".join(lines), "utf-8")
    return at + 1


def failed_build(content: Path, output: Path, templates: Path) -> str:
    before = snapshot(output)
    with pytest.raises(BuildError) as failure:
        build(content, output, now=NOW, templates_dir=templates)
    assert snapshot(output) == before, "a failed build leaves output/ as it was"
    assert not list(output.parent.glob(".output.[no]*")), "no half-written folder left behind"
    return str(failure.value)


def test_a_broken_link_in_a_template_fails_with_its_line_and_page(
    content: Path, templates: Path, published: Path
) -> None:
    line = insert(
        templates / "base.html", '<main id="sisu"', '<p><a href="/teemad/ei-ole/">x</a></p>'
    )
    message = failed_build(content, published, templates)
    assert f"{templates / 'base.html'}:{line}: lehel /: link /teemad/ei-ole/ ei vii kuhugi" in (
        message.splitlines()
    )
    pages = len(list(published.rglob("*.html")))  # every page has it
    assert message.splitlines()[-1] == f"{pages} katkist linki; väljundit ei muudetud."


def test_a_computed_broken_link_names_the_page_and_its_template(
    content: Path, templates: Path, published: Path
) -> None:
    insert(
        templates / "topics.html",
        "<h1>Teemad</h1>",
        "<a href=\"{{ url('teemad/puudub/') }}\">x</a>",
    )
    message = failed_build(content, published, templates)
    assert message == (
        f"{templates / 'topics.html'}: lehel /teemad/: link /teemad/puudub/ ei vii kuhugi\n"
        "1 katkine link; väljundit ei muudetud."
    )


def test_a_missing_fragment_fails_on_the_page_and_across_pages(
    content: Path, templates: Path, published: Path
) -> None:
    line = insert(templates / "topics.html", "<h1>Teemad</h1>", '<a href="#puudub">x</a>')
    insert(
        templates / "topics.html",
        "<h1>Teemad</h1>",
        '<a href="{{ url(urls.CALENDAR_HELP) }}#google">ok</a>'
        '<a href="{{ url(urls.CALENDAR_HELP) }}#microsoft">x</a>',
    )
    message = failed_build(content, published, templates)
    assert message.splitlines() == [
        f"{templates / 'topics.html'}:{line + 1}: lehel /teemad/: link #puudub sellel lehel "
        'ei ole id="puudub"',
        f"{templates / 'topics.html'}: lehel /teemad/: link /kalender/#microsoft lehel "
        '/kalender/ ei ole id="microsoft"',
        "2 katkist linki; väljundit ei muudetud.",
    ]


def test_a_broken_link_in_content_markdown_names_the_content_file(
    content: Path, templates: Path, published: Path
) -> None:
    source = content / PROGRAMME
    text = source.read_text("utf-8")
    old = "  jagavad oma kogemusi.\n"
    source.write_text(text.replace(old, old + "  Vaata ka [teemat](/teemad/puudub/).\n"), "utf-8")
    line = text[: text.index(old)].count("\n") + 2
    message = failed_build(content, published, templates)
    assert message.splitlines()[0] == (
        f"{source}:{line}: lehel {PAGE}: link /teemad/puudub/ ei vii kuhugi"
    )


def test_external_and_good_internal_links_pass(
    content: Path, templates: Path, published: Path
) -> None:
    insert(
        templates / "base.html",
        '<main id="sisu"',
        '<p><a href="https://example.com/ei-ole/">a</a> <a href="http://example.org/#x">b</a>'
        ' <a href="mailto:x@example.ee">c</a> <a href="tel:+3725555555">d</a>'
        ' <a href="//cdn.example.com/x.js">e</a> <a href="webcal://example.com/k.ics">f</a>'
        ' <a href="ftp://programmid.koosloome.ee/x">g</a>'
        ' <a href="https://programmid.koosloome.ee/kalender/#google">h</a>'
        ' <a href="HTTPS://PROGRAMMID.KOOSLOOME.EE/teemad/">i</a>'
        ' <a href="{{ url(urls.TOPICS) }}?jarjestus=a&amp;b=c#sisu">j</a>'
        ' <a href="{{ url(urls.SITE_FEED) }}#ei-loe">k</a> <a href="#">l</a> <a href="#top">m</a>'
        ' <a href="">n</a> <a href="/%6balender/">o</a></p>',
    )
    before = snapshot(published)
    build(content, published, now=NOW, templates_dir=templates)
    assert snapshot(published) != before


def test_the_real_and_the_rich_site_pass(tmp_path: Path) -> None:
    for source in (CONTENT, RICH):
        build(source, tmp_path / source.name, now=NOW)  # raises on a broken link


# --- the checker on its own ------------------------------------------------------------------

BASE = "https://example.ee/"


def page(body: str, ids: str = "") -> bytes:
    return f'<!doctype html><html><body><main id="sisu">{ids}{body}</main></body></html>'.encode()


SITE = {
    "index.html": page('<a href="/teemad/">t</a>'),
    "teemad/index.html": page("", '<h2 id="koik">x</h2>'),
    "teemad/a/index.html": page(""),
    "kalender.ics": b"BEGIN:VCALENDAR",
    "404.html": page('<a href="/">avaleht</a>'),
}


def problems(files: dict[str, bytes], base: str = BASE) -> list[tuple[str, str, str]]:
    return [(p.page, p.link, p.message) for p in linkcheck.find_problems(files, base)]


@pytest.mark.parametrize(
    ("link", "message"),
    [
        ("/teemad/a/", None),
        ("teemad/a/", None),  # relative to the home page
        ("./teemad/../teemad/a/", None),
        ("/teemad/a/index.html", None),
        ("/teemad/#koik", None),
        ("/teemad/#KOIK", 'lehel /teemad/ ei ole id="KOIK"'),
        ("/teemad/#puudub", 'lehel /teemad/ ei ole id="puudub"'),
        ("#sisu", None),
        ("#puudub", 'sellel lehel ei ole id="puudub"'),
        ("/teemad/a", "ei vii kuhugi: kaustale viitab aadress / lõpus"),
        ("/teemad/b/", "ei vii kuhugi"),
        ("/Teemad/", "ei vii kuhugi"),
        ("/kalender.ics", None),
        ("/kalender.ics#x", None),  # not a page: nothing to look for
        ("/kalender.ics/", "ei vii kuhugi"),
        ("/%74eemad/", None),
        ("/teemad/%", "ei vii kuhugi"),
        ("/teemad/?a=1&amp;b=2", None),
        ("https://example.ee/teemad/", None),
        ("https://EXAMPLE.ee/puudub/", "ei vii kuhugi"),
        ("http://example.ee/puudub/", "ei vii kuhugi"),
        ("webcal://example.ee/puudub.ics", "ei vii kuhugi"),
        ("//example.ee/puudub/", "ei vii kuhugi"),
        ("https://example.ee.evil.test/puudub/", None),
        ("https://example.com/puudub/", None),
        ("mailto:a@example.ee", None),
        ("javascript:void(0)", None),
        ("/../../etc/passwd", "ei vii kuhugi"),
    ],
)
def test_links_resolve_as_a_browser_would(link: str, message: str | None) -> None:
    files = {**SITE, "index.html": page(f'<a href="{link}">x</a>')}
    expected = [] if message is None else [("index.html", html.unescape(link), message)]
    assert problems(files) == expected


def test_a_long_list_of_problems_is_cut_short() -> None:
    files = {f"p{i:02}/index.html": page('<a href="/puudub/">x</a>') for i in range(35)}
    with pytest.raises(BuildError) as failure:
        linkcheck.check_links(files, BASE)
    lines = str(failure.value).splitlines()
    assert lines[0] == "lehel /p00/: link /puudub/ ei vii kuhugi"
    assert lines[30:] == ["... ja veel 5", "35 katkist linki; väljundit ei muudetud."]


def test_src_attributes_are_links_too() -> None:
    files = {**SITE, "index.html": page('<img src="/pilt.png" alt="">')}
    assert problems(files) == [("index.html", "/pilt.png", "ei vii kuhugi")]


def test_a_site_below_a_path_checks_against_that_path() -> None:
    base = "https://example.ee/programmid/"
    files = {
        "index.html": page('<a href="/programmid/teemad/">a</a> <a href="/muu/">b</a>'),
        "teemad/index.html": page('<a href="../">tagasi</a>'),
    }
    assert problems(files, base) == [
        ("index.html", "/muu/", "viitab saidist (https://example.ee/programmid/) välja")
    ]


def test_relative_links_on_the_not_found_page_are_refused() -> None:
    files = {**SITE, "404.html": page('<a href="teemad/">t</a> <a href="#sisu">s</a>')}
    assert problems(files) == [
        ("404.html", "teemad/", "on suhteline, aga 404-lehte näidatakse igal aadressil")
    ]


def test_text_that_only_looks_like_a_link_is_not_one() -> None:
    code = '<pre><code>&lt;a href="/puudub/" id="x"&gt;</code></pre><a href="#x">x</a>'
    files = {**SITE, "index.html": page(code)}
    assert problems(files) == [("index.html", "#x", 'sellel lehel ei ole id="x"')]


def test_the_fast_reading_finds_what_an_html_parser_finds(tmp_path: Path) -> None:
    """The regular expression assumes how our templates write attributes; on every page of the
    real and the rich site it must agree with html.parser on links into the site and ids."""
    for source in (CONTENT, RICH):
        output = tmp_path / source.name
        build(source, output, now=NOW)
        files = {
            p.relative_to(output).as_posix(): p.read_bytes()
            for p in output.rglob("*")
            if p.is_file()
        }
        base_url = "https://" + _host(files["sitemap.xml"]) + "/"
        scanner = linkcheck._scanner(base_url)
        pages = [name for name in files if name.endswith(".html")]
        assert len(pages) > 10
        for name in pages:
            fast_links, fast_ids = scanner.attributes(files[name])
            links, ids = linkcheck._parsed_attributes(files[name])
            internal = {v for v in map(_text, links) if _internal(v, base_url)}
            assert {_text(v) for v in fast_links} == internal, name
            assert {_text(v) for v in fast_ids} == {_text(v) for v in ids}, name
            assert fast_ids, name


def _text(value: bytes) -> str:
    return html.unescape(value.decode())


def _internal(link: str, base_url: str) -> bool:
    parts = urlsplit(link)
    if not link:
        return False
    if parts.scheme and parts.scheme not in ("http", "https", "webcal"):
        return False
    return not parts.netloc or parts.netloc.lower() == urlsplit(base_url).netloc


def _host(sitemap: bytes) -> str:
    return sitemap.split(b"<loc>", 1)[1].split(b"</loc>", 1)[0].decode().split("/")[2]


def test_the_preview_checks_again_a_page_whose_linked_ids_went_away() -> None:
    """The preview does not look again at a page found fine last time while its links, the
    site's files and the ids it jumps to are the same: a page that did not change still
    fails when the page it links into loses the id."""
    base, checked = "https://example.org/", linkcheck.Checked()
    memo: Memo[Any] = Memo()

    def check(files: dict[str, bytes]) -> None:
        attributes = {
            name: linkcheck.page_attributes(name, data, base, memo) for name, data in files.items()
        }
        memo.next_build()
        linkcheck.check_site(files, attributes, base, files.__getitem__, checked=checked)

    linking = b'<a href="/b/#kava">kava</a> <a href="/c/">c</a>'
    site = {"a/index.html": linking, "b/index.html": b'<h2 id="kava">', "c/index.html": b""}
    check(site)
    check(site | {"b/index.html": b'<h2 id="kava">uus</h2>'})  # the id still there
    with pytest.raises(BuildError, match='lehel /b/ ei ole id="kava"'):
        check(site | {"b/index.html": b'<h2 id="ajakava">'})
    with pytest.raises(BuildError, match="/c/"):
        check({name: data for name, data in site.items() if name != "c/index.html"})
