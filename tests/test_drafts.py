"""Drafts and scheduled publishing: what is not public is in no output file at all.

A programme with `draft: true`, or with a `publish_date` after the build's "now", and a topic
with `draft: true` must leave no trace in the built site: no page, no card or count, no
calendar, no sitemap entry. The checks are generic: every output file is searched (calendar
lines unfolded first), and the site is compared byte for byte with one built without the
hidden files. The preview shows them, marked. Validation checks drafts like everything else.
"""

from __future__ import annotations

import datetime as dt
import gzip
import os
import shutil
import urllib.request
from pathlib import Path
from textwrap import dedent

import pytest

from koosloome_site.errors import ContentError, Diagnostic
from koosloome_site.pages import format_on_day
from koosloome_site.pipeline import build
from koosloome_site.publish import published
from koosloome_site.serve import Preview
from koosloome_site.validate import load_content
from tests.conftest import build_py, read_page, text
from tests.sitekit import PROGRAMME, write_site

NOW = dt.datetime.fromisoformat("2023-03-01T12:00:00+02:00")
SLUG, TITLE = "salajane-2027", "Salajane programm"
HIDDEN = f"programmes/{SLUG}.yaml"
PAGE = f"programmid/{SLUG}/"
# Only the hidden programme names this person: their name must not leak either.
ONLY_HIDDEN_PERSON = "people/jaan-tamm.yaml"
FIXED = dt.datetime(2023, 2, 1, 12, tzinfo=dt.UTC).timestamp()
LATER = dt.datetime(2023, 2, 20, 12, tzinfo=dt.UTC).timestamp()


def hidden_programme(extra: str = "") -> str:
    """A programme with sessions in the feeds (timed, all-day), a topic and a person of its own."""
    return extra + dedent(f"""\
        title: {TITLE}
        summary: Salajane kokkuvõte.
        period:
          start: "2023-04"
          end: "2023-06"
        topics:
          - koosloome
        team:
          - person: jaan-tamm
            role: mentor
        sessions:
          - id: avaloeng
            kind: seminar
            title: Salajane avaloeng
            date: "2023-04-20"
            start_time: "10.00"
            end_time: "12.00"
          - id: kandideerimine
            kind: deadline
            date: "2023-04-01"
            deadline: until
          - id: kokkuvote
            kind: meeting
            date: "2023-06"
        """)


def site(root: Path, extra: str | None = "", files: dict[str, str | None] | None = None) -> Path:
    """The sitekit site plus the hidden programme (`extra` goes on top of it; None leaves the
    programme and its person out); file times fixed, the person only it names changed last."""
    programme = {
        HIDDEN: None if extra is None else hidden_programme(extra),
        ONLY_HIDDEN_PERSON: None if extra is None else "name: Jaan Tamm\n",
    }
    content = write_site(root, programme | (files or {}))
    for path in content.rglob("*"):
        os.utime(path, (FIXED, FIXED))
    if (content / ONLY_HIDDEN_PERSON).exists():
        os.utime(content / ONLY_HIDDEN_PERSON, (LATER, LATER))
    return content


def tree(folder: Path) -> dict[str, bytes]:
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def mentions(folder: Path, *needles: str) -> dict[str, list[str]]:
    """Each output file that contains any of `needles` (ignoring case), with those it
    contains. Calendar lines are unfolded first, so a folded line cannot hide a word."""
    found = {}
    for name, data in tree(folder).items():
        if name.startswith("pagefind/") and data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)  # the search index: its words and page texts
        body = data.decode("utf-8", "replace").replace("\r\n ", "").replace("\r\n\t", "")
        body = body.casefold()
        if hits := [n for n in needles if n.casefold() in body]:
            found[name] = hits
    return found


def assert_not_anywhere(out: Path, *needles: str) -> None:
    assert mentions(out, *needles) == {}
    assert not any(SLUG in name for name in tree(out)), "a file named after it"


# -- a draft or a programme before its publish date is in no output file -----------------------


