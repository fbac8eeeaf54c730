"""End to end: build the real content and find every seed fact on the page it belongs to.

The facts come from ../shared/seeds/README.md. Pages are parsed, and each fact is looked for
in the element where a reader would look for it (a session's entry, the contacts, ...).
"""

from __future__ import annotations

import filecmp
from collections.abc import Callable
from pathlib import Path
from xml.etree import ElementTree

import pytest
from bs4 import BeautifulSoup, Tag

from tests.conftest import build_real_site, read_page, text

P2022 = "programmid/koosloome-koolitusprogramm-2022/"
P2023 = "programmid/kogukonna-koosloome-labor-2023/"

Page = Callable[[str], BeautifulSoup]


def session(soup: BeautifulSoup, session_id: str) -> str:
    item = soup.find(id=f"toimumine-{session_id}")
    assert isinstance(item, Tag), f"session {session_id} is not on the page"
    return text(item)


def section(soup: BeautifulSoup, heading: str) -> Tag:
    for h2 in soup.find_all("h2"):
        if text(h2) == heading:
            parent = h2.find_parent("section")
            assert isinstance(parent, Tag)
            return parent
    raise AssertionError(f"no section {heading!r}")


def links(node: Tag | BeautifulSoup) -> dict[str, str]:
    return {str(a["href"]): text(a) for a in node.find_all("a")}


def fact(soup: BeautifulSoup, term: str) -> str:
    for dt_tag in soup.select("dl.facts dt"):
        if text(dt_tag) == term:
            dd = dt_tag.find_next_sibling("dd")
            assert isinstance(dd, Tag)
            return text(dd)
    raise AssertionError(f"no fact {term!r}")


# -- 2022: Kohalike omavalitsuste ja kogukondade koosloome koolitusprogramm ------------------


def test_2022_programme_overview(page_2023: Page) -> None:
    soup = page_2023(P2022)
    assert soup.html is not None and soup.html["lang"] == "et"
    assert text(soup.h1) == "Kohalike omavalitsuste ja kogukondade koosloome koolitusprogramm"
    assert fact(soup, "Toimumisaeg") == "märts–mai 2022"
    assert fact(soup, "Kohti") == "kuni 10 meeskonda (kohalikku omavalitsust)"
    assert fact(soup, "Meeskonna suurus") == "vähemalt 4 inimest"
    assert fact(soup, "Meeskonna koosseis") == (
        "vähemalt neli liiget: kaks kohalikust omavalitsusest ja kaks vabaühendusest"
    )
    assert fact(soup, "Osalustasu") == "Tasuta osalevatele meeskondadele"
    assert "Eesti" in fact(soup, "Kellele")
    vorm = fact(soup, "Vorm")
    assert "Viis kontaktkoolitust kahes koolitusgrupis" in vorm
    assert "aktiivõppe" in vorm and "kodutööd" in vorm
    outcomes = [text(li) for li in section(soup, "Tulemused").find_all("li")]
    assert outcomes == [
        "Valmib piirkondlik kogukonna kaasamise ja arendamise mudel.",
        "Igal meeskonnal valmib koolitusprogrammi lõpuks mudeli juurutamise kava.",
    ]


def test_2022_all_16_workshop_topics_in_order_linking_to_topic_pages(page_2023: Page) -> None:
    topics = section(page_2023(P2022), "Teemad").find_all("a")
    assert [text(a) for a in topics] == [
        "koosloomeline valitsemine",
        "koosloome ja kaasamine",
        "kogukondade kaardistamine",
        "koosloomeline koostööprotsess",
        "kaasamise ja koosloome vormid",
        "koostöö kokkulepped",
        "kogukonna arengufaasid",
        "kogukonna arendamine",
        "dialoog kogukonnaga: usalduse loomine",
        "huvikaitse ja koostöö",
        "erinevad koostöömudelid",
        "koostöö kogukondade vahel",
        "ühise visiooni loomine",
        "tegevuste kaardistamine",
        "tegevusplaani koostamine",
        "tegevuskavade loomine",
    ]
    assert topics[0]["href"] == "/teemad/koosloomeline-valitsemine/"


def test_2022_schedule(page_2023: Page) -> None:
    soup = page_2023(P2022)
    info = session(soup, "infopaev")
    assert "kolmapäev, 16. veebruar 2022" in info and "Zoom" in info
    assert "kell" not in info, "the seed gives no time for the info day"
    deadline = session(soup, "sooviavaldused-viimsi")
    assert "kuni 14. veebruarini 2022" in deadline and "aso@viimsvv.ee" in deadline
    for group_id, label in (
        ("tootoad-grupp-1", "1. koolitusgrupp"),
        ("tootoad-grupp-2", "2. koolitusgrupp"),
    ):
        workshops = session(soup, group_id)
        assert "märts–mai 2022" in workshops and label in workshops
        assert "Viis kontaktkoolitust" in workshops
    counselling = session(soup, "noustamisprogramm")
    assert "Aeg" not in counselling, "the seed gives no dates for the counselling phase"
    assert [text(h) for h in section(soup, "Ajakava").find_all("h3")][-1] == "Kuupäevata"
    assert "kolm kuud" in counselling and "kuni 16 tundi" in counselling
    seminar = session(soup, "lopuseminar")
    assert "kolmapäev, 28. september 2022" in seminar and "tulemusi" in seminar


