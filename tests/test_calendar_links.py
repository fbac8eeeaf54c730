"""Calendar links on the pages: subscribe blocks, "add to calendar" per session, the how-to page.

Times in the links are UTC; the content's are Europe/Tallinn wall-clock (UTC+2 in winter, +3 in
summer). Every link is checked against what the feeds say about the same session, so a page and
a calendar can never disagree about a time or a title.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit
from zoneinfo import ZoneInfo

import icalendar
import pytest
from bs4 import BeautifulSoup, Tag
from markupsafe import Markup, escape

from koosloome_site import urls
from koosloome_site.calendar_links import (
    GOOGLE,
    MICROSOFT_365,
    OUTLOOK_COM,
    EventTimes,
    basic,
    encode,
    event_links,
    feed_links,
)
from koosloome_site.pages import _as_attribute
from koosloome_site.pipeline import build
from koosloome_site.validate import load_content
from tests.conftest import CONTENT, ROOT, read_page, text
from tests.sitekit import write_site

BASE = "https://programmid.koosloome.ee/"
P2023 = "kogukonna-koosloome-labor-2023"
FEED_2023 = f"{BASE}programmid/{P2023}/kalender.ics"
NOW_2023 = "2023-03-01T12:00:00+02:00"  # as the site_2023 fixture

Query = dict[str, str]


def query(href: str) -> Query:
    """The link's query parameters, decoded; each must occur once."""
    parsed = parse_qs(urlsplit(href).query, keep_blank_values=True, strict_parsing=True)
    assert all(len(v) == 1 for v in parsed.values()), href
    return {key: values[0] for key, values in parsed.items()}


def session_item(soup: BeautifulSoup, session_id: str) -> Tag:
    item = soup.find(id=f"toimumine-{session_id}")
    assert isinstance(item, Tag), f"session {session_id} is not on the page"
    return item


def add_links(item: Tag) -> dict[str, str]:
    """The session's "add to calendar" links by kind: google, outlook, office, ics."""
    block = item.find("details", class_="add-event")
    assert isinstance(block, Tag), "no add-to-calendar links"
    found: dict[str, str] = {}
    for a in block.find_all("a"):
        href = str(a["href"])
        if href.startswith(GOOGLE):
            found["google"] = href
        elif href.startswith(OUTLOOK_COM + "action/compose?"):
            found["outlook"] = href
        elif href.startswith(MICROSOFT_365 + "action/compose?"):
            found["office"] = href
        elif href.endswith(".ics"):
            found["ics"] = href
    assert set(found) == {"google", "outlook", "office", "ics"}, found
    return found


def subscribe_block(soup: BeautifulSoup) -> Tag:
    block = soup.find("section", class_="subscribe")
    assert isinstance(block, Tag), "no subscribe block"
    return block


def assert_subscribe_links(soup: BeautifulSoup, feed: str, name: str) -> None:
    """The block offers every way to subscribe to `feed` (an absolute https address)."""
    block = subscribe_block(soup)
    hrefs = [str(a["href"]) for a in block.find_all("a")]
    webcal = "webcal://" + feed.removeprefix("https://")
    assert webcal in hrefs
    assert f"{GOOGLE}?cid={webcal}" in hrefs
    encoded = feed.replace(":", "%3A").replace("/", "%2F")
    for outlook in (OUTLOOK_COM, MICROSOFT_365):
        [href] = [h for h in hrefs if h.startswith(outlook + "addfromweb?")]
        assert href.startswith(f"{outlook}addfromweb?url={encoded}&name="), href
        assert query(href) == {"url": feed, "name": name}
    assert "/" + feed.removeprefix(BASE) in hrefs, "no download link"
    assert "/" + urls.CALENDAR_HELP in hrefs, "no link to the how-to page"
    # the address for copying, labelled
    field = block.find("input", readonly=True)
    assert isinstance(field, Tag) and field["value"] == feed
    label = block.find("label", attrs={"for": field["id"]})
    assert isinstance(label, Tag) and text(label)


@pytest.mark.parametrize(
    "value",
    [
        "Infopäev – Kogukonna koosloome labor",
        "Aeg: neljapäev, 23. märts 2023, kell 15.00–16.30\nKoht: Veebis, Zoom (https://x.ee/?a=1&b=2#c)",
        "".join(chr(c) for c in range(0x20, 0x250)) + "„“ 😀 \t\r\n+%/:;=?@[]!$'()*,~_.-",
    ],
)
def test_fast_encoding_is_exactly_quote(value: str) -> None:
    assert encode(value) == quote(value, safe="")


