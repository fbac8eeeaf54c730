"""A build killed at any moment leaves the old site or the new one, whole; the next build cleans
up after it.

The kill test runs `build.py` as a subprocess over and over, switching between two versions of
the real content (B retitles the site, so every page differs, and adds a topic, so going back
to A deletes files), and kills each build (its process group) with SIGKILL after a random delay
from a seeded generator: two fifths of the delays are spread over a whole build, two fifths
over its writing phase, counted from the moment it marks the state folder (it is about to
change the spare tree), so that many kills land while files are being written and swapped,
and the rest come as soon as the new site is in place (the build then writes its records and
exits at once, so a delay spread over the build rarely lands there). The lengths
come from builds that ran to the end (four at the start, then any that beat its kill), so they
follow the machine's speed. After
each kill the output folder's SHA-256 manifest must be exactly the old site's or the new one's,
and nothing but scratch folders may lie beside it. Every other time a complete build follows
(in this process), which must succeed and leave nothing beside the output folder; otherwise the
next killed build starts among the leftovers. The counts are printed (`-s`):

    KILL_BUILDS=300 KILL_SEED=7 .venv/bin/pytest -s tests/test_atomic_output.py -k any_moment
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import random
import re
import select
import shutil
import signal
import statistics
import subprocess
import sys
import time
from collections import Counter
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from koosloome_site import background, uptodate, write
from koosloome_site.errors import BuildError
from koosloome_site.pipeline import build
from tests.conftest import CONTENT, ROOT

NOW = "2023-03-01T12:00:00+02:00"
KILLS = int(os.environ.get("KILL_BUILDS", "100"))
SEED = int(os.environ.get("KILL_SEED", "20240501"))
SCRATCH = re.compile(r"\.out\.(new|old)-[0-9]+-[0-9a-f]+")

Manifest = dict[str, str]


def manifest(folder: Path) -> Manifest | None:
    """SHA-256 of every file under `folder` by relative path; None when there is no folder."""
    if not folder.is_dir():
        return None
    files = {}
    for path in sorted(folder.rglob("*")):
        assert path.is_dir() or (path.is_file() and not path.is_symlink()), path
        if path.is_file():
            files[path.relative_to(folder).as_posix()] = hashlib.sha256(
                path.read_bytes()
            ).hexdigest()
    return files


def two_versions(tmp_path: Path) -> tuple[Path, Path]:
    a, b = tmp_path / "a", tmp_path / "b"
    shutil.copytree(CONTENT, a)
    shutil.copytree(CONTENT, b)
    site = b / "site.yaml"
    site.write_text(site.read_text("utf-8").replace("title: ", "title: Uus – ", 1), "utf-8")
    (b / "topics" / "uus-teema.yaml").write_text("title: uus teema\n", "utf-8")
    return a, b


def command(content: Path, output: Path) -> list[str]:
    options = ["--content", str(content), "--output", str(output), "--now", NOW]
    return [sys.executable, str(ROOT / "build.py"), *options]


def beside(output: Path) -> list[str]:
    """What lies beside the output folder, but for its state folder (spare tree and record)."""
    ours = {output.name, uptodate.state_folder(output).name}
    return sorted(entry.name for entry in output.parent.iterdir() if entry.name not in ours)


def scratch_of(output: Path, pid: int) -> bool:
    """Whether the build with this process id has begun writing (its mark is in the state
    folder from before it changes the spare tree until the trees are exchanged)."""
    return (uptodate.state_folder(output) / f"writing-{pid}").exists()


def identity(output: Path) -> tuple[int, int] | None:
    """The output folder's device and inode: exchanging the trees changes them."""
    try:
        found = output.stat()
    except FileNotFoundError:
        return None
    return found.st_dev, found.st_ino


