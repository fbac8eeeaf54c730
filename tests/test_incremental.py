"""Every way of building gives the same files as a clean serial build.

A content folder in git (the rich fixture site plus copies of one programme, enough sessions
for the calendars to be made on the second core) goes through a series of edits an editor
makes: a session retitled, a session moved to another day, a programme deleted, a programme
file renamed, a topic added and used, a commit, a template changed, nothing changed, and time
moving past a session's end.
After each step the site is built

- clean and serial: a new output folder, no memo, everything in this process (the reference);
- clean and parallel: a new output folder, half of the programme files read and the
  calendars made in forked children;
- incrementally in this process, as the preview does: one output folder and one memo kept
  across all the steps;
- by `build.py` as an editor runs it: one output folder across the steps, with its state
  folder (spare tree, cached content, up-to-date record), run twice, the second time finding
  nothing to do;

and every output folder's SHA-256 manifest must equal the reference's. Files of deleted or
renamed sources must be gone from the incremental outputs, which the manifests show.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import pytest
from watchdog.events import (
    DirModifiedEvent,
    DirMovedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileOpenedEvent,
)
from watchdog.observers import Observer

from koosloome_site import background, pages, pipeline, render, serve, urls, validate, write
from koosloome_site.errors import BuildError
from koosloome_site.memo import BuildMemo, Memo
from koosloome_site.model import Programme
from tests.conftest import ROOT, build_py, git, manifest

RICH = ROOT / "tests" / "rich_site" / "content"
NOW = dt.datetime.fromisoformat("2027-01-14T18:00:00+02:00")  # an info day, 17.00-18.30
COPIES = 30  # of one programme: 30 x 13 sessions, over pipeline.PARALLEL_FROM_SESSIONS
WHEN = "2026-11-01T10:00:00+02:00"


def make_content(root: Path) -> Path:
    content = root / "content"
    shutil.copytree(RICH, content)
    programme = (content / "programmes" / "rannakulade-labor-2027.yaml").read_text("utf-8")
    for n in range(COPIES):
        (content / "programmes" / f"koopia-{n:02d}.yaml").write_text(
            programme.replace("Rannakülade labor 2027", f"Koopia {n}", 1), "utf-8"
        )
    git(content, "init", "-q", when=WHEN)
    git(content, "add", "-A", when=WHEN)
    git(content, "commit", "-qm", "algus", when=WHEN)
    return content


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), "utf-8")


Step = Callable[[Path, Path], None]  # (content, templates)


def retitle_session(content: Path, templates: Path) -> None:
    edit(content / "programmes" / "koopia-03.yaml", "Toetuse taotlused", "Toetuste taotlused")


def move_session(content: Path, templates: Path) -> None:
    """A session moved to another day: its place in the site's and topics' feeds changes."""
    edit(content / "programmes" / "koopia-05.yaml", 'date: "2027-03-15"', 'date: "2027-02-01"')


def delete_programme(content: Path, templates: Path) -> None:
    (content / "programmes" / "koopia-07.yaml").unlink()


def rename_programme(content: Path, templates: Path) -> None:
    (content / "programmes" / "koopia-08.yaml").rename(content / "programmes" / "uus-nimi.yaml")


def add_topic(content: Path, templates: Path) -> None:
    (content / "topics" / "uus-teema.yaml").write_text("title: Uus teema\n", "utf-8")
    edit(content / "programmes" / "koopia-04.yaml", "topics:\n", "topics:\n  - uus-teema\n")


def commit(content: Path, templates: Path) -> None:
    git(content, "add", "-A", when="2026-11-20T10:00:00+02:00")
    git(content, "commit", "-qm", "muudatused", when="2026-11-20T10:00:00+02:00")


def change_template(content: Path, templates: Path) -> None:
    edit(templates / "base.html", "</footer>", "<!-- uus --></footer>")


def nothing(content: Path, templates: Path) -> None:
    pass


def only_hidden_files(content: Path, templates: Path) -> None:
    """What the loader skips: an editor's swap file, git's own files (HEAD stays)."""
    (content / "programmes" / ".koopia-01.yaml.swp").write_bytes(b"\0vim swap")
    (content / ".git" / "description").write_text("Sisu\n", "utf-8")


LATER = dt.datetime.fromisoformat("2027-01-14T19:00:00+02:00")  # it has ended, same day
STEPS: list[tuple[str, Step, dt.datetime]] = [
    ("initial", nothing, NOW),
    ("retitle a session", retitle_session, NOW),
    ("move a session", move_session, NOW),
    ("delete a programme", delete_programme, NOW),
    ("rename a programme file", rename_programme, NOW),
    ("add and use a topic", add_topic, NOW),
    ("commit", commit, NOW),
    ("nothing", only_hidden_files, NOW),
    ("time passes a session's end", nothing, LATER),
    ("change a template", change_template, LATER),  # last: build.py uses the project's
]


def test_parallel_incremental_cached_and_no_op_builds_equal_a_clean_serial_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, forks: list[bool]
) -> None:
    forked = forks
    # The child hands its files and pages' links over in parts as it goes: many parts here.
    monkeypatch.setattr(pipeline, "PAGES_SENT_TOGETHER", 2)
    content = make_content(tmp_path)
    templates = tmp_path / "templates"
    shutil.copytree(pipeline.TEMPLATES, templates)
    memo = BuildMemo()
    warm, cli = tmp_path / "warm" / "out", tmp_path / "cli" / "out"
    for number, (name, step, now) in enumerate(STEPS):
        step(content, templates)

        def clean(
            parallel: bool,
            search: bool = True,
            number: int = number,
            now: dt.datetime = now,
            name: str = name,
        ) -> dict[str, str]:
            out = tmp_path / f"clean-{number}-{parallel}" / "out"
            sessions = files = 0 if parallel else 10**9
            monkeypatch.setattr(pipeline, "PARALLEL_FROM_SESSIONS", sessions)
            monkeypatch.setattr(validate, "PARALLEL_FROM_FILES", files)
            forked.clear()
            pipeline.build(content, out, now=now, templates_dir=templates, search_index=search)
            # loading (half of the programme files; a serial build does not ask) and,
            # without the search index, the calendars (with it, they are made while Pagefind
            # makes the index)
            expected = [True] * parallel + [parallel and not search]
            assert forked == expected, f"{name}: parallel={parallel} but forked={forked}"
            found = manifest(out)
            shutil.rmtree(out.parent)
            return found

        reference = clean(parallel=False)
        assert clean(parallel=True) == reference, f"{name}: the parallel build differs"
        # Without the search index the child also renders a share of the pages.
        without_index = {k: v for k, v in reference.items() if not k.startswith("pagefind/")}
        assert clean(parallel=True, search=False) == without_index, f"{name}: pages differ"

        monkeypatch.setattr(pipeline, "PARALLEL_FROM_SESSIONS", 300)
        monkeypatch.setattr(validate, "PARALLEL_FROM_FILES", 200)
        pipeline.build(content, warm, now=now, templates_dir=templates, memo=memo)
        assert manifest(warm) == reference, f"{name}: the incremental build differs"

        if step is change_template:
            continue  # build.py builds with the project's templates
        options = ["--content", str(content), "--output", str(cli), "--now", now.isoformat()]
        first = build_py(*options, cwd=tmp_path)
        assert first.returncode == 0, first.stderr
        if name == "nothing":
            assert "Muudatusi pole" in first.stdout, f"{name}: build.py built again"
        else:
            assert "Valmis" in first.stdout, f"{name}: build.py found nothing to do"
        assert manifest(cli) == reference, f"{name}: build.py's build differs"
        again = build_py(*options, cwd=tmp_path)
        assert again.returncode == 0 and "Muudatusi pole" in again.stdout, again.stdout
        assert manifest(cli) == reference, f"{name}: the no-op build changed something"

    for site in (warm, cli):
        files = manifest(site)
        assert not any(path.startswith("programmid/koopia-07/") for path in files)
        assert not any(path.startswith("programmid/koopia-08/") for path in files)
        assert "programmid/uus-nimi/index.html" in files


@pytest.mark.parametrize("sent_together", [1, 1000])
def test_a_broken_link_on_a_page_the_other_core_rendered_fails_the_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, forks: list[bool], sent_together: int
) -> None:
    """The child renders programme pages from the last one back and sends their links over
    in parts (or all at its end): a broken link on any of them is found as on the others,
    and the output folder is left as it was."""
    content = make_content(tmp_path)
    last = content / "programmes" / f"koopia-{COPIES - 1:02d}.yaml"
    edit(last, "description: |\n", "description: |\n  Vaata [kava](/puudub/).\n\n")
    monkeypatch.setattr(pipeline, "PARALLEL_FROM_SESSIONS", 0)
    monkeypatch.setattr(pipeline, "PAGES_SENT_TOGETHER", sent_together)
    out = tmp_path / "out"
    with pytest.raises(BuildError) as error:
        pipeline.build(content, out, now=NOW, search_index=False)
    assert "koopia-29.yaml:9: lehel /programmid/koopia-29/: link /puudub/" in str(error.value)
    assert forks[-1], "the calendars and the last programmes' pages were made in a child"
    assert not out.exists()


def test_the_preview_checks_links_against_the_site_as_it_is_after_a_rename(
    tmp_path: Path,
) -> None:
    """A renamed programme file moves its pages to new paths and leaves the site as many
    files as before: a link to its old page, on a page that did not change, must fail the
    preview's next build, whose link check takes the last site's files as they were only
    when the paths are the same."""
    content = make_content(tmp_path)
    edit(
        content / "programmes" / "koopia-01.yaml",
        "description: |\n",
        "description: |\n  Vaata ka [koopiat](/programmid/koopia-02/).\n\n",
    )
    memo, out = BuildMemo(), tmp_path / "out"
    pipeline.build(content, out, now=NOW, memo=memo, search_index=False)
    pipeline.build(content, out, now=NOW, memo=memo, search_index=False)
    before = manifest(out)
    (content / "programmes" / "koopia-02.yaml").rename(content / "programmes" / "uus.yaml")
    with pytest.raises(BuildError) as error:
        pipeline.build(content, out, now=NOW, memo=memo, search_index=False)
    assert "lehel /programmid/koopia-01/: link /programmid/koopia-02/" in str(error.value)
    assert manifest(out) == before


@pytest.mark.parametrize("copies", [None, 40], ids=["whole", "stopped"])
def test_the_preview_fills_its_spare_between_builds_and_builds_what_a_clean_build_does(
    tmp_path: Path, copies: int | None
) -> None:
    """Between builds the preview copies into the writer's spare tree what it lacks of the
    site (write.fill_spare), so that a rebuild, the first one too, writes only the files
    that changed, not the whole site. Filled whole or stopped after a few files (a save
    came), every step's output must be what a clean build makes."""
    content = make_content(tmp_path)
    templates = tmp_path / "templates"
    shutil.copytree(pipeline.TEMPLATES, templates)
    memo, out = BuildMemo(), tmp_path / "preview" / "site"
    memo.writer.private = True  # as serve.Preview's
    spare = out.parent / f".{out.name}.koosloome" / "spare"
    before: dict[str, str] = {}
    for name, step, now in STEPS:
        step(content, templates)
        report = pipeline.build(
            content,
            out,
            now=now,
            templates_dir=templates,
            memo=memo,
            search_index=False,
            trusted_output=True,
        )
        reference = tmp_path / "clean" / "out"
        pipeline.build(content, reference, now=now, templates_dir=templates, search_index=False)
        after = manifest(out)
        assert after == manifest(reference), name
        shutil.rmtree(reference.parent)
        changed = [path for path, digest in after.items() if before.get(path) != digest]
        if before and copies is None:  # the spare was the last output folder's twin
            assert report.written == len(changed) < len(after) / 4, name

        copied: list[str] = []

        def stop(copied: list[str] = copied) -> bool:
            copied.append("")
            return copies is not None and len(copied) > copies

        in_spare = manifest(spare) if spare.exists() else {}
        whole = write.fill_spare(out, memo.writer, stop)
        assert whole == (copies is None or len(copied) <= copies), name
        if whole:
            assert manifest(spare) == after, name
        else:
            added = manifest(spare).items() - in_spare.items()
            assert copies is not None and 0 < len(added) <= copies, name
        before = after


