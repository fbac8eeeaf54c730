"""The seed facts in the calendar feeds, as icalendar reads them. (Six parsers agreeing on every
file: test_feed_parsers.py; edits and identity: test_feed_identity.py.)"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest

from koosloome_site.feeds import TALLINN_VTIMEZONE
from tests.conftest import build_real_site

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


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_real_site(tmp_path_factory.mktemp("feeds") / "out", NOW)


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
    timezone = icalendar.Timezone.from_ical(TALLINN_VTIMEZONE)
    assert isinstance(timezone, icalendar.Timezone)
    ours = timezone.to_tz()
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


def test_times_next_to_the_clock_changes_land_on_the_right_utc_hour(tmp_path: Path) -> None:
    """Worked out by hand, not by the code under test: EET is UTC+2, EEST UTC+3; in 2030
    summer time begins on 31 March and ends on 27 October."""
    rich = Path(__file__).parent / "rich_site" / "content"
    site = build_real_site(tmp_path / "out", NOW, rich)
    events = {
        str(row["uid"]).split(".")[0]: row["start"]
        for row in by_icalendar(site / "programmid/digitaalse-osaluse-kool-2029/kalender.ics")
    }
    assert events["oine-praktikum"] == "2030-03-30T00:30:00Z"  # 02.30 winter time
    assert events["hommikune-praktikum"] == "2030-03-31T01:30:00Z"  # 04.30, first summer hour
    assert events["suvekool"] == "2029-07-10T06:00:00Z"  # 09.00 summer time
    assert events["lopetamine"] == "2030-10-27T03:00:00Z"  # 05.00, winter time again
