"""A subscriber's calendar keeps events by UID and takes a higher SEQUENCE as a newer copy.
Edits in git must reach it as updates of the same events: reordering or adding sessions keeps
every UID and leaves other events untouched, editing one session makes only that one newer."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
from pathlib import Path

import pytest

from koosloome_site import revisions
from koosloome_site.memo import BuildMemo
from koosloome_site.pipeline import build
from tests.conftest import CONTENT, build_real_site, git

NOW = "2023-03-01T12:00:00+02:00"
SLUG = "kogukonna-koosloome-labor-2023"
FEED = f"programmid/{SLUG}/kalender.ics"
SOURCE = f"content/programmes/{SLUG}.yaml"
INFO_DAY = f"infopaev.{SLUG}@programmid.koosloome.ee"


def events(feed: Path) -> dict[str, str]:
    """UID -> the event's unfolded text, as a calendar stores it."""
    text = feed.read_bytes().decode("utf-8").replace("\r\n ", "")
    blocks = re.findall(r"BEGIN:VEVENT\r\n.*?END:VEVENT\r\n", text, flags=re.DOTALL)
    found = {re.search(r"^UID:(.*)\r$", b, re.MULTILINE).group(1): b for b in blocks}  # type: ignore[union-attr]
    assert len(found) == len(blocks), "a UID twice in one feed"
    return found


def prop(event: str, name: str) -> str:
    match = re.search(rf"^{name}[;:](.*)\r$", event, re.MULTILINE)
    assert match, f"{name} missing"
    return match.group(1)


class Repo:
    """A copy of the real content in its own git repository, built after each step."""

    def __init__(self, root: Path) -> None:
        self.root, self.builds = root, 0
        shutil.copytree(CONTENT, root / "content")
        git(root, "init", "-q", when="2023-01-10T12:00:00Z")
        self.commit("2023-01-10T12:00:00Z")

    @property
    def source(self) -> Path:
        return self.root / SOURCE

    def edit(self, old: str, new: str) -> None:
        text = self.source.read_text("utf-8")
        assert text.count(old) == 1, old
        self.source.write_text(text.replace(old, new), "utf-8")

    def commit(self, when: str) -> None:
        git(self.root, "add", "-A", when=when)
        git(self.root, "commit", "-qm", "edit", when=when)

    def build(self) -> Path:
        self.builds += 1
        return build_real_site(self.root / f"out{self.builds}", NOW, self.root / "content")


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    return Repo(tmp_path)


def test_reordering_and_adding_sessions_keeps_every_event_as_it_was(repo: Repo) -> None:
    before = events(repo.build() / FEED)
    text = repo.source.read_text("utf-8")
    head, sessions = text.split("sessions:\n", 1)
    items = re.split(r"(?m)^(?=  - id: )", sessions)[1:]
    assert len(items) > 5
    new = '  - id: lisakohtumine\n    kind: meeting\n    date: "2023-12-14"\n'
    repo.source.write_text(
        head.replace("summary: ", "summary: Uuendatud. ", 1)
        + "sessions:\n"
        + "".join([new, *reversed(items)]),
        "utf-8",
    )
    repo.commit("2023-02-01T12:00:00Z")
    after = events(repo.build() / FEED)

    added = f"lisakohtumine.{SLUG}@programmid.koosloome.ee"
    assert after.keys() == {*before, added}
    assert all(after[uid] == before[uid] for uid in before), "an untouched event changed"
    assert prop(after[added], "SEQUENCE") == "0"
    assert prop(after[added], "CREATED") == "20230201T120000Z"


def test_editing_one_session_makes_only_that_event_newer(repo: Repo) -> None:
    before = events(repo.build() / FEED)
    assert prop(before[INFO_DAY], "SEQUENCE") == "0"
    repo.edit('start_time: "15.00"', 'start_time: "14.00"')
    repo.commit("2023-02-01T12:00:00Z")
    after = events(repo.build() / FEED)

    changed = [uid for uid in before if after[uid] != before[uid]]
    assert changed == [INFO_DAY]
    info = after[INFO_DAY]
    assert prop(info, "SEQUENCE") == "1"
    assert prop(info, "LAST-MODIFIED") == prop(info, "DTSTAMP") == "20230201T120000Z"
    assert prop(info, "CREATED") == "20230110T120000Z"
    assert prop(info, "DTSTART") == "TZID=Europe/Tallinn:20230323T140000"

    # A second edit of the same session, then an edit that changes nothing it shows.
    repo.edit('start_time: "14.00"', 'start_time: "14.30"')
    repo.commit("2023-02-02T12:00:00Z")
    repo.edit("sessions:\n", "# kommentaar ei muuda midagi\nsessions:\n")
    repo.commit("2023-02-03T12:00:00Z")
    assert prop(events(repo.build() / FEED)[INFO_DAY], "SEQUENCE") == "2"