def test_the_pages_rendered_on_the_other_core_are_kept_for_the_next_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, forks: list[bool]
) -> None:
    """The preview's first build forks: the other core renders a share of the programme
    pages, and they come back into the memo, so that the next build renders none of them
    again, just as it would not render again a page rendered here."""
    content = make_content(tmp_path)
    memo, out = BuildMemo(), tmp_path / "out"
    real_front = background.Shares.front

    def front_once_the_child_has_one(shares: background.Shares) -> Any:
        # Which process gets to a page first is a matter of timing: here, surely the child.
        deadline = time.monotonic() + 30
        while background._TAKEN.unpack_from(shares._taken)[1] == 0:
            assert time.monotonic() < deadline, "the child took no page"
            time.sleep(0.005)
        yield from real_front(shares)

    monkeypatch.setattr(background.Shares, "front", front_once_the_child_has_one)
    pipeline.build(content, out, now=NOW, memo=memo, search_index=False)
    monkeypatch.undo()
    assert forks[-1], "the calendars and a share of the pages were made in a child"
    rendered: list[str] = []
    real_render = render.render

    def spy(page: Any, env: Any) -> dict[str, bytes]:
        files = real_render(page, env)
        rendered.extend(files)
        return files

    monkeypatch.setattr(render, "render", spy)
    pipeline.build(content, out, now=NOW, memo=memo, search_index=False)
    assert rendered == []
    retitle_session(content, tmp_path)
    pipeline.build(content, out, now=NOW, memo=memo, search_index=False)
    programme_pages = [target for target in rendered if target.startswith("programmid/")]
    assert programme_pages == ["programmid/koopia-03/index.html"]


