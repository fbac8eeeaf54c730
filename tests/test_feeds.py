"""Calendar feeds, read back by three independent parsers: icalendar and vobject (Python) and
ical.js (JavaScript, Mozilla's). They must agree with each other and with the seed facts, and
a subscriber must see edits as updates of the same events, never as duplicates."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
import vobject

from koosloome_site.feeds import tallinn_timezone
from tests.conftest import build_real_site
from tests.tools import BROWSER_DIR, require_tools

NOW = "2023-03-01T12:00:00+02:00"
P2022 = "programmid/koosloome-koolitusprogramm-2022/kalender.ics"
P2023 = "programmid/kogukonna-koosloome-labor-2023/kalender.ics"
HOST = "programmid.koosloome.ee"
Row = dict[str, object]


def utc(value: dt.date) -> str:
    """One spelling for all parsers: a day as 2023-03-30, a moment in UTC with Z."""
    if isinstance(value, dt.datetime):
        assert value.tzinfo is not None, "floating time: the calendar would guess the zone"
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return value.isoformat()


def by_icalendar(path: Path) -> list[Row]:
    calendar = icalendar.Calendar.from_ical(path.read_bytes())
    rows: list[Row] = []
    for event in calendar.walk("VEVENT"):
        end = event.get("dtend")
        rows.append(
            {
                "uid": str(event["uid"]),
                "summary": str(event["summary"]),
                "start": utc(event.decoded("dtstart")),
                "end": utc(end.dt) if end is not None else None,
                "status": str(event["status"]),
                "location": str(event["location"]) if "location" in event else None,
                "sequence": int(str(event["sequence"])),
            }
        )
    return rows


def by_vobject(path: Path) -> list[Row]:
    calendar = vobject.readOne(path.read_text("utf-8"))
    rows: list[Row] = []
    for event in getattr(calendar, "vevent_list", []):
        contents = event.contents
        rows.append(
            {
                "uid": event.uid.value,
                "summary": event.summary.value,
                "start": utc(event.dtstart.value),
                "end": utc(event.dtend.value) if "dtend" in contents else None,
                "status": event.status.value,
                "location": event.location.value if "location" in contents else None,
                "sequence": int(event.sequence.value),
            }
        )
    return rows


def by_icaljs(*paths: Path) -> dict[str, list[Row]]:
    require_tools("node", "tests/browser/node_modules")
    result = subprocess.run(
        ["node", str(BROWSER_DIR / "read_ics.mjs"), *map(str, paths)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    parsed: dict[str, list[Row]] = json.loads(result.stdout)
    return parsed


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_real_site(tmp_path_factory.mktemp("feeds") / "out", NOW)


def test_three_parsers_read_the_same_events(site: Path) -> None:
    feeds = [site / P2022, site / P2023, site / "kalender.ics"]
    from_js = by_icaljs(*feeds)
    for feed in feeds:
        python = by_icalendar(feed)
        assert python, f"{feed} has no events"
        assert by_vobject(feed) == python
        assert from_js[str(feed)] == python


def test_2023_feed_holds_every_dated_session_as_announced(site: Path) -> None:
    events = {row["uid"]: row for row in by_icalendar(site / P2023)}
    info = events[f"infopaev.kogukonna-koosloome-labor-2023@{HOST}"]
    # 15.00–16.30 in Tallinn winter time (UTC+2)
    assert (info["start"], info["end"]) == ("2023-03-23T13:00:00Z", "2023-03-23T14:30:00Z")
    assert info["location"] == "Veebis, Zoom"
    deadline = events[f"osalemissoov.kogukonna-koosloome-labor-2023@{HOST}"]
    assert (deadline["start"], deadline["end"]) == ("2023-03-30", "2023-03-31")
    assert "enne 30. märtsi 2023" in str(deadline["summary"])
    meetings = sorted(
        str(e["start"])
        for e in events.values()
        if str(e["summary"]).startswith("Virtuaalne kohtumine")
    )
    assert meetings == [
        "2023-04-20",
        "2023-05-18",
        "2023-08-24",
        "2023-09-21",
        "2023-10-19",
        "2023-11-16",
        "2023-12-07",
    ], "all-day: the seed gives no times"
    trainings = sorted(
        (str(e["start"]), e["location"])
        for e in events.values()
        if str(e["summary"]).startswith("Praktiline")
    )
    assert trainings == [
        ("2023-06-08", "Tartu"),
        ("2023-06-09", "Tallinn"),
        ("2023-06-15", "Tallinn"),
        ("2023-06-16", "Tartu"),
    ]
    assert len(events) == 13, "undated parts (mini-mentoring, the meeting) are not invented"


def test_2022_feed_leaves_out_what_is_known_only_to_the_month(site: Path) -> None:
    starts = {str(row["uid"]).split(".")[0]: row["start"] for row in by_icalendar(site / P2022)}
    assert starts == {
        "sooviavaldused-viimsi": "2022-02-14",
        "infopaev": "2022-02-16",
        "lopuseminar": "2022-09-28",
    }


def test_site_feed_gathers_all_programmes(site: Path) -> None:
    uids = [row["uid"] for row in by_icalendar(site / "kalender.ics")]
    assert len(uids) == len(set(uids)) == 16


def test_feed_is_well_formed_text(site: Path) -> None:
    data = (site / P2023).read_bytes()
    assert data.endswith(b"\r\n") and b"\n" not in data.replace(b"\r\n", b"")
    assert max(len(line) for line in data.split(b"\r\n")) <= 75, "lines fold at 75 octets"
    calendar = icalendar.Calendar.from_ical(data)
    assert str(calendar["x-wr-calname"]) == "Kogukonna koosloome labor"
    assert str(calendar["method"]) == "PUBLISH"


def test_programme_page_offers_subscription(site: Path) -> None:
    page = (site / "programmid/kogukonna-koosloome-labor-2023/index.html").read_text("utf-8")
    assert f'href="webcal://{HOST}/{P2023}"' in page
    assert (
        f'type="text/calendar" title="Kogukonna koosloome labor: kalender" href="/{P2023}"' in page
    )


def test_tallinn_timezone_agrees_with_the_tz_database() -> None:
    ours = tallinn_timezone().to_tz()
    tz_database = ZoneInfo("Europe/Tallinn")
    moment = dt.datetime(2002, 6, 1, tzinfo=dt.UTC)
    while moment.year < 2037:
        local = moment.astimezone(tz_database).replace(tzinfo=None)
        assert ours.utcoffset(local) == tz_database.utcoffset(local), local
        moment += dt.timedelta(hours=7)  # lands on every hour of the day over the years


def test_feeds_do_not_depend_on_the_build_clock(site: Path, tmp_path: Path) -> None:
    later = build_real_site(tmp_path / "later", "2026-11-25T12:00:00+02:00")
    for feed in (P2022, P2023, "kalender.ics"):
        assert (later / feed).read_bytes() == (site / feed).read_bytes(), feed
