"""benchmarks/feature_cost.py's build without per-session "add to calendar" leaves out that
one feature and nothing else, so the cost it reports is that feature's."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import CONTENT, ROOT, manifest

NOW = "2023-03-01T12:00:00+02:00"  # as site_2023


def test_build_without_leaves_out_only_the_per_session_copies(
    site_2023: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    command = [sys.executable, "benchmarks/feature_cost.py", "--build-without"]
    command += ["--content", str(CONTENT), "--output", str(out), "--now", NOW, "--no-search"]
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
    full, without = manifest(site_2023), manifest(out)

    session_files = {path for path in full if "/toimumine-" in path}
    assert session_files, "the real content has dated sessions with files of their own"
    assert not any("/toimumine-" in path for path in without)
    feeds = [path for path in full if path.endswith(".ics") and path not in session_files]
    assert {path: without[path] for path in feeds} == {path: full[path] for path in feeds}

    pages = [path for path in full if path.startswith("programmid/") and path.endswith(".html")]
    assert pages
    for page in pages:
        assert 'class="add-event"' in (site_2023 / page).read_text("utf-8")
        assert 'class="add-event"' not in (out / page).read_text("utf-8")
    # Everything else the build makes is still made (the search index aside: --no-search).
    assert {p for p in full if not p.startswith("pagefind/")} - session_files == set(without)