def test_2022_organisers_contact_and_link(page_2023: Page) -> None:
    soup = page_2023(P2022)
    organisers = [text(li) for li in section(soup, "Korraldajad").find_all("li")]
    assert organisers == [
        "Sotsiaalse Innovatsiooni Labor (SiLab)",
        "Eesti Külaliikumine Kodukant",
        "Siseministeerium",
    ]
    contact = section(soup, "Kontakt")
    assert "Viimsi Vallavalitsus, avalike suhete osakond" in text(contact)
    assert links(contact) == {"mailto:aso@viimsvv.ee": "aso@viimsvv.ee"}
    assert "https://koosloome.ee/" in links(section(soup, "Lisainfo"))


# -- 2023: Kogukonna koosloome labor ---------------------------------------------------------


def test_2023_programme_overview(page_2023: Page) -> None:
    soup = page_2023(P2023)
    assert text(soup.h1) == "Kogukonna koosloome labor"
    assert fact(soup, "Toimumisaeg") == "20. aprill – detsember 2023"
    assert fact(soup, "Meeskonna suurus") == "3–4 inimest"
    assert "kogukonna kaasamise eest vastutavad ametnikud (ka volikogu liikmed)" in fact(
        soup, "Kellele"
    )
    vorm = fact(soup, "Vorm")
    for part in (
        "Igakuised virtuaalsed kohtumised",
        "mini-mentorlus",
        "kohtumine õpisemuga",
        "kahepäevane",
        "Tallinnas ja Tartus",
    ):
        assert part in vorm
    expectations = [text(li) for li in section(soup, "Ootused osalejatele").find_all("li")]
    assert expectations == [
        "Meeskonnal on konkreetne teema või probleem, mille lahendamisse kogukonda soovitakse "
        "kaasata (see võib olla ka nt arengukava koostamine või valla üldine juhtimine).",
        "Teema on seotud valla arengukava tegevuskava ja/või tööplaaniga.",
        "Vallavanema/abivallavanema kinnitus/ootus teemaga tegelemiseks.",
        "Meeskonnal on motivatsioon osaleda ja teemasse panustada.",
    ]


def test_2023_team_and_roles(page_2023: Page) -> None:
    team = [text(li) for li in section(page_2023(P2023), "Meeskond").find_all("li")]
    assert team == [
        "Kaie Koppel – juhib labori töötube",
        "Susanna Kuusik – arendab kogukonna kaasamise ja koostöö mudelit",
        "Rasmus Pedanik – viib läbi koosloome koolituse",
        "Evelin Kostabi – programmi koordinaator, viib läbi mini-mentorlusi",
    ]


def test_2023_info_day_and_registration_deadline(page_2023: Page) -> None:
    soup = page_2023(P2023)
    info = soup.find(id="toimumine-infopaev")
    assert isinstance(info, Tag)
    assert "neljapäev, 23. märts 2023, kell 15.00–16.30" in text(info)
    assert "Zoom" in text(info)
    assert info.find("time", datetime="2023-03-23T15:00") is not None
    add_to_calendar = info.find("details", class_="add-event")  # see test_calendar_links.py
    assert isinstance(add_to_calendar, Tag)
    add_to_calendar.extract()
    assert links(info) == {"https://forms.gle/F8jE756bNR4urnGVA": "Registreerimine infopäevale"}
    deadline = soup.find(id="toimumine-osalemissoov")
    assert isinstance(deadline, Tag)
    assert "enne 30. märtsi 2023" in text(deadline)
    assert "https://forms.gle/RFsNvsfHG2TP8fqX7" in links(deadline)
    # the key dates box repeats both near the top, with the status as of the build's "now"
    key_dates = text(section(soup, "Infopäev ja tähtajad"))
    assert "enne 30. märtsi 2023 (Jäänud on 28 päeva)" in key_dates


@pytest.mark.parametrize(
    "day",
    [
        "2023-04-20",
        "2023-05-18",
        "2023-08-24",
        "2023-09-21",
        "2023-10-19",
        "2023-11-16",
        "2023-12-07",
    ],
)
def test_2023_virtual_meetings_on_the_announced_days_without_invented_times(
    page_2023: Page, day: str
) -> None:
    meeting = session(page_2023(P2023), f"virtuaalne-kohtumine-{day}")
    assert "Virtuaalne kohtumine" in meeting and "Veebis" in meeting
    assert "kell" not in meeting


