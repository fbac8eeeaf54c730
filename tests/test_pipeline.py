"""Build-wide promises: strict templates, guarded output, safe Markdown, visible status changes."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import jinja2
import pytest

from koosloome_site import pages, render
from koosloome_site.errors import BuildError
from koosloome_site.pipeline import TEMPLATES, build
from koosloome_site.write import merge_outputs, write_site
from tests.conftest import CONTENT, build_real_site, read_page, text

NOW = dt.datetime.fromisoformat("2023-03-01T12:00:00+02:00")
PROGRAMME = "programmes/kogukonna-koosloome-labor-2023.yaml"
PAGE = "programmid/kogukonna-koosloome-labor-2023/"


@pytest.fixture
def content(tmp_path: Path) -> Path:
    copy = tmp_path / "content"
    shutil.copytree(CONTENT, copy)
    return copy


def edit(content: Path, old: str, new: str) -> None:
    source = content / PROGRAMME
    text_before = source.read_text("utf-8")
    assert text_before.count(old) == 1, old
    source.write_text(text_before.replace(old, new), "utf-8")


def edited_topic_template(tmp_path: Path, edit: Callable[[str], str]) -> Path:
    """A copy of the templates with topic.html edited."""
    templates = tmp_path / "templates"
    shutil.copytree(TEMPLATES, templates)
    page = templates / "topic.html"
    page.write_text(edit(page.read_text("utf-8")), "utf-8")
    return templates


def test_a_template_using_an_unknown_value_fails_the_build_and_writes_nothing(
    content: Path, tmp_path: Path
) -> None:
    templates = edited_topic_template(
        tmp_path, lambda text: text.replace("{{ topic.title }}", "{{ topic.titel }}")
    )
    output = tmp_path / "out"
    with pytest.raises(BuildError, match=r"topic\.html:\d+: .*titel"):
        build(content, output, now=NOW, templates_dir=templates)
    assert not output.exists()


def test_an_unknown_value_amid_a_templates_text_is_reported_at_its_own_line(
    content: Path, tmp_path: Path
) -> None:
    # The heading's value sits between text on lines of its own, which the compiled template
    # yields together with it (render._joined): the error still names the value's line.
    heading = '<h1 class="topic-title">{{ topic.title }}'
    source = (TEMPLATES / "topic.html").read_text("utf-8")
    line = source[: source.index(heading)].count("\n") + 1
    templates = edited_topic_template(
        tmp_path, lambda text: text.replace(heading, heading.replace("topic.title", "topic.titel"))
    )
    with pytest.raises(BuildError, match=rf"topic\.html:{line}: .*titel"):
        build(content, tmp_path / "out", now=NOW, templates_dir=templates)


INLINED = """{% macro box(x) %}[{{ x }}]{% endmacro %}
{% macro boxed(x) %}[{{ x }}{{ caller() }}]{% endmacro %}
{% for item in items %}{{ plain(item.name, sep=':') }}{{ item.missing_ok.upper() }}{{ loop.index }}
{{ context_name(item.name) }}{{ env_name() }}{% call boxed(item['name']) %}+{% endcall %}
{{ box(plain(item.nested.deep, sep=item.name)) }}{% endfor %}
{% block b %}{{ plain(thing.value, sep=words.get('a')) }}{{ thing.method(2) }}{% endblock %}"""


def test_inlined_attributes_and_calls_render_as_jinja_renders_them() -> None:
    """render._Inlined reads `a.b` with the built-in getattr and calls plain functions
    directly: the same page as Jinja's own code, the same errors, and functions that take
    the context or environment still get it."""

    @jinja2.pass_context
    def context_name(context: jinja2.runtime.Context, name: str) -> str:
        return f"{name}@{context.get('where')}"

    @jinja2.pass_environment
    def env_name(environment: jinja2.Environment) -> str:
        return type(environment).__name__.strip("_")

    class Thing:
        value = "v"

        def method(self, n: int) -> str:
            return "m" * n

    values = {
        "items": [
            {"name": "a", "missing_ok": "x", "nested": {"deep": "d"}},
            {"name": "b", "missing_ok": "y", "nested": {"deep": "e"}},
        ],
        "thing": Thing(),
        "words": {"a": "!"},
        "where": "here",
    }
    functions = {
        "plain": lambda *parts, sep: sep.join(parts),
        "context_name": context_name,
        "env_name": env_name,
    }
    ours = render._bare_environment(TEMPLATES)
    theirs = jinja2.Environment(
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    for env in (ours, theirs):
        env.globals.update(functions)
    inlined = ours.from_string(INLINED).root_render_func.__code__.co_varnames
    assert {"_inlined_object", "_inlined_function"} <= set(inlined)
    assert ours.from_string(INLINED).render(values) == theirs.from_string(INLINED).render(values)
    for env in (ours, theirs):
        with pytest.raises(jinja2.UndefinedError, match="has no attribute 'value'"):
            env.from_string("{{ thing.value }}").render(thing=object())
        with pytest.raises(jinja2.UndefinedError, match="'nothing' is undefined"):
            env.from_string("{{ nothing(1) }}").render()
        # A template's own globals (ours share the environment's dict when there are none)
        # overlay the environment's and stay the template's.
        own = env.from_string("{{ plain(extra, sep='') }}", globals={"extra": "E"})
        assert own.render() == "E" and "extra" not in env.globals


def test_a_template_with_a_syntax_error_fails_the_build_naming_its_line(
    content: Path, tmp_path: Path
) -> None:
    def broken(text: str) -> str:
        lines = text.splitlines(keepends=True)
        lines.insert(4, "{% if %}\n")  # line 5
        return "".join(lines)

    templates = edited_topic_template(tmp_path, broken)
    output = tmp_path / "out"
    build(content, output, now=NOW)
    before = sorted(output.rglob("*"))
    with pytest.raises(BuildError, match=r"topic\.html:5: mallivea"):
        build(content, output, now=NOW, templates_dir=templates)
    assert sorted(output.rglob("*")) == before


@pytest.mark.parametrize("where", ["content", "parent"])
def test_output_folder_that_would_replace_the_content_is_refused(content: Path, where: str) -> None:
    target = content if where == "content" else content.parent
    with pytest.raises(BuildError, match="väljundkaust"):
        build(content, target, now=NOW)
    assert (content / PROGRAMME).is_file()


def test_raw_html_in_markdown_never_reaches_the_page(content: Path, tmp_path: Path) -> None:
    edit(
        content,
        "  Kogukonna koosloome labor on",
        "  <script>alert(1)</script>\n"
        '  <a href="javascript:alert(2)" onclick="x()">link</a>\n\n'
        "  Kogukonna koosloome labor on",
    )
    site = build_real_site(tmp_path / "out", NOW.isoformat(), content)
    soup = read_page(site, PAGE)
    # only the site's own scripts: the JSON-LD data block and script files by address
    assert all(s.get("type") == "application/ld+json" or s.get("src") for s in soup("script"))
    assert not any("alert" in (s.string or "") for s in soup("script"))
    link = soup.find("a", string="link")
    assert link is not None and "href" not in link.attrs and "onclick" not in link.attrs


def test_cancelled_and_moved_sessions_are_marked_on_the_page(content: Path, tmp_path: Path) -> None:
    edit(content, '    date: "2023-06-09"\n', '    date: "2023-06-09"\n    status: cancelled\n')
    edit(
        content,
        '    date: "2023-05-18"\n    online: true\n',
        '    date: "2023-05-18"\n    status: postponed\n    online: true\n',
    )
    site = build_real_site(tmp_path / "out", NOW.isoformat(), content)
    soup = read_page(site, PAGE)
    cancelled = soup.find(id="toimumine-praktiline-koolitus-tallinn-2023-06-09")
    postponed = soup.find(id="toimumine-virtuaalne-kohtumine-2023-05-18")
    assert "Ära jäetud" in text(cancelled)
    assert "Edasi lükatud" in text(postponed)


def test_registration_closes_when_its_session_has_passed(content: Path, tmp_path: Path) -> None:
    site = build_real_site(tmp_path / "out", "2023-03-23T16:31:00+02:00", content)
    info = read_page(site, PAGE).find(id="toimumine-infopaev")
    assert "(lõppenud)" in text(info) and "(toimunud)" in text(info)
    still_open = build_real_site(tmp_path / "out2", "2023-03-23T16:29:00+02:00", content)
    assert "(lõppenud)" not in text(read_page(still_open, PAGE).find(id="toimumine-infopaev"))


# Output collisions: two files on one path fail the build instead of one silently winning.


@pytest.mark.parametrize(
    ("first", "second", "message"),
    [
        ("kalender.ics", "kalender.ics", "samal teel"),
        ("teemad/a/index.html", "teemad/a//index.html", "samal teel"),
        ("Kalender.ics", "kalender.ics", "suur- ja väiketähtede"),
        ("teemad/\u00f5/index.html", "teemad/o\u0303/index.html", "Unicode"),  # NFC, NFD
        ("teemad/\u00d5/index.html", "teemad/o\u0303/index.html", "Unicode"),  # both at once
        ("STRASSE.html", "straße.html", "suur- ja väiketähtede"),  # casefold
        ("kalender", "kalender/index.html", "kausta"),
        ("Kalender/index.html", "kalender", "kausta"),
    ],
)
def test_output_paths_that_collide_on_some_file_system_are_refused(
    first: str, second: str, message: str
) -> None:
    groups = {"lehed": {first: b"1", "index.html": b"x"}, "kalendrifailid": {second: b"2"}}
    with pytest.raises(BuildError, match=message) as raised:
        merge_outputs(groups)
    for name in (first, second, "lehed", "kalendrifailid"):
        assert name in str(raised.value)


def test_distinct_output_paths_are_merged_as_they_are() -> None:
    groups = {
        "lehed": {"index.html": b"1", "teemad/\u00f5/index.html": b"2"},
        "kalendrifailid": {"kalender.ics": b"3", "teemad/o/kalender.ics": b"4"},
    }
    assert merge_outputs(groups) == {**groups["lehed"], **groups["kalendrifailid"]}


def test_write_site_itself_refuses_paths_one_file_system_would_merge(tmp_path: Path) -> None:
    with pytest.raises(BuildError, match="suur- ja väiketähtede"):
        write_site({"Index.html": b"1", "index.html": b"2"}, tmp_path / "out")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("asset", "other"),
    [
        ("sitemap.xml", "'sitemap.xml' (saidikaart)"),
        ("404.HTML", "'404.html' (lehed)"),
        ("Kalender.ics", "'kalender.ics' (kalendrifailid)"),
    ],
)
def test_an_asset_on_the_path_of_a_page_or_feed_fails_the_build_and_keeps_the_old_site(
    content: Path, tmp_path: Path, asset: str, other: str
) -> None:
    output = tmp_path / "out"
    build(content, output, now=NOW)
    before = {p: p.read_bytes() for p in output.rglob("*") if p.is_file()}
    templates = tmp_path / "templates"
    shutil.copytree(TEMPLATES, templates)
    (templates / "assets" / asset).write_bytes(b"an editor's file")
    with pytest.raises(BuildError) as raised:
        build(content, output, now=NOW, templates_dir=templates)
    assert other in str(raised.value) and f"'{asset}' (templates/assets)" in str(raised.value)
    assert {p: p.read_bytes() for p in output.rglob("*") if p.is_file()} == before


def test_the_pages_stay_true_until_the_next_session_ends_or_midnight() -> None:
    """The preview builds again when what its pages say about time changes (build.py serve:
    BuildReport.true_until): when the next session ends (it turns "past"), else at the next
    midnight (days left, states). Sessions that have ended already do not count."""
    now = dt.datetime.fromisoformat("2023-03-01T12:00:00+02:00")

    def listing(*ends: str) -> pages.Listing:
        wall = sorted(dt.datetime.fromisoformat(end) for end in ends)
        return pages.Listing(wall, cast(Any, None), [], cast(Any, None))

    ended = listing("2023-02-20T10:00", "2023-03-01T11:59")
    later = listing("2023-03-01T11:00", "2023-03-01T15:30", "2023-03-03T10:00")
    sooner = listing("2023-03-01T14:00")
    midnight = dt.datetime.fromisoformat("2023-03-02T00:00:00+02:00")
    assert pages.true_until(now, [ended, later, sooner]) == now.replace(hour=14)
    assert pages.true_until(now, [ended, later]) == now.replace(hour=15, minute=30)
    assert pages.true_until(now, [ended, listing("2023-03-02T09:00")]) == midnight
    assert pages.true_until(now, []) == midnight