RANNAKULAD = "programmes/rannakulade-labor-2027.yaml"


def own_publisher(content: Path, templates: Path) -> None:
    """A publisher that no programme names (the rich site's programmes name theirs)."""
    (content / "organisations" / "valjaandja.yaml").write_text("name: Väljaandja Üks\n", "utf-8")
    edit(content / "site.yaml", "publisher: kogukondade-keskus", "publisher: valjaandja")


def replace_in(name: str, old: str, new: str) -> Step:
    return lambda content, _: edit(content / name, old, new)


def noted_later(content: Path, templates: Path) -> None:
    """A comment in a topic's file, saved on a later day: the topic is the same, but the
    pages of its programmes were "updated" then."""
    path = content / "topics" / "digitaalne-osalus.yaml"
    path.write_text(path.read_text("utf-8") + "# märkus toimetajale\n", "utf-8")
    later = dt.datetime.fromisoformat("2027-01-20T10:00:00+02:00").timestamp()
    os.utime(path, (later, later))


# One edit to each kind of thing a page can show, in the preview's memo (drafts shown).
EDITS: dict[str, Step] = {
    "site title": replace_in("site.yaml", "Kogukondade Koosloome Keskus", "KKK"),
    "site address": replace_in("site.yaml", "//naidis.", "//naidis2."),
    "publisher switched": replace_in(
        "site.yaml", "publisher: kogukondade-keskus", "publisher: zurii-ja-garaaz"
    ),
    # Every page's JSON-LD describes the publisher; a programme's page kept the old name
    # until 2026-11-26.
    "publisher no programme names, renamed": replace_in(
        "organisations/valjaandja.yaml", "Üks", "Kaks"
    ),
    "partner's address": replace_in("organisations/zurii-ja-garaaz.yaml", "/zurii", "/zurii2"),
    "team member's name": replace_in("people/jaan-sepp.yaml", "Šepp", "Sepp"),
    "topic's title": replace_in("topics/digitaalne-osalus.yaml", "digitaalne osalus", "digiosalus"),
    "topic made a draft": replace_in(
        "topics/digitaalne-osalus.yaml", "title:", "draft: true\ntitle:"
    ),
    "programme made a draft": replace_in(RANNAKULAD, "title:", "draft: true\ntitle:"),
    "programme published later": replace_in(
        RANNAKULAD, "title:", 'publish_date: "2027-02-01"\ntitle:'
    ),
    "topics reordered": replace_in(
        RANNAKULAD,
        "  - saarte-ja-rannakulad\n  - kogukonna-kaasamine\n",
        "  - kogukonna-kaasamine\n  - saarte-ja-rannakulad\n",
    ),
    "group renamed": replace_in(RANNAKULAD, "Päevane grupp", "Hommikune grupp"),
    "a note in a topic's file, a day later": noted_later,
    "the next day": nothing,
    "a month later": nothing,
}
BEFORE_EDIT = {"publisher no programme names, renamed": own_publisher}
BUILT_AT = {
    "the next day": dt.datetime.fromisoformat("2027-01-15T09:00:00+02:00"),
    "a month later": dt.datetime.fromisoformat("2027-02-20T09:00:00+02:00"),
}