@pytest.mark.parametrize(
    ("day", "city", "wording"),
    [
        ("2023-06-08", "tartu", "neljapäev, 8. juuni 2023"),
        ("2023-06-16", "tartu", "reede, 16. juuni 2023"),
        ("2023-06-09", "tallinn", "reede, 9. juuni 2023"),
        ("2023-06-15", "tallinn", "neljapäev, 15. juuni 2023"),
    ],
)
def test_2023_practical_trainings(page_2023: Page, day: str, city: str, wording: str) -> None:
    training = session(page_2023(P2023), f"praktiline-koolitus-{city}-{day}")
    assert wording in training and city.capitalize() in training


def test_2023_schedule_is_in_date_order_with_undated_items_last(page_2023: Page) -> None:
    soup = page_2023(P2023)
    schedule = section(soup, "Ajakava")
    stamps = [str(t["datetime"])[:10] for t in schedule.find_all("time")]
    assert stamps == sorted(stamps) and len(stamps) == 13
    assert [text(h) for h in schedule.find_all("h3")][-1] == "Aeg täpsustamisel"
    assert "Mini-mentorlus" in session(soup, "mini-mentorlus")
    assert "Kohtumine õpisemuga" in session(soup, "kohtumine-opisemuga")


def test_2023_contact_and_more_information(page_2023: Page) -> None:
    soup = page_2023(P2023)
    contact = section(soup, "Kontakt")
    assert "Evelin Kostabi, Sotsiaalse Innovatsiooni Labor" in text(contact)
    assert links(contact) == {
        "tel:5044576": "5044576",
        "mailto:evelin@koosloome.ee": "evelin@koosloome.ee",
    }
    assert links(section(soup, "Lisainfo")) == {
        "https://koosloome.ee/kogukonna-koosloome-labor/": "Loe lähemalt kogu programmi kohta"
    }


# -- site-wide --------------------------------------------------------------------------------


def test_topic_page_gathers_every_programme_with_that_topic(page_2023: Page) -> None:
    soup = page_2023("teemad/koosloome-ja-kaasamine/")
    assert text(soup.h1) == "koosloome ja kaasamine"
    assert set(links(section(soup, "Programmid"))) == {f"/{P2022}", f"/{P2023}"}
    assert "koosloome ja kaasamine (2 programmi)" in text(page_2023("teemad/"))


def test_home_lists_upcoming_first_and_past_in_the_archive(page_2023: Page) -> None:
    soup = page_2023("")
    assert set(links(section(soup, "Käimas ja tulemas"))) == {f"/{P2023}"}
    assert set(links(section(soup, "Arhiiv"))) == {f"/{P2022}"}


def test_home_says_plainly_when_nothing_is_upcoming(tmp_path: Path) -> None:
    site = build_real_site(tmp_path / "out", "2026-11-25T12:00:00+02:00")
    soup = read_page(site, "")
    assert "Praegu ei ole ühtegi käimasolevat ega tulevat programmi" in text(
        section(soup, "Käimas ja tulemas")
    )
    assert set(links(section(soup, "Arhiiv"))) == {f"/{P2022}", f"/{P2023}"}
    # later builds see the deadline as passed and the registration as closed
    key_dates = text(section(read_page(site, P2023), "Infopäev ja tähtajad"))
    assert "Tähtaeg on möödunud" in key_dates and "(lõppenud)" in key_dates


def test_not_found_page_and_last_updated_line(page_2023: Page) -> None:
    missing = page_2023("404.html")
    assert text(missing.h1) == "Lehte ei leitud"
    footer = page_2023(P2023).find("footer")
    assert isinstance(footer, Tag)
    stamp = footer.find("time")
    assert isinstance(stamp, Tag) and len(str(stamp["datetime"])) == 10
    assert text(footer).startswith("Lehe sisu viimati uuendatud")


def test_same_content_gives_byte_identical_output(site_2023: Path, tmp_path: Path) -> None:
    again = build_real_site(tmp_path / "again", "2023-03-01T12:00:00+02:00")
    files = sorted(p.relative_to(site_2023) for p in site_2023.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(again) for p in again.rglob("*") if p.is_file())
    _, mismatch, errors = filecmp.cmpfiles(site_2023, again, files, shallow=False)
    assert (mismatch, errors) == ([], [])


def test_sitemap_lists_every_public_page_with_its_last_change(site_2023: Path) -> None:
    space = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    root = ElementTree.parse(site_2023 / "sitemap.xml").getroot()
    entries = {
        url.findtext("s:loc", namespaces=space): url.findtext("s:lastmod", namespaces=space)
        for url in root.findall("s:url", space)
    }
    base = "https://programmid.koosloome.ee/"
    pages = {p.parent.relative_to(site_2023).as_posix() for p in site_2023.rglob("index.html")}
    assert set(entries) == {base + ("" if p == "." else p + "/") for p in pages}
    assert all(len(day or "") == 10 for day in entries.values())
