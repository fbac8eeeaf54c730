"""The outside checking tools (scripts/setup-test-tools.sh installs them).

Without them a test skips locally, but fails in CI, where a skip would hide a broken setup.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
BROWSER_DIR = REPO / "tests" / "browser"
NODE_MODULES = BROWSER_DIR / "node_modules"
VNU_JAR = NODE_MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))


def require_tools(*needed: str) -> None:
    """Skip (locally) or fail (in CI) when a checking tool is not installed."""
    present = {
        "java": shutil.which("java") is not None,
        "node": shutil.which("node") is not None,
        "tests/browser/node_modules": VNU_JAR.is_file()
        and all(
            (NODE_MODULES / name).is_dir()
            for name in ("axe-core", "playwright-core", "ical.js", "node-ical")
        ),
        "chromium": CHROMIUM.is_file(),
    }
    missing = [name for name in needed if not present[name]]
    if not missing:
        return
    message = f"missing {', '.join(missing)}: run scripts/setup-test-tools.sh"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)