@pytest.mark.parametrize("name", EDITS)
def test_the_preview_after_any_kind_of_edit_builds_what_a_clean_build_does(
    tmp_path: Path, name: str
) -> None:
    """Whatever file an editor changes (or however time passes), the preview's next build
    equals a clean one: no page keeps what its memo key left out."""
    step, now = EDITS[name], BUILT_AT.get(name, NOW)
    content, templates = tmp_path / "content", ROOT / "templates"
    shutil.copytree(RICH, content)
    if name in BEFORE_EDIT:
        BEFORE_EDIT[name](content, templates)
    memo, kept = BuildMemo(), tmp_path / "kept"
    pipeline.build(content, kept, now=NOW, memo=memo, search_index=False, drafts=True)
    step(content, templates)
    pipeline.build(content, kept, now=now, memo=memo, search_index=False, drafts=True)
    clean = tmp_path / "clean"
    pipeline.build(content, clean, now=now, search_index=False, drafts=True)
    assert manifest(kept) == manifest(clean)


def slugs_in(stage: Memo[Any], name: str) -> set[str]:
    """The programmes of a pass over all of them (Memo.each): its first column."""
    last = stage.last(name)
    assert last is not None, name
    return {programme.slug for programme in cast(tuple[Programme, ...], last[0][0])}