def exited_within(process: subprocess.Popen[bytes], seconds: float) -> bool:
    """Wait up to `seconds` for the process to end, without polling (a pidfd on Linux)."""
    if process.poll() is not None:  # ended (and reaped) already
        return True
    if hasattr(os, "pidfd_open"):
        fd = os.pidfd_open(process.pid)
        try:
            select.select([fd], [], [], max(seconds, 0))
        finally:
            os.close(fd)
        return process.poll() is not None
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=seconds)
    return process.poll() is not None


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL, process groups")
def test_a_build_killed_at_any_moment_leaves_the_old_or_the_new_site(tmp_path: Path) -> None:
    began = time.perf_counter()
    a, b = two_versions(tmp_path)
    output = tmp_path / "site" / "out"
    output.parent.mkdir()
    sites: dict[Path, Manifest | None] = {}
    for content in (b, a):
        build(content, output, now=dt.datetime.fromisoformat(NOW))
        sites[content] = manifest(output)
    assert sites[a] != sites[b] and "teemad/uus-teema/index.html" in (sites[b] or {})
    assert "teemad/uus-teema/index.html" not in (sites[a] or {})
    assert beside(output) == []

    # How long a whole build and its writing phase take, from builds that ran to the end:
    # first a few uninterrupted ones, then every build that finished before its kill, so the
    # delays follow the machine's speed (and its load) as the test goes on.
    wholes: list[float] = []
    windows: list[float] = []
    rng = random.Random(SEED)
    counts: Counter[str] = Counter()
    current = a
    for trial in range(-4, KILLS):
        calibrating = trial < 0
        target = b if current == a else a
        kind = rng.random()
        during_writing = calibrating or kind < 0.4
        after_exchange = not calibrating and kind >= 0.8
        if calibrating:
            delay = 60.0
        elif during_writing:
            delay = rng.uniform(0, statistics.median(windows[-9:]))
        else:
            delay = 0 if after_exchange else rng.uniform(0, statistics.median(wholes[-9:]))
        old_output = identity(output)
        started = time.perf_counter()
        process = subprocess.Popen(
            command(target, output), stdout=subprocess.DEVNULL, start_new_session=True
        )
        began_writing = False
        if during_writing:
            while process.poll() is None and not began_writing:
                began_writing = scratch_of(output, process.pid)
                time.sleep(0.0002)
        elif after_exchange:  # the new site is in place; its records are being written
            while process.poll() is None and identity(output) == old_output:
                time.sleep(0.0002)
        writing = time.perf_counter()
        if exited_within(process, delay):
            assert process.returncode == 0
            wholes.append(time.perf_counter() - started)
            if during_writing:
                windows.append(time.perf_counter() - writing)
            counts["finished before the kill"] += not calibrating
        else:
            os.killpg(process.pid, signal.SIGKILL)
            counts["killed"] += 1
            if began_writing or scratch_of(output, process.pid):
                counts["killed while writing or swapping"] += 1
        process.wait()

        found = manifest(output)
        assert found in (sites[current], sites[target]), "a mixed or missing output folder"
        if process.returncode == 0:  # a build that ran to its end leaves the new site
            assert found == sites[target], (trial, time.perf_counter() - started)
        ended = "new" if found == sites[target] else "old"
        current = target if ended == "new" else current
        assert all(SCRATCH.fullmatch(name) for name in beside(output)), beside(output)
        if calibrating:
            assert ended == "new" and beside(output) == []
            continue
        counts[f"ended {ended}"] += 1
        if process.returncode == -signal.SIGKILL:
            counts[f"killed, ended {ended}"] += 1
        if beside(output):
            counts["left scratch folders"] += 1

        if rng.random() < 0.5:  # the next build succeeds and cleans up
            current = rng.choice((a, b))
            build(current, output, now=dt.datetime.fromisoformat(NOW))
            assert manifest(output) == sites[current]
            assert beside(output) == []

    build(a, output, now=dt.datetime.fromisoformat(NOW))
    assert manifest(output) == sites[a] and beside(output) == []
    elapsed = time.perf_counter() - began
    print(
        f"\n{KILLS} builds, seed {SEED}; a build {statistics.median(wholes):.3f} s, "
        f"writing {statistics.median(windows):.3f} s (medians): "
        + ", ".join(f"{key} {value}" for key, value in sorted(counts.items()))
        + f"; {elapsed:.1f} s in all"
    )
    assert counts["killed"] >= KILLS * 0.5
    assert counts["killed while writing or swapping"] >= KILLS * 0.2
    assert counts["killed, ended old"] >= 1 and counts["killed, ended new"] >= 1


