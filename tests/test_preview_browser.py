"""The live preview in real headless Chromium (tests/browser/preview_reload.mjs): an open
page follows the editor's saves by itself, shows the error page with the location while the
YAML is broken, and comes back when it is fixed, without a restart."""

from __future__ import annotations

import json
import subprocess

import pytest

from koosloome_site.serve import Preview
from tests.tools import BROWSER_DIR, require_tools

pytestmark = pytest.mark.browser

PROGRAMME = "programmes/kogukonna-koosloome-labor-2023.yaml"


def test_open_page_follows_saves_errors_and_the_fix(preview: Preview) -> None:
    require_tools("node", "tests/browser/node_modules", "chromium")
    page = preview.url + "programmid/kogukonna-koosloome-labor-2023/"
    result = subprocess.run(
        ["node", str(BROWSER_DIR / "preview_reload.mjs"), page, str(preview.content / PROGRAMME)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.stdout, result.stderr
    seen = json.loads(result.stdout.splitlines()[-1])
    assert result.returncode == 0, seen.get("failure")
    assert seen["reloadedByItself"], "the date changed without the page reloading itself?"
    assert "neljapäev, 25. mai 2023" not in seen["before"]
    # the error page names the place and shows the line
    error = seen["errorPage"]
    assert "kogukonna-koosloome-labor-2023.yaml:4:" in error, error
    assert "YAML: ootamatu koolon" in error
    assert "title: Kogukonna koosloome labor: kevad" in error
    assert seen["errorReloadedByItself"] and seen["fixedReloadedByItself"]
    assert "Sisus on vigu" not in seen["after"]
    # the only failed requests are the error page itself (500), never a script or asset
    assert all(line.startswith("500 ") for line in seen["failedRequests"]), seen["failedRequests"]