def test_the_preview_forgets_what_a_deleted_programme_made(tmp_path: Path) -> None:
    """A preview runs for hours: what a deleted programme made must not stay in its memo:
    neither what its file gave nor its page, nor its row in the passes over all programmes
    (Memo.each)."""
    content = make_content(tmp_path)
    memo, out = BuildMemo(), tmp_path / "out"
    pipeline.build(content, out, now=NOW, memo=memo, search_index=False)
    pipeline.build(content, out, now=NOW, memo=memo, search_index=False)
    passes = [(memo.pages, "pages"), (memo.pages, "listings"), (memo.events, "programmes")]
    passes += [(memo.revisions, "programmes"), (memo.site, "timelines"), (memo.site, "atom")]
    for stage, name in passes:
        assert "koopia-07" in slugs_in(stage, name), name
    page = urls.programme("koopia-07")
    assert page in pages_rendered(memo)
    assert "koopia-07" in files_read(memo)
    delete_programme(content, tmp_path)
    pipeline.build(content, out, now=NOW, memo=memo, search_index=False)
    assert "koopia-07" not in files_read(memo)
    for stage, name in passes:
        assert "koopia-07" not in slugs_in(stage, name), name
    assert page not in pages_rendered(memo)


def files_read(memo: BuildMemo) -> set[str]:
    """The programme files whose findings the loader's memo keeps, by name."""
    last = memo.loaded.last(("programmes", str(Path.cwd())))
    assert last is not None
    return {path.stem for path in cast(dict[Path, Any], last[1])}


