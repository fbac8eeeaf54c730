"""Path safety: no content file name or session id can put a file outside output/.

A slug (a content file's name, a session id) becomes part of output paths: `programmid/<slug>/`,
`teemad/<slug>/kalender.ics`, `programmid/<slug>/toimumine-<session id>.ics`. Validation
accepts only `[a-z0-9]+(-[a-z0-9]+)*` of at most 100 characters that is not a Windows device
name, so a slug is never `..`, never has `/`, `\\`, NUL, percent escapes, look-alike Unicode
or capitals, and two slugs never differ only in case or Unicode form.

12,000 names from a seeded generator (fragments such as `..`, `/`, `\\`, NUL, `%2e%2e`,
Windows device names, full-width and Cyrillic look-alikes, NFC and NFD letters, zero-width and
bidi characters, leading dots, mixed case, very long runs) go through the real code at three
levels, not through 12,000 builds:

- as file names in content/programmes/ and content/topics/ (every one the file system can
  hold is created), read by the validator's folder scan: each is accepted as a slug or
  reported with the file's path, line 1, column 1; only dot-files and READMEs are skipped,
  by design;
- as session ids in programme files: accepted, or a located error at `sessions[i].id`;
- every accepted slug through urls.py and write.py's guards (`_safe`, `merge_outputs`, which
  also refuses two paths differing only in case or Unicode form): the paths stay inside the
  output folder.

A Hypothesis property checks the same for arbitrary text.
"""

from __future__ import annotations

import os
import random
import unicodedata
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from koosloome_site import urls, write
from koosloome_site.errors import ContentError, Diagnostic
from koosloome_site.fields import SLUG, SLUG_MAX, WINDOWS_DEVICES
from koosloome_site.validate import _discover, _Reader, load_content
from tests.sitekit import FILES
from tests.test_hostile_content import q

NAMES = 12_000
SEED = 20_240_601
NAME_MAX = 255  # bytes in one file name (ext4, tmpfs, xfs, btrfs)

FRAGMENTS = [
    *("..", ".", "/", "\\", "\x00", "%2e%2e", "%2E%2E", "%2f", "%5c", "%00", "..%2f", "..\\"),
    *("~", " ", "\t", "\n", "\r", ":", "*", "?", "<", ">", "|", '"', "'", "`", "$", "&", "#"),
    *(d.upper() for d in WINDOWS_DEVICES),
    *WINDOWS_DEVICES,
    *("con.txt", "Con", "nul.yaml", "com10", "lpt", "conin$", "clock$"),
    *("demo", "Demo", "DEMO", "dEmO", "koosloome", "infopaev", "a", "z", "0", "9", "2023"),
    *("-", "--", "_", " -", "- "),
    *("é", "e\u0301", "É", "E\u0301", "õ", "o\u0303", "ä", "a\u0308", "š", "s\u030c"),
    *("ｄｅｍｏ", "dеmo", "ԁemo", "\u0131", "\u0130", "\u212a", "ß", "ẞ", "ﬁ", "ǅ", "Ⅸ"),
    *("\u200b", "\u200d", "\u202e", "\u2066", "\ufeff", "\u00a0", "\u3000", "\u2028"),
    *("：", "．", "／", "∕", "⁄", "＼", "﹒", "。", "‥", "…"),
    *(".git", ".yaml", ".YAML", ".yml", ".yaml.", "index.html", "kalender.ics", "😀", "🏳️‍🌈"),
]
SUFFIXES = [".yaml"] * 14 + [
    ".YAML",
    ".Yaml",
    ".yml",
    "",
    ".yaml.",
    ".yaml ",
    ".yaml\x00",
    "/x.yaml",
]


def generated_names(count: int = NAMES, seed: int = SEED) -> list[str]:
    """File names, distinct, from the seeded generator."""
    rng = random.Random(seed)
    names: dict[str, None] = {}
    while len(names) < count:
        roll = rng.random()
        if roll < 0.05:  # very long: around and over the slug limit and the file name limit
            stem = rng.choice(["a", "ab-", "é", "-", "x1"]) * rng.randint(40, 300)
        elif roll < 0.25:  # near misses of a valid slug
            stem = "-".join(rng.choice(["demo", "koosloome", "2023", "a1"]) for _ in range(3))
            at = rng.randrange(len(stem) + 1)
            stem = stem[:at] + rng.choice(FRAGMENTS) + stem[at:]
        else:
            stem = "".join(rng.choice(FRAGMENTS) for _ in range(rng.randint(1, 6)))
        if rng.random() < 0.08:
            stem = "." + stem
        names[stem + rng.choice(SUFFIXES)] = None
    return list(names)