@pytest.mark.parametrize(
    ("base_url", "name"),
    [
        ("https://koosloome.ee/", "Kogukonna koosloome labor – kõik toimumised"),
        ("http://localhost:8000/eelvaade/", "".join(chr(c) for c in range(0x20, 0x180)) + "„“😀"),
    ],
)
def test_subscription_links_quote_as_urllib_does(base_url: str, name: str) -> None:
    """The subscribe links' addresses and names, percent-encoded by a table in C, are what
    `urllib.parse.quote` writes (the webcal address keeping its `:` and `/`)."""
    path = "programmid/põhjamaine õhtu/kalender.ics"
    links = feed_links(base_url, path, name)
    address = base_url + path
    webcal = "webcal://" + address.split("://", 1)[1]
    assert links.google == f"{GOOGLE}?cid={quote(webcal, safe=':/')}"
    add = f"addfromweb?url={quote(address, safe='')}&name={quote(name, safe='')}"
    assert links.outlook == f"{OUTLOOK_COM}{add}"
    assert links.office == f"{MICROSOFT_365}{add}"


@pytest.mark.parametrize("timed", [True, False])
def test_pages_write_each_link_as_jinja_would_escape_it(timed: bool) -> None:
    """The pages escape the links themselves (pages._as_attribute: `&` only, as Markup, which
    Jinja writes as it is). That is Jinja's escaping exactly while percent-encoding leaves no
    other character that HTML escapes, whatever the texts hold."""
    every = "".join(chr(c) for c in range(1, 0x250)) + '„“ 😀 &amp; <b>"x"</b> \''
    start = dt.datetime(2023, 3, 23, 15, tzinfo=ZoneInfo("Europe/Tallinn"))
    times = EventTimes(start, start + dt.timedelta(hours=1))
    if not timed:
        times = EventTimes(start.date(), start.date() + dt.timedelta(days=1))
    links = event_links("programmid/p/t.ics", times, every, every + "\n" + every, every)
    for link in (links.google, links.outlook, links.office):
        written = _as_attribute(link)
        assert isinstance(written, Markup)
        assert written == escape(link) and escape(written) == written
        assert written.count("&amp;") == link.count("&") >= 4


@pytest.mark.parametrize(
    "moment",
    [
        dt.datetime(2023, 3, 23, 15, 0, tzinfo=dt.UTC),
        dt.datetime(2025, 10, 26, 3, 59, 59, 999999, tzinfo=ZoneInfo("Europe/Tallinn")),
        dt.datetime(999, 1, 2, 3, 4, 5),
        dt.date(2024, 2, 29),
        dt.date(9, 12, 31),
    ],
)
def test_basic_format_is_the_iso_format_without_separators_or_offset(moment: dt.date) -> None:
    """iCalendar's and Google's `20230323T150000`: what isoformat says, to the second."""
    assert basic(moment) == moment.isoformat()[:19].replace("-", "").replace(":", "")


# -- the real 2023 programme -----------------------------------------------------------------


def test_info_day_links_carry_the_time_in_utc(site_2023: Path) -> None:
    links = add_links(session_item(read_page(site_2023, f"programmid/{P2023}/"), "infopaev"))
    google = query(links["google"])
    # 15.00–16.30 in Tallinn on 23 March 2023 (winter time, UTC+2)
    assert google["dates"] == "20230323T130000Z/20230323T143000Z"
    assert "dates=20230323T130000Z/20230323T143000Z" in links["google"]
    assert google["action"] == "TEMPLATE"
    assert google["text"] == "Infopäev – Kogukonna koosloome labor"
    assert google["location"] == "Veebis, Zoom"
    assert "Registreerimine infopäevale: https://forms.gle/F8jE756bNR4urnGVA" in google["details"]
    for kind in ("outlook", "office"):
        outlook = query(links[kind])
        assert outlook["rru"] == "addevent"
        assert (outlook["startdt"], outlook["enddt"]) == (
            "2023-03-23T13:00:00Z",
            "2023-03-23T14:30:00Z",
        )
        assert "allday" not in outlook
        assert outlook["subject"] == google["text"]
        assert outlook["body"] == google["details"]
        assert outlook["location"] == "Veebis, Zoom"