def pages_rendered(memo: BuildMemo) -> set[str]:
    """The addresses of the pages whose HTML the memo keeps (a pass over all pages)."""
    last = memo.rendered.last("pages")
    assert last is not None
    return {page.path for page in cast(tuple[pages.Page, ...], last[0][0])}


def test_the_preview_told_what_its_watcher_saw_builds_what_a_full_check_builds(
    tmp_path: Path,
) -> None:
    """The preview tells each rebuild which files its watcher saw change, and the loader asks
    the file system about those only. Through every editing step, with a real watcher on the
    content and the templates, that must build exactly what checking every file builds."""
    content = make_content(tmp_path)
    templates = tmp_path / "templates"
    shutil.copytree(pipeline.TEMPLATES, templates)
    changes = serve._Changes(threading.Event())
    observer = Observer()
    for folder in (content, templates):
        observer.schedule(changes, str(folder), recursive=True)
    observer.start()
    told, checked = BuildMemo(), BuildMemo()
    try:
        for name, step, now in STEPS:
            changes.changed.clear()
            step(content, templates)
            if step not in (nothing, commit):  # wait for the watcher, as the preview does
                assert changes.changed.wait(10), f"{name}: the watcher saw nothing"
                time.sleep(serve.DEBOUNCE_SECONDS)
            touched = changes.take()
            if step in (retitle_session, move_session, delete_programme, rename_programme):
                assert touched is not None, f"{name}: a file saved is not a folder"
                assert {Path(p).name for p in touched} & {
                    "koopia-03.yaml",
                    "koopia-05.yaml",
                    "koopia-07.yaml",
                    "koopia-08.yaml",
                    "uus-nimi.yaml",
                }, f"{name}: {touched}"
            for memo, out, given in ((told, "told", touched), (checked, "checked", None)):
                pipeline.build(
                    content,
                    tmp_path / out,
                    now=now,
                    templates_dir=templates,
                    memo=memo,
                    search_index=False,
                    touched=given,
                )
            assert manifest(tmp_path / "told") == manifest(tmp_path / "checked"), name
    finally:
        observer.stop()
        observer.join()