def creatable(name: str) -> bool:
    return (
        "/" not in name
        and "\x00" not in name
        and name not in ("", ".", "..")
        and len(name.encode("utf-8")) <= NAME_MAX
    )


def skipped_by_design(name: str) -> bool:
    """validate._discover leaves out dot-files (editors' swap files, .DS_Store) and READMEs."""
    return name.startswith(".") or name.lower().startswith("readme")


def session_id(name: str) -> str:
    """A generated file name as a session id: its stem, when it has the usual suffix."""
    return name.removesuffix(".yaml")


def located(d: Diagnostic) -> bool:
    return bool(d.position.path) and d.position.line >= 1 and d.position.column >= 1


def output_paths(slug: str, session_id: str = "infopaev") -> list[str]:
    return [
        urls.output_file(urls.programme(slug)),
        urls.programme_feed(slug),
        urls.output_file(urls.topic(slug)),
        urls.topic_feed(slug),
        urls.session_event(slug, session_id),
        urls.session_event("demo", slug),
    ]


def assert_inside_output(paths: Iterable[str], output: Path) -> None:
    """Through write.py's own guards, and resolved against a real folder."""
    paths = sorted(set(paths))
    merged = write.merge_outputs({"": dict.fromkeys(paths, b"")})  # no collisions, even folded
    assert len(merged) == len(paths)
    for path in paths:
        safe = write._safe(path)
        assert not safe.is_absolute() and ".." not in safe.parts, path
        assert all(part.isascii() and part == part.lower() for part in safe.parts), path
        assert all(len(part.encode()) <= NAME_MAX for part in safe.parts), path
        resolved = (output / safe).resolve()
        assert resolved.is_relative_to(output.resolve()), path


def test_the_generator_covers_the_families() -> None:
    names = generated_names()
    assert len(names) == NAMES
    joined = "\n".join(names)
    for piece in ("..", "/", "\\", "\x00", "%2e%2e", "CON", "nul", "\u0301", "ｄｅｍｏ", "dеmo"):
        assert piece in joined, piece
    assert any(len(n) > 255 for n in names) and any(n.startswith(".") for n in names)
    assert sum(1 for n in names if SLUG.fullmatch(n.removesuffix(".yaml"))) > 100


def test_generated_file_names_are_slugs_or_located_errors(tmp_path: Path) -> None:
    names = generated_names()
    root = tmp_path / "content"
    created: dict[Path, str] = {}
    for n, name in enumerate(names):
        if not creatable(name):
            # The file system cannot hold it, so no folder listing can yield it; a stem like
            # it is not a slug either.
            assert not SLUG.fullmatch(name.removesuffix(".yaml")), name
            continue
        folder = root / ("programmes" if n % 2 else "topics")
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / name
        if path.exists():  # the same name in the other spelling of the same folder
            continue
        path.write_text("title: x\n", encoding="utf-8")
        created[path] = name
    reader = _Reader()
    found = _discover(reader, root)
    accepted = {path for files in found.values() for stem, path in files}
    assert all(stem == path.stem for files in found.values() for stem, path in files)
    reported = {d.position.path: d for d in reader.problems.items}
    counts = {"accepted": 0, "refused": 0, "skipped": 0}
    for path, name in created.items():
        shown = reader.display(path)
        if path in accepted:
            counts["accepted"] += 1
            assert SLUG.fullmatch(path.stem) and path.suffix == ".yaml", name
        elif shown in reported:
            counts["refused"] += 1
            d = reported[shown]
            assert located(d) and d.field == "fail", d.format()
            suggestion = d.hint.removeprefix("nimeta fail ümber: ").removesuffix(".yaml")
            if d.message.startswith("failinimi"):  # the suggested name is a valid slug itself
                assert SLUG.fullmatch(suggestion) or suggestion == "nimi", d.format()
        else:
            counts["skipped"] += 1
            assert skipped_by_design(name), name
    stems = [path.stem for path in accepted]
    assert_inside_output((p for stem in stems for p in output_paths(stem)), tmp_path / "out")
    print(
        f"\n{len(names)} generated names, {len(created)} created as files: "
        f"{counts['accepted']} accepted as slugs, {counts['refused']} refused with a located "
        f"error, {counts['skipped']} skipped by design (dot-files, READMEs); "
        f"{len(names) - len(created)} the file system cannot hold"
    )
    assert counts["accepted"] > 50 and counts["refused"] > 5_000