def test_all_day_meeting_has_an_exclusive_end_date(site_2023: Path) -> None:
    soup = read_page(site_2023, f"programmid/{P2023}/")
    links = add_links(session_item(soup, "virtuaalne-kohtumine-2023-04-20"))
    assert query(links["google"])["dates"] == "20230420/20230421"
    for kind in ("outlook", "office"):
        outlook = query(links[kind])
        assert (outlook["startdt"], outlook["enddt"], outlook["allday"]) == (
            "2023-04-20",
            "2023-04-21",
            "true",
        )
        assert outlook["subject"] == "Virtuaalne kohtumine – Kogukonna koosloome labor"


def test_deadline_links_use_the_feeds_wording(site_2023: Path) -> None:
    links = add_links(session_item(read_page(site_2023, f"programmid/{P2023}/"), "osalemissoov"))
    assert query(links["google"])["text"] == (
        "Tähtaeg: Osalemissoovist teatamine (enne 30. märtsi 2023) – Kogukonna koosloome labor"
    )
    assert query(links["google"])["dates"] == "20230330/20230331"


def dated_sessions() -> list[tuple[str, str, bool]]:
    """(programme slug, session id, dated to the day) for every session of the real content."""
    content = load_content(CONTENT)
    return [
        (p.slug, s.id, s.date is not None and s.date.day is not None)
        for p in content.programmes
        for s in p.sessions
    ]


def test_every_dated_session_links_its_own_calendar_file(site_2023: Path) -> None:
    sessions = dated_sessions()
    assert sum(dated for _, _, dated in sessions) == 16
    for slug, session_id, dated in sessions:
        item = session_item(read_page(site_2023, urls.programme(slug)), session_id)
        if not dated:  # month or no date: not in any calendar, so nothing to add
            assert item.find("details", class_="add-event") is None, session_id
            assert "Lisa kalendrisse" not in text(item)
            continue
        ics = add_links(item)["ics"]
        assert ics == "/" + urls.session_event(slug, session_id)
        if not (site_2023 / ics.lstrip("/")).is_file():  # made by feeds.py
            pytest.fail(f"{ics} is linked but was not built")


# The real content, and the rich test site (tests/rich_site, shared with test_feed_parsers.py):
# cancelled and postponed sessions, groups, times across days, long notes with odd characters.
FEED_SITES = {"content": CONTENT, "rich_site": ROOT / "tests" / "rich_site" / "content"}


@pytest.fixture(scope="module", params=list(FEED_SITES))
def feed_site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    output = tmp_path_factory.mktemp("feed_site") / "out"
    build(FEED_SITES[request.param], output, now=dt.datetime.fromisoformat(NOW_2023))
    return output


def test_links_agree_with_the_feed_about_every_event(feed_site: Path) -> None:
    """Title, place, description and times in the links are the feed's own; cancelled events
    have none; each event's own calendar file is there."""
    checked = 0
    for feed_file in sorted(feed_site.glob("programmid/*/kalender.ics")):
        soup = read_page(feed_site, urls.programme(feed_file.parent.name))
        for event in icalendar.Calendar.from_ical(feed_file.read_bytes()).walk("VEVENT"):
            item = session_item(soup, str(event["uid"]).split(".", 1)[0])
            if str(event["status"]) == "CANCELLED":
                assert item.find("details") is None
                continue
            links = add_links(item)
            assert (feed_site / links["ics"].removeprefix("/")).is_file()
            google = query(links["google"])
            assert google["text"] == str(event["summary"])
            assert google["details"] == str(event["description"])
            assert google.get("location", "") == str(event.get("location", ""))
            assert google["dates"].split("/") == list(_google_dates(event))
            outlook = query(links["outlook"])
            assert (outlook["subject"], outlook["body"]) == (google["text"], google["details"])
            checked += 1
    assert checked >= 16


def _google_dates(event: icalendar.cal.Component) -> tuple[str, str]:
    """What Google's `dates` should be for a feed event: UTC moments, or all-day dates."""
    start = event.decoded("dtstart")
    if isinstance(start, dt.datetime):
        end = event.decoded("dtend") if "dtend" in event else start + dt.timedelta(hours=1)
        return (
            f"{start.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}",
            f"{end.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}",
        )
    return f"{start:%Y%m%d}", f"{event.decoded('dtend'):%Y%m%d}"


