"""The site's two scripts in Chromium (search, freshness) and the screenshots command."""

from __future__ import annotations

import json
import struct
import subprocess
from pathlib import Path

import pytest

from tests.conftest import build_real_site
from tests.tools import BROWSER_DIR, REPO, require_tools

pytestmark = pytest.mark.browser

LABOR = "/programmid/kogukonna-koosloome-labor-2023/"


@pytest.fixture(scope="module")
def seen(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """The real content built on 1 March 2023, opened in a browser whose clock says June 2026;
    the search page asked for "kaasamine", a word of two topics' titles."""
    require_tools("node", "tests/browser/node_modules", "chromium")
    site = build_real_site(tmp_path_factory.mktemp("site") / "out", "2023-03-01T12:00:00+02:00")
    result = subprocess.run(
        [
            "node",
            str(BROWSER_DIR / "site_scripts.mjs"),
            str(site),
            "kaasamine",
            LABOR,
            "2026-06-01T12:00:00+03:00",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    seen: dict[str, object] = json.loads(result.stdout)
    return seen


def test_search_finds_the_programme_by_a_topic_word(seen: dict[str, object]) -> None:
    search = seen["search"]
    assert isinstance(search, dict)
    assert search["idle"] == "Kirjuta otsingusõna, näiteks teema või programmi nimi."
    urls = [r["url"] for r in search["results"]]
    assert LABOR in urls
    assert "/teemad/koosloome-ja-kaasamine/" in urls
    assert search["status"] == f"Leiti {len(urls)} tulemust otsingule „kaasamine“."
    assert search["address"] == "?q=kaasamine"  # a result list can be linked to


def test_statuses_follow_the_browsers_date(seen: dict[str, object]) -> None:
    """Built when the programme was ahead ("Tulemas", 28 days left), read in 2026."""
    fresh = seen["freshness"]
    assert isinstance(fresh, dict)
    assert fresh["badge"] == "Lõppenud"
    assert "badge-past" in fresh["badgeClass"]
    assert fresh["deadlines"] == ["(Tähtaeg on möödunud)", "Tähtaeg on möödunud"]
    assert "seisuga 1. märts 2023" in fresh["footer"]
    assert fresh["footer"].endswith("Olekud on uuendatud tänase kuupäeva järgi.")


def test_no_script_errors_under_the_pages_csp(seen: dict[str, object]) -> None:
    assert seen["errors"] == []


def test_screenshots_command(tmp_path: Path) -> None:
    require_tools("node", "tests/browser/node_modules", "chromium")
    out = tmp_path / "shots"
    result = subprocess.run(
        [
            "bash",
            str(REPO / "scripts" / "screenshots.sh"),
            "--output",
            str(out),
            "--content",
            "content",
            "--now",
            "2023-03-01T12:00:00+02:00",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    kinds = ["avaleht", "programm", "teemad", "teema", "ulevaade", "otsing", "kalender", "404"]
    expected = {f"{kind}-{width}.png" for kind in kinds for width in (375, 1280)}
    assert {p.name for p in out.iterdir()} == expected
    for name in expected:
        data = (out / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
        width, height = struct.unpack(">II", data[16:24])
        assert width == int(name.rsplit("-", 1)[1].removesuffix(".png")), name
        assert height >= 300
