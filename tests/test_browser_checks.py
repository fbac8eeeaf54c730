"""The built site, checked by the tools the field trusts.

- The Nu Html Checker (vnu, the engine behind validator.w3.org) validates
  every HTML and CSS file.
- axe-core runs in real headless Chromium on every page at a desktop (1280 px)
  and a phone (375 px) width, together with a phone-width overflow check, a
  keyboard pass (each focus stop visible), Content-Security-Policy violations,
  console/network errors, requests to other hosts and an internal link check
  (tests/browser/check_pages.mjs).

The tools are installed by scripts/setup-test-tools.sh. Without them these
tests skip locally, but fail in CI, where a skip would hide a broken setup.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.tools import BROWSER_DIR, REPO, VNU_JAR, require_tools

pytestmark = pytest.mark.browser

# Two clocks give different pages of the real content: before the spring programmes
# everything is upcoming; in late 2026 the "nothing upcoming" message is shown instead. The
# rich fixture site adds future programmes, cancelled and online sessions and long texts.
SITES = [
    ("content", "2023-03-01T12:00:00+02:00"),
    ("content", "2026-11-25T12:00:00+02:00"),
    ("tests/rich_site/content", "2026-11-25T12:00:00+02:00"),
]


@pytest.fixture(
    scope="module", params=SITES, ids=["now=2023-03", "now=2026-11", "rich_site,now=2026-11"]
)
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A site built by build.py, as an editor would build it."""
    content, now = request.param
    out = tmp_path_factory.mktemp("site") / "out"
    result = subprocess.run(
        [
            sys.executable,
            "build.py",
            "--content",
            content,
            "--output",
            str(out),
            "--now",
            now,
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, (
        f"build.py exited {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    )
    assert any(out.rglob("*.html")), f"build.py wrote no HTML into {out}"
    return out


def run_vnu(*args: str) -> list[dict[str, object]]:
    """Run vnu and return its error messages (warnings are not failures)."""
    result = subprocess.run(
        ["java", "-jar", str(VNU_JAR), "--errors-only", "--format", "json", "--stdout", *args],
        capture_output=True,
        text=True,
        timeout=600,
    )
    try:
        messages: list[dict[str, object]] = json.loads(result.stdout)["messages"]
    except (json.JSONDecodeError, KeyError):
        pytest.fail(f"vnu gave no JSON (exit {result.returncode}):\n{result.stdout}{result.stderr}")
    # vnu exits non-zero exactly when it reports errors; never trust one without the other.
    assert bool(messages) == (result.returncode != 0), result.stderr
    return messages


def describe(messages: list[dict[str, object]], root: Path) -> str:
    lines = []
    for m in messages:
        url = str(m.get("url", "?")).removeprefix("file:")
        where = Path(url).relative_to(root) if url.startswith(str(root)) else url
        lines.append(f"{where}:{m.get('lastLine', '?')}: {m.get('message')}")
    return "\n".join(lines)


def test_html_is_valid(site: Path) -> None:
    require_tools("java", "tests/browser/node_modules")
    # vnu also checks the CSS in <style> elements and style="" attributes of HTML.
    problems = run_vnu("--skip-non-html", str(site))
    # CSS files are listed one by one: with --skip-non-css on a directory vnu misnumbers lines.
    css_files = sorted(str(p) for p in site.rglob("*.css"))
    if css_files:
        problems += run_vnu("--css", *css_files)
    if problems:
        pytest.fail(f"{len(problems)} vnu error(s):\n{describe(problems, site)}", pytrace=False)


def test_pages_pass_axe_in_chromium(site: Path) -> None:
    require_tools("node", "tests/browser/node_modules", "chromium")
    result = subprocess.run(
        ["node", str(BROWSER_DIR / "check_pages.mjs"), str(site)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    if result.returncode != 0:
        pytest.fail(
            f"check_pages.mjs exited {result.returncode}:\n{result.stdout}{result.stderr}",
            pytrace=False,
        )