@pytest.fixture(params=[False, True], ids=["", "hashed-aside"])
def aside(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Also with every file hashed and written on the writer's helper thread, as a big site's
    calendar feeds are in the preview."""
    if request.param:
        monkeypatch.setattr(write, "HASH_ASIDE_FROM", 0)


def files_of(output: Path) -> set[str]:
    return {p.relative_to(output).as_posix() for p in output.rglob("*") if p.is_file()}


def test_no_up_to_date_record_vouches_for_a_site_it_did_not_see_built(tmp_path: Path) -> None:
    """The output folder and its spare take turns holding the site, so the folder's identity
    alone cannot tell which site it holds: builds stopped after the exchange and before
    `build.py` wrote its record (here: builds without the command line) must not let the
    old record pass the other site off as up to date. The kill test above found this."""
    a, b = two_versions(tmp_path)
    output = tmp_path / "out"
    run = partial(subprocess.run, capture_output=True, text=True, check=True)
    assert "Valmis" in run(command(a, output)).stdout
    # The same site again, into the spare, as after a killed build whose trees' records
    # were lost; then the other site, back into the very folder the record names.
    (uptodate.state_folder(output) / write._STATE).unlink()
    build(a, output, now=dt.datetime.fromisoformat(NOW))
    build(b, output, now=dt.datetime.fromisoformat(NOW))
    assert "Valmis" in run(command(a, output)).stdout
    build(a, tmp_path / "reference", now=dt.datetime.fromisoformat(NOW))
    assert manifest(output) == manifest(tmp_path / "reference")
    assert "Muudatusi pole" in run(command(a, output)).stdout


def test_files_of_deleted_content_disappear(tmp_path: Path) -> None:
    output = tmp_path / "out"
    write.write_site({"a/index.html": b"a", "b.ics": b"b"}, output)
    (output / "stray.txt").write_bytes(b"put there by hand")
    write.write_site({"a/index.html": b"A"}, output)
    assert files_of(output) == {"a/index.html"}
    assert (output / "a/index.html").read_bytes() == b"A"


def test_a_rebuild_writes_only_the_files_that_changed(tmp_path: Path) -> None:
    """The spare tree's record is checked against the files (size, time) on every command-line
    build: a record taken wrongly would make each build delete and write the site again."""
    output = tmp_path / "out"
    site = {f"p{n}/index.html": b"x" * (100 + n) for n in range(50)} | {"kalender.ics": b"c"}
    assert write.write_site(site, output) == 51  # new: the output folder
    assert write.write_site(site | {"p1/index.html": b"one"}, output) == 51  # the spare, whole
    # The spare is the first site now: this one differs from it in two files.
    assert write.write_site(site | {"p1/index.html": b"one", "p2/index.html": b"two"}, output) == 2
    assert write.write_site(site | {"p1/index.html": b"one", "p2/index.html": b"two"}, output) == 0
    assert (output / "p2/index.html").read_bytes() == b"two"


@pytest.mark.parametrize("kept", [False, True], ids=["command-line", "preview"])
def test_a_file_given_in_parts_is_the_file_given_whole(
    tmp_path: Path, aside: None, kept: bool
) -> None:
    """The big calendar feeds reach the writer in parts (write.Joined, a month each): the
    file written is their bytes joined, and the next build, given the same bytes whole or
    in other parts, writes nothing."""
    output, memory = tmp_path / "out", write.Kept() if kept else None
    months = [b"BEGIN:VCALENDAR\r\n", "õ".encode() * 300_000, b"", b"END:VCALENDAR\r\n"]
    whole = b"".join(months)
    site: dict[str, write.Data] = {"kalender.ics": write.Joined(months), "a.html": b"a"}
    assert write.write_site(site, output, kept=memory) == 2
    assert (output / "kalender.ics").read_bytes() == whole
    write.write_site({"kalender.ics": whole, "a.html": b"a"}, output, kept=memory)  # the spare
    assert (output / "kalender.ics").read_bytes() == whole
    again: dict[str, write.Data] = {"kalender.ics": write.Joined([whole[:7], whole[7:]])}
    again["a.html"] = b"a"
    assert write.write_site(again, output, kept=memory) == 0
    assert (output / "kalender.ics").read_bytes() == whole


def test_the_preview_given_the_same_parts_again_keeps_both_trees_right(
    tmp_path: Path, aside: None
) -> None:
    """The preview's writer takes a part it was given last time (the very same mapping, from
    a memo) whole, trusting its record of both trees: after the output folder and the spare
    have been swapped, and after a failed build changed the spare, the site must still be
    exactly what was given."""
    output, kept = tmp_path / "out", write.Kept()
    a = {"a/1.ics": b"one", "a/2.ics": b"two"}
    b, b2 = {"b/1.ics": b"b"}, {"b/1.ics": b"b, edited"}

    def build(*parts: dict[str, bytes]) -> int:
        with write.Writer(output, trusted=True, kept=kept) as writer:
            for part in parts:
                writer.add(part)
            written = writer.commit()
        assert manifest(output) == manifest_of({k: v for part in parts for k, v in part.items()})
        return written

    build(a, b)
    build(a, b2)
    assert build(a, b) == 0  # the spare held this site: swapped back in
    assert build(a, b2) == 0
    with pytest.raises(BuildError), write.Writer(output, trusted=True, kept=kept) as writer:
        writer.add({"a/1.ics": b"a failed build's", "a/2.ics": b"two"})
        # Reading a file given makes the waiting parts (Writer.add) reach the spare.
        assert writer.read("a/1.ics") == b"a failed build's"
        raise BuildError("a broken link")
    assert build(a, b) == 1  # a/1.ics again (the spare holds b: the site two builds ago)


def test_the_preview_writes_the_one_part_that_changed_among_many(
    tmp_path: Path, aside: None
) -> None:
    """The preview's writer takes parts a batch at a time (write.BATCH): a part edited,
    removed or added among a hundred others changes just its files, and every tree it
    swaps in is exactly the site given."""
    output, kept = tmp_path / "out", write.Kept()

    def page(n: int, text: str = "") -> dict[str, bytes]:
        return {f"p{n}/index.html": f"page {n}{text}".encode(), f"p{n}/x.ics": b"ics %d" % n}

    def build(parts: list[dict[str, bytes]]) -> int:
        with write.Writer(output, trusted=True, kept=kept) as writer:
            for part in parts:
                writer.add(part, "lehed")
            written = writer.commit()
        assert manifest(output) == manifest_of({k: v for p in parts for k, v in p.items()})
        return written

    def edit(parts: list[dict[str, bytes]], n: int) -> list[dict[str, bytes]]:
        return [*parts[:n], {**parts[n], f"p{n}/index.html": b"edited"}, *parts[n + 1 :]]

    site = [page(n) for n in range(3 * write.BATCH + 5)]
    assert build(site) == 2 * len(site)
    site = edit(site, 40)
    assert build(site) == 2 * len(site)  # the spare, whole
    site = edit(site, 41)
    assert build(site) == 2  # p41/index.html, and p40's, which the spare had not
    site = edit(site, 70)
    assert build(site) == 2
    assert build(site) == 0
    site = site[:7] + site[8:]  # a programme deleted: the batches after it shift
    assert build(site) == 1 and not (output / "p7").exists()  # p70/index.html
    assert build([*site, page(1000)]) == 2


def test_the_previews_own_folder_keeps_its_trees_records_in_memory(tmp_path: Path) -> None:
    """The preview's output folder is its own (Kept.private): the records of its trees are
    not written. Another process that builds into the folder anyway cannot read them, so it
    writes the whole site, and gets it right."""
    output, kept = tmp_path / "out", write.Kept(private=True)
    for text in (b"one", b"two", b"three", b"two"):
        write.write_site({"a.html": text, "b.ics": b"b"}, output, trusted=True, kept=kept)
        assert (output / "a.html").read_bytes() == text
    assert not list(uptodate.state_folder(output).glob("tree-*"))
    another = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from pathlib import Path; from koosloome_site import write; "
            "print(write.write_site({'a.html': b'four', 'b.ics': b'b'}, Path(sys.argv[1])))",
            str(output),
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert another.stdout.strip() == "2", "the trees were unknown to it: written whole"
    assert manifest(output) == manifest_of({"a.html": b"four", "b.ics": b"b"})


def test_the_preview_still_refuses_two_files_on_one_path(tmp_path: Path, aside: None) -> None:
    output, kept = tmp_path / "out", write.Kept()
    part = {"a/index.html": b"a"}
    write.write_site(part, output, trusted=True, kept=kept)
    with pytest.raises(BuildError, match="macOS"), write.Writer(output, True, kept) as writer:
        writer.add(part)  # taken whole
        writer.add({"A/index.html": b"A"})
        writer.commit()
    assert manifest(output) == manifest_of(part)
    with pytest.raises(BuildError, match="samal teel"), write.Writer(output, True, kept) as writer:
        writer.add(part)
        writer.add({"b.ics": b"b", "a/index.html": b"a again"})  # file by file
        writer.commit()
    with pytest.raises(BuildError, match="samal teel"), write.Writer(output, True, kept) as writer:
        writer.add({"a/index.html": b"a again"})
        writer.add(part)  # taken whole
        writer.commit()
    assert manifest(output) == manifest_of(part)


def manifest_of(files: dict[str, bytes]) -> Manifest:
    return {name: hashlib.sha256(data).hexdigest() for name, data in sorted(files.items())}


def test_files_a_child_wrote_for_a_build_that_failed_are_not_trusted_later(
    tmp_path: Path, aside: None
) -> None:
    """A forked child writes its part of the site into the spare itself. If the build fails
    before the parent takes the child's account of it, the spare's record is out of date:
    the next build must not trust it, even in the preview, which does not check the files."""
    output = tmp_path / "out"
    write.write_site({"a.ics": b"old", "x.html": b"x"}, output)
    write.write_site({"a.ics": b"changed", "x.html": b"x"}, output)  # the spare: the first

    def child_part(writer: write.Writer) -> object:
        writer.add({"a.ics": b"from the child"})
        return writer.handover()

    kept = write.Kept()  # the preview's writer (it hashes big files aside)
    with pytest.raises(BuildError), write.Writer(output, trusted=True, kept=kept) as writer:
        result = background.start(partial(child_part, writer), worth_it=True)
        assert result() is not None, "the part was made in a child process"
        raise BuildError("a broken link, found before the child's part was taken")
    write.write_site({"a.ics": b"old", "x.html": b"x"}, output, trusted=True)
    assert (output / "a.ics").read_bytes() == b"old"


def test_a_child_hands_its_files_over_in_parts_and_each_counts_once(tmp_path: Path) -> None:
    """What a child wrote arrives in parts, each with only its own files; taken together they
    give the site and the count of files written that one process would have."""
    site = {"index.html": b"home", "kept.html": b"same", "a.ics": b"new", "b.ics": b"b"}
    counts = []
    for output, in_child in ((tmp_path / "alone", False), (tmp_path / "shared", True)):
        write.write_site({"kept.html": b"same", "a.ics": b"old"}, output)
        write.write_site({"kept.html": b"same", "a.ics": b"old"}, output)  # the spare: same

        def child_parts(writer: write.Writer) -> list[dict[str, Any] | None]:
            writer.add({"kept.html": b"same"})  # in the spare as it is: not written
            first = writer.handover()
            writer.add({"a.ics": b"new", "b.ics": b"b"})
            second = writer.handover()
            return [first, second, writer.handover()]  # the last with nothing new

        with write.Writer(output) as writer:
            writer.add({"index.html": b"home"})
            answer = background.start(partial(child_parts, writer), worth_it=in_child)()
            parts = [part for part in answer if part is not None]
            if in_child:
                assert [sorted(part["digests"]) for part in parts] == [
                    ["kept.html"],
                    ["a.ics", "b.ics"],
                    [],
                ]
                assert [part["written"] for part in parts] == [0, 2, 0]
            writer.adopt(parts)
            counts.append(writer.commit())
        assert manifest(output) == manifest_of(site)
        assert not list(uptodate.state_folder(output).glob("writing-*"))
    assert counts[0] == counts[1], "files written by one process, and by two"


def test_scratch_folders_of_killed_builds_are_removed_and_nothing_else(tmp_path: Path) -> None:
    output = tmp_path / "out"
    write.write_site({"index.html": b"old"}, output)
    leftovers = [".out.new-123-0a1b2c3d", ".out.old-123-0a1b2c3d", ".out.new-99"]
    kept = [".out.new-x", "out.new-1", ".other.new-1", ".out.new-1-junk", "content"]
    for name in leftovers + kept:
        (tmp_path / name / "deep").mkdir(parents=True)
        (tmp_path / name / "deep" / "page.html").write_bytes(b"x")
    (tmp_path / ".out.old-7").write_bytes(b"a file, not a scratch folder")
    write.write_site({"index.html": b"new"}, output)
    assert (output / "index.html").read_bytes() == b"new"
    assert beside(output) == sorted([*kept, ".out.old-7"])


@pytest.mark.skipif(sys.platform == "win32", reason="flock")
def test_a_scratch_folder_in_use_by_another_build_is_left_alone(tmp_path: Path) -> None:
    output = tmp_path / "out"
    busy = tmp_path / ".out.new-1-00000000"
    busy.mkdir()
    other_build = write._locked(busy, wait=False)  # as a running build holds its own
    assert other_build is not None
    try:
        write.write_site({"index.html": b"new"}, output)
        assert busy.is_dir()
    finally:
        os.close(other_build)
    write.write_site({"index.html": b"newer"}, output)
    assert not busy.exists()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="renameat2 is Linux only")
def test_linux_swaps_the_folders_in_one_step(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    output = tmp_path / "out"
    write.write_site({"index.html": b"old"}, output)
    renames: list[tuple[str, str]] = []
    real_rename = Path.rename

    def spy(self: Path, target: Path) -> Path:
        renames.append((self.name, Path(target).name))
        return real_rename(self, target)

    monkeypatch.setattr(Path, "rename", spy)
    write.write_site({"index.html": b"new"}, output)
    assert renames == [], "the two-rename fallback was used"
    assert (output / "index.html").read_bytes() == b"new" and beside(output) == []


def test_without_an_atomic_exchange_the_two_renames_still_give_the_new_site(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    output = tmp_path / "out"
    write.write_site({"index.html": b"old", "gone.html": b"x"}, output)
    monkeypatch.setattr(write, "_exchange", lambda a, b: False)
    write.write_site({"index.html": b"new"}, output)
    assert files_of(output) == {"index.html"} and beside(output) == []


@pytest.mark.parametrize(
    ("site", "says"),
    [
        ({"a/index.html": b"a", "a": b"file"}, "vajab kausta"),  # a file where a folder goes
        ({"a": b"file", "a/b/index.html": b"b"}, "vajab kausta"),  # two folders deep
        ({"a/index.html": b"a", "A/Index.html": b"A"}, "macOS"),  # one file on macOS
        ({"x/index.html": b"x", "x/./index.html": b"again"}, "samal teel"),  # the same file
    ],
)
def test_paths_that_clash_are_refused_by_a_one_off_build(
    tmp_path: Path, site: dict[str, bytes], says: str
) -> None:
    output = tmp_path / "out"
    write.write_site({"index.html": b"old"}, output)
    with pytest.raises(BuildError, match=says):
        write.write_site(site, output)
    assert files_of(output) == {"index.html"}


def test_a_failed_write_leaves_the_old_site_and_no_scratch(tmp_path: Path) -> None:
    output = tmp_path / "out"
    write.write_site({"index.html": b"old"}, output)
    with pytest.raises(BuildError, match="keelatud väljunditee"):
        write.write_site({"index.html": b"new", "../escape.html": b"x"}, output)
    assert (output / "index.html").read_bytes() == b"old" and beside(output) == []


def test_a_write_that_fails_halfway_leaves_the_old_site_and_no_scratch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    output = tmp_path / "out"
    write.write_site({"index.html": b"old"}, output)
    real_write = write._write_file

    def disk_full(path: str, data: bytes) -> os.stat_result:
        if path.endswith("/b.html"):
            raise OSError(28, "No space left on device")
        return real_write(path, data)

    monkeypatch.setattr(write, "_write_file", disk_full)
    with pytest.raises(OSError, match="No space"):
        write.write_site({"a.html": b"new", "b.html": b"new", "index.html": b"new"}, output)
    assert files_of(output) == {"index.html"} and beside(output) == []


def test_a_file_written_over_a_longer_or_shorter_one_holds_exactly_the_new_bytes(
    tmp_path: Path,
) -> None:
    """The writer writes over a file's old bytes and cuts it to length afterwards (no
    truncation first): whatever was there, the file is the new bytes, and the size and time
    it records are the file's."""
    path = tmp_path / "feed.ics"
    for data in (b"x" * 10_000, b"short", b"", b"y" * 20_000, b"z" * 19_999):
        stat = write._write_file(str(path), data)
        assert path.read_bytes() == data
        assert (stat.st_size, stat.st_mtime_ns) == (path.stat().st_size, path.stat().st_mtime_ns)