def test_an_uncommitted_edit_shows_as_the_next_version(repo: Repo) -> None:
    """What an editor sees in the preview before committing."""
    repo.edit('start_time: "15.00"', 'start_time: "14.00"')
    os.utime(repo.source, (1_676_000_000, 1_676_000_000))  # 2023-02-10T03:33:20Z
    info = events(repo.build() / FEED)[INFO_DAY]
    assert prop(info, "SEQUENCE") == "1"
    assert prop(info, "LAST-MODIFIED") == "20230210T033320Z"


def test_git_is_asked_for_file_contents_only_when_a_version_must_be_compared(
    repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file committed once and unchanged needs no blob from git in a one-off build; the
    preview reads them all in its first build, so that an editor's saves need no git call."""
    asked: list[list[str]] = []  # each git call's blobs
    real = revisions._read_blobs

    def read_blobs(root: Path, blobs: list[str]) -> dict[str, bytes]:
        if blobs:  # (no blobs: no git call)
            asked.append(blobs)
        return real(root, blobs)

    monkeypatch.setattr(revisions, "_read_blobs", read_blobs)
    repo.build()
    assert asked == []  # everything is as committed, each file once
    repo.edit('start_time: "15.00"', 'start_time: "14.00"')
    info = events(repo.build() / FEED)[INFO_DAY]
    assert prop(info, "SEQUENCE") == "1" and len(asked) == 1 and len(asked[0]) == 1

    asked.clear()
    memo = BuildMemo()
    output = repo.root / "preview"
    build(repo.root / "content", output, now=dt.datetime.fromisoformat(NOW), memo=memo)
    assert len(asked) == 1 and len(asked[0]) > 1  # every committed file's blob, at once
    repo.edit('start_time: "14.00"', 'start_time: "13.00"')
    build(repo.root / "content", output, now=dt.datetime.fromisoformat(NOW), memo=memo)
    assert len(asked) == 1
    assert prop(events(output / FEED)[INFO_DAY], "SEQUENCE") == "1"


def test_renaming_the_programme_updates_every_event_of_it(repo: Repo) -> None:
    """The programme title is in every event's SUMMARY, so each of them changed."""
    before = events(repo.build() / FEED)
    repo.edit("title: Kogukonna koosloome labor\n", "title: Kogukonna koosloome labor 2023\n")
    repo.commit("2023-02-01T12:00:00Z")
    after = events(repo.build() / FEED)
    assert after.keys() == before.keys()
    assert {prop(e, "SEQUENCE") for e in after.values()} == {"1"}


def test_unchanged_content_rebuilds_byte_identical_calendar_files(repo: Repo) -> None:
    first, second = repo.build(), repo.build()
    files = sorted(p.relative_to(first) for p in first.rglob("*.ics"))
    assert len(files) > 20
    assert files == sorted(p.relative_to(second) for p in second.rglob("*.ics"))
    assert all((first / f).read_bytes() == (second / f).read_bytes() for f in files)


def test_a_session_is_the_same_event_in_every_file_it_is_in(repo: Repo) -> None:
    site = repo.build()
    topic_feed = next(f for f in site.glob("teemad/*/kalender.ics") if INFO_DAY in events(f))
    copies = [
        events(site / path)[INFO_DAY]
        for path in (FEED, "kalender.ics", f"programmid/{SLUG}/toimumine-infopaev.ics")
    ] + [events(topic_feed)[INFO_DAY]]
    assert all(copy == copies[0] for copy in copies)


def test_history_is_found_with_a_relative_content_folder(
    repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`build.py` is run with `--content content`, relative to the working directory."""
    repo.edit('start_time: "15.00"', 'start_time: "14.00"')
    repo.commit("2023-02-01T12:00:00Z")
    monkeypatch.chdir(repo.root)
    site = build_real_site(Path("out-relative"), NOW, Path("content"))
    assert prop(events(site / FEED)[INFO_DAY], "SEQUENCE") == "1"