def test_generated_session_ids_are_slugs_or_located_errors(tmp_path: Path) -> None:
    names = generated_names()
    per_file = 1_000
    files: dict[str, str | None] = dict(FILES)
    for start in range(0, len(names), per_file):
        lines = [
            "title: Tunnused",
            "summary: Kokkuvõte.",
            'period: {start: "2023-03", end: "2023-05"}',
            "sessions:",
        ]
        for name in names[start : start + per_file]:
            lines += [f"  - id: {q(session_id(name))}", "    kind: other"]
        files[f"programmes/p{start // per_file}.yaml"] = "\n".join(lines) + "\n"
    root = tmp_path / "content"
    for name, text in files.items():
        assert text is not None
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        load_content(root)
    refused: dict[tuple[str, int], Diagnostic] = {}
    for d in caught.value.diagnostics:
        assert located(d), d.format()
        file = Path(d.position.path).stem
        assert d.field.startswith("sessions[") and d.field.endswith("].id"), d.format()
        refused.setdefault((file, int(d.field[len("sessions[") : -len("].id")])), d)
    accepted = []
    for n, name in enumerate(names):
        file, index = f"p{n // per_file}", n % per_file
        diagnostic = refused.get((file, index))
        if diagnostic is None:  # values are read without surrounding white space
            assert SLUG.fullmatch(session_id(name).strip()), name
            accepted.append(session_id(name).strip())
        else:
            assert diagnostic.position.line == 5 + 2 * index, diagnostic.format()
    assert_inside_output((urls.session_event("demo", a) for a in accepted), tmp_path / "out")
    print(
        f"\n{len(names)} generated session ids: {len(accepted)} accepted, "
        f"{len(names) - len(accepted)} refused, each at its sessions[i].id line and column"
    )


@settings(max_examples=int(os.environ.get("PATH_EXAMPLES", "2000")), deadline=None, database=None)
@given(
    st.one_of(
        st.text(),
        st.from_regex(r"[a-z0-9]{1,60}(-[a-z0-9]{1,20}){0,4}", fullmatch=True),
        st.text(alphabet="aA-./\\\x00%2eé\u0301cnoul1", max_size=12),
    )
)
def test_accepted_text_stays_inside_the_output(text: str) -> None:
    if not SLUG.fullmatch(text):
        assert (
            text in WINDOWS_DEVICES
            or len(text) > SLUG_MAX
            or not text
            or any(not (c.isascii() and (c.islower() or c.isdigit() or c == "-")) for c in text)
            or text.startswith("-")
            or text.endswith("-")
            or "--" in text
        ), text
        return
    assert len(text) <= SLUG_MAX and text not in WINDOWS_DEVICES
    for path in output_paths(text):
        safe = write._safe(path)
        assert ".." not in safe.parts and not safe.is_absolute()
        assert PurePosixPath(path).parts == safe.parts
        assert all(unicodedata.normalize("NFKC", part).casefold() == part for part in safe.parts)


def test_names_differing_only_in_case_or_unicode_form_cannot_both_be_accepted(
    tmp_path: Path,
) -> None:
    nfc, nfd = "kohvik-caf\u00e9", "kohvik-cafe\u0301"
    assert nfc != nfd and unicodedata.normalize("NFC", nfd) == nfc
    files: dict[str, str | None] = {
        "programmes/Demo.yaml": FILES["programmes/demo.yaml"],
        "programmes/demo.YAML": FILES["programmes/demo.yaml"],
        f"topics/{nfc}.yaml": "title: NFC\n",
        f"topics/{nfd}.yaml": "title: NFD\n",
        "topics/KOOSLOOME.yaml": "title: Suurtähtedega\n",
        "topics/con.yaml": "title: Seade\n",
    }
    root = tmp_path / "content"
    for name, text in {**FILES, **files}.items():
        assert text is not None
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        load_content(root)
    by_file = {Path(d.position.path).name: d for d in caught.value.diagnostics}
    for name in ("Demo.yaml", "demo.YAML", f"{nfc}.yaml", f"{nfd}.yaml", "KOOSLOOME.yaml"):
        assert name in by_file and located(by_file[name]), sorted(by_file)
    assert "con-1.yaml" in by_file["con.yaml"].hint
    assert by_file[f"{nfc}.yaml"].hint == "nimeta fail ümber: kohvik-cafe.yaml"
    assert set(by_file) == {
        "Demo.yaml",
        "demo.YAML",
        f"{nfc}.yaml",
        f"{nfd}.yaml",
        "KOOSLOOME.yaml",
        "con.yaml",
    }, sorted(by_file)  # demo.yaml and koosloome.yaml, the only slugs, are accepted


def test_session_ids_differing_only_in_case_cannot_both_be_accepted(tmp_path: Path) -> None:
    programme = FILES["programmes/demo.yaml"].replace("id: tahtaeg", "id: Infopaev")
    root = tmp_path / "content"
    for name, text in {**FILES, "programmes/demo.yaml": programme}.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        load_content(root)
    [d] = caught.value.diagnostics
    assert (d.position.line, d.position.column, d.field) == (23, 9, "sessions[1].id")
    assert "nt 'infopaev'" in d.hint