@pytest.mark.parametrize(
    "extra",
    ["draft: true\n", 'publish_date: "2023-03-02"\n', 'draft: true\npublish_date: "2023-01-01"\n'],
    ids=["draft", "publish-date-ahead", "draft-with-past-publish-date"],
)
def test_hidden_programme_is_in_no_output_file(tmp_path: Path, extra: str) -> None:
    out = tmp_path / "out"
    build(site(tmp_path, extra), out, now=NOW)
    assert_not_anywhere(out, SLUG, TITLE, "Salajane", "Jaan Tamm")
    # The site is byte for byte the one built without the programme and the person only it
    # names: the topic counts, the feeds, the sitemap, even the "last updated" dates.
    shutil.rmtree(tmp_path / "content")
    build(site(tmp_path, None), tmp_path / "without", now=NOW)
    assert tree(out) == tree(tmp_path / "without")


def test_public_programme_is_everywhere_the_check_looks(tmp_path: Path) -> None:
    """The searches above would find it: the same programme, published, is in every list."""
    out = tmp_path / "out"
    build(site(tmp_path), out, now=NOW)
    found = mentions(out, SLUG, TITLE)
    for name in [
        "index.html",
        f"{PAGE}index.html",
        f"{PAGE}kalender.ics",
        f"{PAGE}toimumine-avaloeng.ics",
        "kalender.ics",
        "teemad/koosloome/index.html",
        "teemad/koosloome/kalender.ics",
        "kalender/index.html",
        "sitemap.xml",
    ]:
        assert name in found, name
    assert "Koosloome (2 programmi)" in text(read_page(out, "teemad/"))  # the count


def test_programme_turned_back_into_a_draft_vanishes_from_the_output(tmp_path: Path) -> None:
    content = site(tmp_path)
    out = tmp_path / "out"
    build(content, out, now=NOW)
    assert (out / PAGE / "index.html").is_file()

    source = content / HIDDEN
    source.write_text("draft: true\n" + source.read_text("utf-8"), "utf-8")
    os.utime(source, (FIXED, FIXED))
    build(content, out, now=NOW)  # into the same folder
    assert_not_anywhere(out, SLUG, TITLE, "Salajane", "Jaan Tamm")
    assert not (out / PAGE).exists()