def test_add_links_name_their_session_for_screen_readers(site_2023: Path) -> None:
    soup = read_page(site_2023, f"programmid/{P2023}/")
    names: dict[str, set[str]] = {}
    for block in soup.find_all("details", class_="add-event"):
        for a in block.find_all("a"):
            name = " ".join(a.get_text().split())  # the accessible name, as a reader hears it
            names.setdefault(name, set()).add(str(a["href"]))
    # a link's text says what it does and which session it is for: never twice for two targets
    assert all(len(hrefs) == 1 for hrefs in names.values())
    assert "Lisa Google'i kalendrisse: Virtuaalne kohtumine, neljapäev, 20. aprill 2023" in names
    hidden = session_item(soup, "infopaev").select("details a .visually-hidden")
    assert hidden and all("Infopäev" in text(span) for span in hidden)


def test_programme_page_subscribe_block(site_2023: Path) -> None:
    soup = read_page(site_2023, f"programmid/{P2023}/")
    assert_subscribe_links(soup, FEED_2023, "Kogukonna koosloome labor")
    hrefs = [str(a["href"]) for a in subscribe_block(soup).find_all("a")]
    assert (
        "https://outlook.live.com/calendar/0/addfromweb?url=https%3A%2F%2Fprogrammid.koosloome.ee"
        "%2Fprogrammid%2Fkogukonna-koosloome-labor-2023%2Fkalender.ics"
        "&name=Kogukonna%20koosloome%20labor"
    ) in hrefs


def test_topic_and_home_pages_offer_their_feeds(site_2023: Path) -> None:
    topic = "koosloome-ja-kaasamine"
    soup = read_page(site_2023, urls.topic(topic))
    assert_subscribe_links(
        soup,
        BASE + urls.topic_feed(topic),
        "Sotsiaalse Innovatsiooni Labori programmid: koosloome ja kaasamine",
    )
    assert (site_2023 / urls.topic_feed(topic)).is_file()
    home = read_page(site_2023, "")
    assert_subscribe_links(
        home, BASE + urls.SITE_FEED, "Sotsiaalse Innovatsiooni Labori programmid"
    )


# -- the how-to page -------------------------------------------------------------------------


def test_how_to_page_is_linked_from_every_programme_page_and_the_footer(site_2023: Path) -> None:
    help_page = read_page(site_2023, urls.CALENDAR_HELP)
    assert text(help_page.h1) == "Kuidas programmide kalendrit tellida"
    for slug in {slug for slug, _, _ in dated_sessions()}:
        soup = read_page(site_2023, urls.programme(slug))
        assert subscribe_block(soup).find("a", href="/" + urls.CALENDAR_HELP) is not None
        footer = soup.find("footer")
        assert isinstance(footer, Tag) and footer.find("a", href="/" + urls.CALENDAR_HELP)
    sitemap = (site_2023 / urls.SITEMAP).read_text(encoding="utf-8")
    assert f"<loc>{BASE}{urls.CALENDAR_HELP}</loc>" in sitemap


def test_how_to_page_lists_every_feed(site_2023: Path) -> None:
    soup = read_page(site_2023, urls.CALENDAR_HELP)
    listed = {text(code) for code in soup.select(".feed-list code")}
    content = load_content(CONTENT)
    expected = {
        BASE + urls.SITE_FEED,
        *(BASE + urls.programme_feed(p.slug) for p in content.programmes),
        *(BASE + urls.topic_feed(t) for t in content.topics),
    }
    assert listed == expected and len(expected) == 1 + 2 + 18
    built = {BASE + p.relative_to(site_2023).as_posix() for p in site_2023.rglob("kalender.ics")}
    assert built == expected, "every feed that is built is listed, and only those"