def test_the_preview_after_a_failed_build_shows_what_its_watcher_told_that_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A build can fail before it reads the files its watcher told it of (here the output
    folder is refused), and the watcher forgets them once told: the next build, told of
    another file only, must show the first edit too."""
    content = make_content(tmp_path)
    preview = serve.Preview(content, port=0, now=NOW)
    try:
        preview.build()
        retitle_session(content, tmp_path)  # koopia-03
        real_check = write.check_output_folder

        def refused(*_: object) -> None:
            raise BuildError("väljundkaust ei ole kasutatav")

        monkeypatch.setattr(write, "check_output_folder", refused)
        preview.build(frozenset({str(content / "programmes" / "koopia-03.yaml")}))
        assert preview.state.error is not None
        monkeypatch.setattr(write, "check_output_folder", real_check)
        move_session(content, tmp_path)  # koopia-05
        preview.build(frozenset({str(content / "programmes" / "koopia-05.yaml")}))
        assert preview.state.error is None
        page = preview.state.output / urls.programme("koopia-03") / "index.html"
        assert "Toetuste taotlused" in page.read_text("utf-8")
    finally:
        preview.stop()


def test_the_watchers_account_names_files_and_gives_up_on_whole_folders() -> None:
    changes = serve._Changes(threading.Event())
    changes.on_any_event(FileModifiedEvent("/c/programmes/a.yaml"))
    changes.on_any_event(FileMovedEvent("/c/programmes/.a.yaml.tmp", "/c/programmes/b.yaml"))
    changes.on_any_event(DirModifiedEvent("/c/programmes"))  # comes with the files' events
    changes.on_any_event(FileOpenedEvent("/c/topics/x.yaml"))  # read, not changed
    assert changes.changed.is_set()
    assert changes.take() == frozenset(
        {
            "/c/programmes/a.yaml",
            "/c/programmes/.a.yaml.tmp",
            "/c/programmes/b.yaml",
        }
    )
    assert changes.take() == frozenset(), "taken once"
    changes.on_any_event(FileDeletedEvent("/c/people/x.yaml"))
    changes.on_any_event(DirMovedEvent("/c/old", "/c/people"))  # files no event names
    assert changes.take() is None, "a folder moved in: every file is to be checked"
    assert changes.take() == frozenset()


def test_a_saved_file_named_by_its_real_path_is_still_seen(tmp_path: Path) -> None:
    """Watchers on some systems name files by their real path (macOS: /private/var/... for
    /var/...); the content folder here is reached through a symbolic link."""
    real = make_content(tmp_path)
    content = tmp_path / "through-a-link"
    content.symlink_to(real)
    memo, out = BuildMemo(), tmp_path / "out"
    pipeline.build(content, out, now=NOW, memo=memo, search_index=False)
    retitle_session(content, tmp_path)
    saved = real.resolve() / "programmes" / "koopia-03.yaml"
    pipeline.build(content, out, now=NOW, memo=memo, search_index=False, touched={str(saved)})
    assert "Toetuste taotlused" in (out / "programmid" / "koopia-03" / "index.html").read_text()


def test_the_month_overview_made_again_from_the_last_equals_one_made_anew() -> None:
    """pages.overview, given the last overview, redoes only the months of the programmes
    whose entries changed: after random edits (sessions moved to other months, dates
    dropped, programmes with nothing ahead) it is what a fresh overview is, months in order."""
    import random

    from koosloome_site import pages

    rng = random.Random(6)
    months = [(2027, m) for m in range(1, 13)] + [None]

    def entries(n: int) -> list[tuple[tuple[int, int] | None, pages.OverviewEntry]]:
        chosen = sorted(rng.sample(months, rng.randint(0, 4)), key=lambda m: (m is None, m))
        return [(m, pages.OverviewEntry(f"p{n}", f"/p{n}/", "Tulemas", [])) for m in chosen]

    now = tuple(entries(n) for n in range(60))
    made = pages.overview(now)
    for step in range(40):
        before, last = now, made
        edited = list(now)
        for place in rng.sample(range(len(edited)), rng.randint(1, 5)):
            edited[place] = entries(1000 + step)
        now = tuple(edited)
        made = pages.overview(now, (before, last))
        fresh = pages.overview(now)
        assert made == fresh and list(made) == list(fresh)
        assert all(m.entries for m in made.values())


def test_pages_the_preview_keeps_hold_no_old_version_of_an_edited_programme(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A programme's page is kept from build to build while the programme is unchanged; it
    must not keep the whole content of the build that made it, with every other programme
    as it was then: edited again and again in a long preview, old versions piled up."""
    import gc
    import weakref

    content = make_content(tmp_path)
    loaded: list[Any] = []

    def load_content(*args: Any) -> Any:
        loaded.append(validate.load_content(*args))
        return loaded[-1]

    monkeypatch.setattr(pipeline, "load_content", load_content)
    memo = BuildMemo()
    output = tmp_path / "out"
    edited = content / "programmes" / "koopia-03.yaml"
    versions = []
    for step in range(4):
        if step:
            edit(edited, "Koopia 3", f"Koopia 3.{step}")
        pipeline.build(content, output, now=NOW, memo=memo, trusted_output=True)
        versions.append(
            weakref.ref(next(p for p in loaded[-1].programmes if "Koopia 3" in p.title))
        )
        loaded.clear()
    gc.collect()
    assert [version() is not None for version in versions] == [False, False, False, True]
