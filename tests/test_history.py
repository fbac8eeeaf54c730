"""Each page's "last updated" date comes from git history, so every clone builds the same
pages; uncommitted edits (an editor previewing) fall back to the file's modification time."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path
from zoneinfo import ZoneInfo

from koosloome_site.history import last_changed
from tests.conftest import CONTENT, build_real_site, git, read_page, text

TALLINN = ZoneInfo("Europe/Tallinn")
PROGRAMME = "programmes/kogukonna-koosloome-labor-2023.yaml"


def test_pages_show_the_newest_commit_of_their_sources_in_tallinn_time(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(CONTENT, repo / "content")
    git(repo, "init", "-q", when="2023-01-10T12:00:00+00:00")
    git(repo, "add", ".", when="2023-01-10T12:00:00+00:00")
    git(repo, "commit", "-qm", "content", when="2023-01-10T12:00:00+00:00")
    source = repo / "content" / PROGRAMME
    source.write_text(source.read_text("utf-8") + "\n", "utf-8")
    # 23:30 UTC on 31 January is already 1 February in Tallinn
    git(repo, "commit", "-qam", "edit", when="2024-01-31T23:30:00+00:00")
    os.utime(source, (0, 0))  # the file's own time must not matter once it is committed

    site = build_real_site(tmp_path / "out", "2023-03-01T12:00:00+02:00", repo / "content")
    edited = read_page(site, "programmid/kogukonna-koosloome-labor-2023/").find("footer")
    untouched = read_page(site, "programmid/koosloome-koolitusprogramm-2022/").find("footer")
    assert edited is not None and untouched is not None
    assert "viimati uuendatud 1. veebruar 2024" in text(edited)
    assert "viimati uuendatud 10. jaanuar 2023" in text(untouched)


def test_uncommitted_and_untracked_files_use_their_modification_time(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "content").mkdir(parents=True)
    committed, edited, new = (repo / "content" / name for name in ("a.yaml", "b.yaml", "c.yaml"))
    committed.write_text("a: 1\n")
    edited.write_text("b: 1\n")
    git(repo, "init", "-q", when="2023-01-10T12:00:00+00:00")
    git(repo, "add", ".", when="2023-01-10T12:00:00+00:00")
    git(repo, "commit", "-qm", "content", when="2023-01-10T12:00:00+00:00")
    edited.write_text("b: 2\n")
    new.write_text("c: 1\n")
    stamp = dt.datetime(2025, 6, 1, 12, tzinfo=TALLINN).timestamp()
    for path in (committed, edited, new):
        os.utime(path, (stamp, stamp))

    changed = last_changed(repo / "content", [committed, edited, new], TALLINN)
    assert {path: when.date() for path, when in changed.items()} == {
        committed: dt.date(2023, 1, 10),
        edited: dt.date(2025, 6, 1),
        new: dt.date(2025, 6, 1),
    }