def test_how_to_page_covers_every_calendar_and_the_refresh_delays(site_2023: Path) -> None:
    soup = read_page(site_2023, urls.CALENDAR_HELP)
    headings = {text(h) for h in soup.find_all("h2")}
    for name in ("Google'i kalender", "Apple'i kalender (iPhone, iPad, Mac)", "Outlook"):
        assert name in headings
    assert "Thunderbird" in headings
    page = text(soup)
    for step in (
        "„Muud kalendrid“",
        "„URL-i kaudu“",
        "Lisa tellitud kalender",
        "Fail → Uus kalendritellimus",
        "„Telli veebist“",
        "„Internetist“",
        "Fail → Uus → Kalender",
        "„Võrgus“",
    ):
        assert step in page, step
    assert "ei uuene" in page  # one-off copies do not update
    assert "Tellimuse lõpetamine" in headings


# -- timing rules, on a small site built for the purpose ------------------------------------

SUMMER = """\
title: Suvekool
summary: Suvine programm.
period:
  start: "2024-07"
  end: "2024-08"
topics:
  - koosloome
sessions:
  - id: avamine
    kind: seminar
    title: Avamine
    date: "2024-07-10"
    start_time: "10.00"
    end_time: "12.30"
    place:
      city: Tartu
      venue: Raekoda
  - id: hommik
    kind: meeting
    title: Hommikukohv
    date: "2024-07-11"
    start_time: "9.00"
  - id: laager
    kind: workshop
    title: Suvelaager
    date: "2024-07-15"
    end_date: "2024-07-17"
  - id: ara-jaetud
    kind: workshop
    title: Ära jäetud töötuba
    date: "2024-07-20"
    status: cancelled
  - id: edasi
    kind: workshop
    title: Edasi lükatud töötuba
    date: "2024-08-01"
    status: postponed
  - id: augustis
    kind: workshop
    title: Kunagi augustis
    date: "2024-08"
"""


@pytest.fixture(scope="module")
def summer(tmp_path_factory: pytest.TempPathFactory) -> BeautifulSoup:
    root = tmp_path_factory.mktemp("summer")
    content = write_site(root, {"programmes/suvekool.yaml": SUMMER})
    build(content, root / "out", now=dt.datetime.fromisoformat("2024-06-01T12:00:00+03:00"))
    return read_page(root / "out", urls.programme("suvekool"))


def test_summer_time_session_lands_on_the_right_utc_hour(summer: BeautifulSoup) -> None:
    links = add_links(session_item(summer, "avamine"))
    # 10.00–12.30 in Tallinn on 10 July is summer time, UTC+3
    assert query(links["google"])["dates"] == "20240710T070000Z/20240710T093000Z"
    outlook = query(links["outlook"])
    assert (outlook["startdt"], outlook["enddt"]) == (
        "2024-07-10T07:00:00Z",
        "2024-07-10T09:30:00Z",
    )
    assert query(links["google"])["location"] == "Raekoda, Tartu"


def test_session_with_only_a_start_gets_an_hour_in_google_and_no_end_in_outlook(
    summer: BeautifulSoup,
) -> None:
    links = add_links(session_item(summer, "hommik"))
    assert query(links["google"])["dates"] == "20240711T060000Z/20240711T070000Z"
    outlook = query(links["outlook"])
    assert outlook["startdt"] == "2024-07-11T06:00:00Z" and "enddt" not in outlook


def test_multi_day_session_ends_the_day_after_its_last_day(summer: BeautifulSoup) -> None:
    links = add_links(session_item(summer, "laager"))
    assert query(links["google"])["dates"] == "20240715/20240718"
    outlook = query(links["office"])
    assert (outlook["startdt"], outlook["enddt"], outlook["allday"]) == (
        "2024-07-15",
        "2024-07-18",
        "true",
    )


def test_cancelled_session_has_no_add_links_but_says_why(summer: BeautifulSoup) -> None:
    item = session_item(summer, "ara-jaetud")
    assert item.find("details") is None
    assert not [a for a in item.find_all("a") if str(a["href"]).endswith(".ics")]
    assert "Ära jäetud toimumist kalendrisse lisada ei saa" in text(item)


def test_postponed_session_keeps_its_links_with_the_status_in_the_title(
    summer: BeautifulSoup,
) -> None:
    links = add_links(session_item(summer, "edasi"))
    assert query(links["google"])["text"] == "EDASI LÜKATUD: Edasi lükatud töötuba – Suvekool"


def test_month_only_session_has_nothing_to_add(summer: BeautifulSoup) -> None:
    item = session_item(summer, "augustis")
    assert item.find("details") is None and "kalendrisse" not in text(item)