# -- the publish date ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "now, public",
    [
        ("2023-03-01T23:59:59+02:00", False),
        ("2023-03-02T00:00:00+02:00", True),  # from midnight Tallinn time that day
        ("2023-03-01T21:59:59+00:00", False),  # 23.59.59 in Tallinn
        ("2023-03-01T22:00:00+00:00", True),  # midnight in Tallinn, still the 1st in UTC
        ("2023-08-01T12:00:00+03:00", True),
    ],
)
def test_programme_appears_once_its_publish_date_has_come(
    tmp_path: Path, now: str, public: bool
) -> None:
    site(tmp_path, 'publish_date: "2023-03-02"\n')
    result = build_py(
        "build", "--content", "content", "--output", "out", f"--now={now}", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    out = tmp_path / "out"
    found = mentions(out, SLUG)
    if not public:
        assert found == {}
        return
    assert (out / PAGE / "index.html").is_file()
    assert {"index.html", "kalender.ics", "teemad/koosloome/kalender.ics", "sitemap.xml"} <= set(
        found
    )
    assert "Avaldatakse" not in text(read_page(out, PAGE))  # no preview marks when public


# -- topics ----------------------------------------------------------------------------------

DRAFT_TOPIC = "title: Peidetud teema\ndescription: Veel mõtlemisel.\ndraft: true\n"
WITH_DRAFT_TOPIC: dict[str, str | None] = {
    "topics/peidetud-teema.yaml": DRAFT_TOPIC,
    "programmes/demo.yaml": PROGRAMME.replace(
        "  - koosloome\n", "  - koosloome\n  - peidetud-teema\n"
    ),
}


def test_draft_topic_has_no_page_no_feed_and_is_not_shown_with_programmes(tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(site(tmp_path, None, WITH_DRAFT_TOPIC), out, now=NOW)
    assert mentions(out, "peidetud", "Veel mõtlemisel") == {}
    assert not (out / "teemad" / "peidetud-teema").exists()
    tags = [text(a) for a in read_page(out, "programmid/demo/").select(".tags a")]
    assert tags == ["Koosloome"]  # the public topic is still there
    assert "(1 programm)" in text(read_page(out, "teemad/"))


def test_draft_topic_once_published_appears_with_its_programmes(tmp_path: Path) -> None:
    files = WITH_DRAFT_TOPIC | {
        "topics/peidetud-teema.yaml": DRAFT_TOPIC.replace("draft: true", "draft: false")
    }
    out = tmp_path / "out"
    build(site(tmp_path, None, files), out, now=NOW)
    tags = [text(a) for a in read_page(out, "programmid/demo/").select(".tags a")]
    assert tags == ["Koosloome", "Peidetud teema"]
    assert (out / "teemad" / "peidetud-teema" / "kalender.ics").is_file()


def test_published_content_keeps_only_what_public_programmes_name(tmp_path: Path) -> None:
    content = load_content(site(tmp_path, "draft: true\n", WITH_DRAFT_TOPIC))
    public = published(content, NOW)
    assert [p.slug for p in public.programmes] == ["demo"]
    assert public.programmes[0].topics == ("koosloome",)
    assert sorted(public.topics) == ["koosloome"]
    assert sorted(public.people) == ["mari-maasikas"]  # jaan-tamm: only the draft names him
    assert sorted(public.organisations) == ["silab"]
    assert published(content, NOW, include_drafts=True) is content


# -- the preview shows them, marked ------------------------------------------------------------


def notice(out: Path, path: str) -> str:
    return text(read_page(out, path).select_one(".preview-notice"))


def test_preview_build_shows_drafts_and_scheduled_programmes_marked(tmp_path: Path) -> None:
    files = WITH_DRAFT_TOPIC | {
        "programmes/tulekul.yaml": 'publish_date: "2027-01-15"\n'
        + PROGRAMME.replace("Demoprogramm", "Tulekul programm"),
    }
    content = site(tmp_path, "draft: true\n", files)
    out = tmp_path / "preview"
    build(content, out, now=NOW, drafts=True)

    assert notice(out, PAGE) == "Mustand – avalikul lehel seda programmi ei ole."
    assert notice(out, "programmid/tulekul/") == (
        "Avaldatakse 15. jaanuaril 2027 – enne seda avalikul lehel seda programmi ei ole."
    )
    assert notice(out, "teemad/peidetud-teema/") == "Mustand – avalikul lehel seda teemat ei ole."
    assert read_page(out, "programmid/demo/").select_one(".preview-notice") is None
    cards = {text(c.h3): text(c.select_one(".meta")) for c in read_page(out, "").select(".card")}
    assert cards[TITLE].startswith("Tulemas Mustand ")
    assert cards["Tulekul programm"].startswith("Käimas Avaldatakse 15. jaanuaril 2027 ")
    assert cards["Demoprogramm"] == "Käimas märts–mai 2023"
    topics = text(read_page(out, "teemad/"))
    assert "Peidetud teema Mustand (1 programm)" in topics
    assert "Koosloome (3 programmi)" in topics
    demo_tags = text(read_page(out, "programmid/demo/").select_one(".tags"))
    assert demo_tags == "Koosloome Peidetud teema Mustand"

    # The same content built for the public: none of it, and no marks anywhere.
    public = tmp_path / "public"
    build(content, public, now=NOW)
    assert mentions(public, "Mustand", "Avaldatakse", "tulekul", SLUG, "peidetud") == {}


def test_live_preview_serves_drafts_with_the_banner(tmp_path: Path) -> None:
    preview = Preview(site(tmp_path, "draft: true\n"), port=0, now=NOW)
    preview.start()
    try:
        with urllib.request.urlopen(preview.url + PAGE, timeout=5) as response:
            page = response.read().decode()
    finally:
        preview.stop()
    assert "Mustand – avalikul lehel seda programmi ei ole." in page


@pytest.mark.parametrize(
    "day, words",
    [
        (dt.date(2027, 1, 15), "15. jaanuaril 2027"),
        (dt.date(2027, 3, 1), "1. märtsil 2027"),
        (dt.date(2027, 5, 31), "31. mail 2027"),
        (dt.date(2027, 9, 2), "2. septembril 2027"),
        (dt.date(2027, 12, 24), "24. detsembril 2027"),
    ],
)
def test_publish_date_is_worded_on_that_day(day: dt.date, words: str) -> None:
    assert format_on_day(day) == words


# -- validation: drafts are checked in full; bad values are pointed at -------------------------

DEMO = "content/programmes/demo.yaml"


@pytest.fixture
def in_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def problems(files: dict[str, str | None]) -> list[Diagnostic]:
    with pytest.raises(ContentError) as caught:
        load_content(write_site(Path(), files))
    return caught.value.diagnostics


def where(d: Diagnostic) -> str:
    return f"{d.position.path}:{d.position.line}:{d.position.column}: {d.field}"


@pytest.mark.usefixtures("in_tmp_path")
@pytest.mark.parametrize(
    "first_line, place, message, hint",
    [
        ("draft: jah", "1:8: draft", "kirjuta true, mitte jah", "true (jah) ja false (ei)"),
        ("draft: 1", "1:8: draft", "'1' ei sobi siia", "true (jah) ja false (ei)"),
        (
            "publish_date: 15.01.2027",
            "1:15: publish_date",
            "'15.01.2027' ei ole kuupäev",
            'kirjuta "2027-01-15"',
        ),
        (
            'publish_date: "2027-01"',
            "1:15: publish_date",
            "avaldamise kuupäev vajab täpset päeva",
            '"2027-01-01"',
        ),
        (
            'publish_date: "2027-02-30"',
            "1:15: publish_date",
            "kuupäeva 2027-02-30 ei ole olemas: veebruar 2027 on 28 päeva",
            "AAAA-KK-PP",
        ),
        (
            'publish_date: "2027-01-15 10.00"',
            "1:15: publish_date",
            "'2027-01-15 10.00' ei ole kuupäev",
            "AAAA-KK-PP",
        ),
    ],
)
def test_bad_draft_or_publish_date_is_pointed_at(
    first_line: str, place: str, message: str, hint: str
) -> None:
    [d] = problems({"programmes/demo.yaml": f"{first_line}\n{PROGRAMME}"})
    assert where(d) == f"{DEMO}:{place}"
    assert d.message == message
    assert hint in d.hint


@pytest.mark.usefixtures("in_tmp_path")
def test_bad_draft_value_on_a_topic_is_pointed_at() -> None:
    [d] = problems({"topics/koosloome.yaml": "title: Koosloome\ndraft: yes\n"})
    assert where(d) == "content/topics/koosloome.yaml:2:8: draft"
    assert d.message == "kirjuta true, mitte yes"


@pytest.mark.usefixtures("in_tmp_path")
def test_draft_key_misspelled_is_an_unknown_key_with_a_suggestion() -> None:
    [d] = problems({"programmes/demo.yaml": f"drafts: true\n{PROGRAMME}"})
    assert where(d) == f"{DEMO}:1:1: drafts"
    assert d.hint == "kas mõtlesid 'draft'?"


def test_an_invalid_draft_fails_the_build(tmp_path: Path) -> None:
    site(tmp_path, "draft: true\n")
    source = tmp_path / "content" / HIDDEN
    source.write_text(source.read_text("utf-8").replace('"2023-04-20"', '"2023-04-31"'), "utf-8")
    result = build_py("build", "--content", "content", "--output", "out", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.splitlines()[0] == (
        f"content/{HIDDEN}:16:11: sessions[0].date: "
        "kuupäeva 2023-04-31 ei ole olemas: aprill 2023 on 30 päeva"
    )
    assert not (tmp_path / "out").exists()
