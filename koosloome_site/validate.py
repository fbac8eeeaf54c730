"""Load and validate a content folder into the model, reporting every problem at once.

Layout of a content folder:
    site.yaml                      site title, base URL, language, time zone
    programmes/<slug>.yaml         one programme with its sessions
    topics/<slug>.yaml             one topic, referenced from programmes by slug
    people/<slug>.yaml             one person
    organisations/<slug>.yaml      one organisation
The file name is the slug, so a slug is never written twice and never disagrees.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import time
from collections.abc import Callable, Collection, Hashable
from dataclasses import dataclass, replace
from functools import partial
from itertools import chain, repeat
from operator import is_not, itemgetter
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from . import background
from .dates import PartialDate, format_day, format_time
from .errors import ContentError, Diagnostic, Position
from .fields import SLUG, Fields, Problems, did_you_mean, slugify
from .history import blob_id
from .memo import Memo
from .messages import msg
from .model import (
    SUMMER_TIME_RULES_SINCE,
    TIMEZONE,
    Audience,
    Contact,
    Content,
    Cost,
    Link,
    Online,
    Organisation,
    Person,
    Place,
    Places,
    Programme,
    Session,
    Signature,
    SiteConfig,
    TeamMember,
    TeamSize,
    Topic,
)
from .model import (
    signature as file_signature,
)
from .spec import KINDS, SESSION
from .yamlsrc import MAX_BYTES, Mapping, Node, Scalar, parse, too_large

T = TypeVar("T")
FOLDERS = ("programmes", "topics", "people", "organisations")


@dataclass(frozen=True)
class Reference:
    """A slug naming an entity in another file, checked once everything is read."""

    folder: str
    slug: str
    position: Position
    field: str


class _Reader:
    """State of one validation run: the problems found and the references to check."""

    def __init__(self) -> None:
        self.problems = Problems()
        self.references: list[Reference] = []
        # Each file's git blob id, from the bytes read (history.py and revisions.py compare
        # it with git's instead of reading the file again).
        self.blob_ids: dict[Path, str] = {}

    def display(self, path: Path) -> str:
        """Paths as the editor typed them: relative to the working directory when inside it."""
        try:
            return os.path.relpath(path)
        except ValueError:  # pragma: no cover - another drive on Windows
            return str(path)

    def display_file(self, path: Path) -> str:
        """`display` of a file (so never a folder the working directory is in), its folder
        worked out once for all its files (`os.path.relpath` is Python: 0.5% of a big
        build)."""
        folder = _shown_folder(str(path.parent), os.getcwd())  # noqa: PTH109 - a str
        if folder is None:  # pragma: no cover - another drive on Windows
            return str(path)
        return path.name if folder == os.curdir else os.path.join(folder, path.name)  # noqa: PTH118

    def parse_file(self, path: Path) -> Node | None:
        shown = self.display_file(path)
        try:
            # Never more than the limit into memory: a content file is a few KiB, and a
            # huge one (a video saved as .yaml) is reported without being read.
            with path.open("rb") as file:
                data = file.read(MAX_BYTES + 1)
                size = os.fstat(file.fileno()).st_size
        except OSError as error:
            self.problems.add(
                Position(shown),
                "fail",
                msg("faili ei saa lugeda ({reason})", reason=error.strerror or error),
                msg("kontrolli, et see on tavaline fail ja sul on lugemisõigus"),
            )
            return None
        if len(data) > MAX_BYTES:
            self.problems.add(Position(shown), "fail", *too_large(max(size, len(data))))
            return None
        self.blob_ids[path] = blob_id(data)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as error:
            before = data[: error.start]
            line_start = before.rfind(b"\n") + 1
            column = len(before[line_start:].decode("utf-8", "replace")) + 1
            self.problems.add(
                Position(shown, before.count(b"\n") + 1, column),
                "fail",
                msg("fail ei ole UTF-8 kodeeringus"),
                msg("salvesta fail UTF-8 kodeeringus"),
            )
            return None
        node = parse(text, shown, self.problems.items)
        if node is None and not any(d.position.path == shown for d in self.problems.items):
            self.problems.add(
                Position(shown),
                "fail",
                msg("fail on tühi"),
                msg("kirjuta faili vähemalt kohustuslikud väljad"),
            )
        return node

    def refer(self, fields: Fields, key: str, folder: str, slug: str | None) -> str | None:
        if slug is not None:
            self.references.append(Reference(folder, slug, fields.where(key), fields.path(key)))
        return slug

    def refer_all(self, fields: Fields, key: str, folder: str) -> tuple[str, ...]:
        found = fields.slugs(key)
        self.references += [Reference(folder, slug, pos, field) for slug, pos, field in found]
        return tuple(slug for slug, _, _ in found)


@functools.lru_cache(maxsize=256)
def _shown_folder(folder: str, cwd: str) -> str | None:
    """`folder` relative to `cwd` (None when it cannot be: another drive on Windows)."""
    try:
        return os.path.relpath(folder, cwd)
    except ValueError:  # pragma: no cover - another drive on Windows
        return None


PARALLEL_FROM_FILES = 200  # programme files; below this a second process costs more than it saves
SENT_TOGETHER = 10  # programme files whose results the loading child sends at once


def load_content(
    root: Path,
    memo: Memo[Any] | None = None,
    touched: Collection[str] | None = None,
    meanwhile: Callable[[], object] | None = None,
) -> Content:
    """Read and validate everything under `root`; raise ContentError listing all problems.
    With a `memo`, a file whose size and times are those of the last build is not read
    again: its entity (the very same object), problems and references are reused.
    `touched` (with a `memo`): the only files that can have changed since the last build
    with it, as the preview's file watcher saw them; the others are not even asked for
    their size and times. None: any file can have changed. `meanwhile()`, work that needs no
    content, is done while the other core reads (before reading, without one)."""
    reader = _Reader()
    signatures: dict[Path, Signature] = {}
    cwd = str(Path.cwd())  # problems name files relative to it
    files = _listed(reader, root, memo, cwd)
    dirty = None if touched is None or memo is None else _inside(root, touched)

    def read(path: Path, load: Callable[[_Reader], Any], last: _Found | None) -> _Found:
        """What a file gives now: `load` with a reader of its own, or what it gave the last
        build (`last`) when its size and times are still the same."""
        try:
            signature = file_signature(path.stat())
        except OSError:
            signature = None
        if signature is not None and last is not None and last[3] == signature:
            return last
        own = _Reader()
        entity = load(own)
        return entity, own.problems.items, own.references, signature, own.blob_ids.get(path)

    def account(found: dict[Path, _Found], paths: list[Path]) -> list[Any]:
        """What the files gave, into this build's account; their entities, in order. (In C:
        a rebuild takes a thousand files' findings as they are.)"""
        in_order = list(map(found.__getitem__, paths))
        reader.problems.items.extend(chain.from_iterable(map(_PROBLEMS, in_order)))
        reader.references.extend(chain.from_iterable(map(_REFERENCES, in_order)))
        signatures.update(zip(paths, map(_SIGNATURE, in_order), strict=True))
        reader.blob_ids.update(zip(paths, map(_BLOB, in_order), strict=True))
        return list(map(_ENTITY, in_order))

    config = None
    if root.is_dir():
        site = root / "site.yaml"
        last = memo.last(("site", cwd)) if memo is not None else None
        last_site = None if last is None else last[1].get(site)
        found_site = {site: read(site, partial(_site_config, path=site), last_site)}
        _remember(memo, ("site", cwd), (), found_site)
        config = account(found_site, [site])[0]

    def load_all(
        folder: str,
        build: Callable[[_Reader, Fields, str, Path], T],
        meanwhile: Callable[[], object] | None = None,
    ) -> dict[str, T]:
        """The folder's entities by slug, each file read (`read`) except, in the preview,
        the files its watcher did not see change: their findings are the last build's, taken
        in C while the folder holds the same files. A big site's programme files are read on
        both cores the first time. `meanwhile()`: work to do while the other core reads."""
        listed = files[folder]
        paths = list(map(_PATH, listed))
        key = (folder, cwd)
        last = memo.last(key) if memo is not None else None
        before: dict[Path, _Found] = {} if last is None else last[1]

        def one(path: Path) -> _Found:
            slug = _slug(path)

            def load(reader: _Reader) -> T | None:
                node = reader.parse_file(path)
                if node is None:
                    return None
                return build(reader, Fields(reader.problems, node, "", KINDS[folder]), slug, path)

            return read(path, load, before.get(path))

        found: dict[Path, _Found]
        if meanwhile is not None and len(paths) >= PARALLEL_FROM_FILES and not memo:
            found = dict(zip(paths, _on_both_cores(paths, one, meanwhile), strict=True))
        else:
            if meanwhile is not None:
                meanwhile()
            if dirty is not None and last is not None and last[0] == (listed,):  # same files
                found = before
                if edited := dirty & before.keys():
                    found = before | {path: one(path) for path in edited}
            elif dirty is not None and last is not None:  # some added or deleted
                found = {
                    path: before[path] if path in before and path not in dirty else one(path)
                    for path in paths
                }
            else:
                found = {path: one(path) for path in paths}
        _remember(memo, key, (listed,), found)
        entities = dict(zip(map(_STEM, listed), account(found, paths), strict=True))
        if not all(map(is_not, entities.values(), repeat(None))):  # (then the build fails)
            entities = {slug: entity for slug, entity in entities.items() if entity is not None}
        return entities

    def same(folder: str, found: dict[str, T]) -> dict[str, T]:
        """The last build's very dict when it holds the very same entities: later stages
        can tell by identity that nothing in it changed."""
        if memo is None:
            return found
        kept: dict[str, T] = memo.get(folder, tuple(found.values()), tuple(found), lambda: found)
        return kept

    topics = same("topics", load_all("topics", _topic))
    people = same("people", load_all("people", _person))
    organisations = same("organisations", load_all("organisations", _organisation))
    # (a `meanwhile`, even none: this folder may be read on both cores)
    programmes = load_all("programmes", _programme, meanwhile or (lambda: None))

    # Resolve against the files found, not the ones that loaded: a broken file is reported
    # once, as itself, not again at every reference to it.
    existing = {folder: set(map(_STEM, listed)) for folder, listed in files.items()}
    refs = reader.references
    unresolved = partial(_unresolved, refs, existing)
    if memo is not None and dirty is not None:  # the preview: the last build's answer while
        # the files and references are the same (compared in C: a rebuild's thousands of
        # references cost a tenth of resolving them again; not kept on disk)
        unresolved = partial(memo.get, "unresolved", (), (existing, refs), unresolved)
    for ref in unresolved():
        suggestion = did_you_mean(ref.slug, existing[ref.folder])
        reader.problems.add(
            ref.position,
            ref.field,
            msg("'{slug}' ei leidu kaustas {folder}/", slug=ref.slug, folder=ref.folder),
            suggestion
            or msg(
                "loo fail {folder}/{slug}.yaml või paranda tunnus",
                folder=ref.folder,
                slug=ref.slug,
            ),
        )
    if reader.problems.items or config is None:
        raise ContentError(reader.problems.items)
    return Content(
        config=config,
        programmes=tuple(programmes[slug] for slug in sorted(programmes)),
        topics=topics,
        people=people,
        organisations=organisations,
        signatures=signatures,
        blob_ids=reader.blob_ids,
    )


# What a file gives: its entity (None when unreadable), problems, references to other files,
# signature (size and times) and git blob id, as read.
_Found = tuple[Any, list[Diagnostic], list["Reference"], Signature | None, str | None]
_ENTITY, _PROBLEMS, _REFERENCES, _SIGNATURE, _BLOB = map(itemgetter, range(5))
_STEM, _PATH = itemgetter(0), itemgetter(1)


def _slug(path: Path) -> str:
    return os.path.splitext(path.name)[0]  # noqa: PTH122 - as _discover takes it


def _remember(
    memo: Memo[Any] | None, key: Hashable, objects: tuple[object, ...], found: dict[Path, _Found]
) -> None:
    if memo is not None:
        memo.put(key, objects, found)


def _on_both_cores(
    paths: list[Path], one: Callable[[Path], _Found], meanwhile: Callable[[], object]
) -> list[_Found]:
    """[one(path) for path in paths], shared with a forked child, each process taking the
    next file as it gets to it: this one from the first on (after `meanwhile()`), the child
    from the last back, so both finish together however the files and `meanwhile` weigh (a
    fixed share left one idle for 0.1-0.3 s at 1,000 files). The child sends what it found
    SENT_TOGETHER files at a time (each pickle names the classes again, and the other side
    looks them up again: one file at a time cost half as much again as one answer at the
    end), which this process takes in between its own files: pickled and unpickled at the
    end, the child's whole answer kept one core idle for 0.1 s."""
    shares = background.Shares(len(paths))
    outbox: background.Outbox[list[tuple[int, _Found]]] = background.Outbox()

    def from_the_back() -> None:
        made: list[tuple[int, _Found]] = []
        for i in shares.back():
            made.append((i, one(paths[i])))
            if len(made) == SENT_TOGETHER:
                outbox.send(made)
                made = []
        outbox.send(made)

    in_background = background.start(from_the_back, worth_it=True)
    meanwhile()
    found: list[_Found | None] = [None] * len(paths)
    for i in shares.front():
        found[i] = one(paths[i])
        for j, theirs in chain.from_iterable(outbox.arrived()):
            found[j] = _with_our_path(theirs, paths[j])
    in_background()
    for j, theirs in chain.from_iterable(outbox.arrived()):
        found[j] = _with_our_path(theirs, paths[j])
    return found  # type: ignore[return-value]  # every file's, by now


def _with_our_path(found: _Found, path: Path) -> _Found:
    """A file's findings from the child, its entity's source this process's very Path:
    every later look-up by it (the files' dates, the preview's memos) then finds it by
    identity, not by a comparison in Python."""
    entity = found[0]
    if entity is None or entity.source is path:
        return found
    return replace(entity, source=path), *found[1:]


def _unresolved(references: list[Reference], existing: dict[str, set[str]]) -> list[Reference]:
    """The references to entities with no file."""
    return [ref for ref in references if ref.slug not in existing[ref.folder]]


def _inside(root: Path, touched: Collection[str]) -> set[Path]:
    """The content files among `touched` (paths as a file watcher gives them), as the paths
    of the files found under `root`. Watchers on some systems give the real path (macOS:
    /private/var/... for /var/...), so that is tried too."""
    top, real = root.absolute(), root.resolve()
    found = set()
    for path in map(Path, touched):
        for given, under in ((path.absolute(), top), (path.resolve(), real)):
            if given.is_relative_to(under):
                found.add(root / given.relative_to(under))
                break  # not under `root` either way: a template
    return found


def _name(path: Path | os.DirEntry[str]) -> str:
    return path.name


_File = tuple[str, Path]  # a data file's name without .yaml (its slug), and its path

# The same Path object for a file build after build (the preview's): made once, and then
# compared by identity wherever it is a key.
_path = functools.lru_cache(maxsize=1 << 16)(Path)


def _listed(
    reader: _Reader, root: Path, memo: Memo[Any] | None, cwd: str
) -> dict[str, list[_File]]:
    """`_discover`, or with a memo its last answer (and problems) while no folder changed: a
    folder's time changes whenever a file is added to it, deleted or renamed. A folder
    changed in the last seconds is listed again, because its time may not show a change
    made within the same tick of the clock as the last listing (git's "racy" entries)."""
    if memo is None:
        return _discover(reader, root)
    signature: list[tuple[int, int, int] | None] = []
    for folder in (root, *(root / name for name in FOLDERS)):
        try:
            found = folder.stat()
        except OSError:
            signature.append(None)
            continue
        if time.time_ns() - found.st_mtime_ns < RACY_NS:
            return _discover(reader, root)
        signature.append((found.st_ino, found.st_mtime_ns, found.st_ctime_ns))

    def listing() -> tuple[dict[str, list[_File]], list[Diagnostic]]:
        before = len(reader.problems.items)
        return _discover(reader, root), reader.problems.items[before:]

    before = len(reader.problems.items)
    files: dict[str, list[_File]]
    files, problems = memo.get(("listing", str(root), cwd), (), signature, listing)
    if len(reader.problems.items) == before:  # reused
        reader.problems.items.extend(problems)
    return files


RACY_NS = 3 * 10**9


def _discover(reader: _Reader, root: Path) -> dict[str, list[_File]]:
    """The data files by folder; anything unexpected is reported, never silently ignored."""
    found: dict[str, list[_File]] = {folder: [] for folder in FOLDERS}
    if not root.is_dir():
        reader.problems.add(
            Position(reader.display(root)),
            "kaust",
            msg("sisukausta ei ole olemas"),
            msg("anna olemasolev kaust: --content KAUST"),
        )
        return found
    for entry in sorted(root.iterdir(), key=_name):
        if entry.name.startswith(".") or entry.name.lower().startswith("readme"):
            continue
        if entry.is_dir() and entry.name in FOLDERS:
            # By name (Paths compare slowly); the directory's entries know whether they are
            # files without asking the file system again.
            with os.scandir(entry) as listing:
                items = sorted(listing, key=_name)
            for item in items:
                stem, suffix = os.path.splitext(item.name)  # noqa: PTH122 (a string)
                # notes for editors (README.md) are allowed; readme-kursus.yaml is a programme
                readme = item.name.lower().startswith("readme") and suffix != ".yaml"
                if item.name.startswith(".") or readme:
                    continue
                path = _path(item.path)
                if suffix != ".yaml" or not item.is_file():
                    reader.problems.add(
                        Position(reader.display(path)),
                        "fail",
                        msg("ootamatu fail"),
                        msg("andmefailide nimi lõpeb .yaml"),
                    )
                elif not SLUG.fullmatch(stem):
                    reader.problems.add(
                        Position(reader.display(path)),
                        "fail",
                        msg(
                            "failinimi '{stem}' ei sobi tunnuseks (see on lehe aadressis)",
                            stem=path.stem,
                        ),
                        msg("nimeta fail ümber: {name}.yaml", name=slugify(path.stem) or "nimi"),
                    )
                else:
                    found[entry.name].append((stem, path))
        elif entry.name != "site.yaml":
            hint = did_you_mean(entry.name, (*FOLDERS, "site.yaml"))
            reader.problems.add(
                Position(reader.display(entry)),
                "fail",
                msg("ootamatu fail või kaust"),
                hint or msg("lubatud: site.yaml ja kaustad ") + ", ".join(FOLDERS),
            )
    return found


# The keys of each file kind (and of a session), for tests that generate content.
_KEYS = {**{kind: tuple(spec) for kind, spec in KINDS.items()}, "session": tuple(SESSION)}


def _site_config(reader: _Reader, path: Path) -> SiteConfig | None:
    if not path.is_file():
        reader.problems.add(
            Position(reader.display(path)),
            "fail",
            msg("saidi seadete fail puudub"),
            msg("loo fail site.yaml väljadega title, base_url, language, timezone"),
        )
        return None
    node = reader.parse_file(path)
    if node is None:
        return None
    f = Fields(reader.problems, node, "", KINDS["site"])
    title = f.text("title")
    base_url = f.url("base_url")
    # Wording is Estonian and the feeds carry Tallinn's VTIMEZONE: one of each, said plainly.
    language, timezone = f.choice("language"), f.choice("timezone")
    publisher = reader.refer(f, "publisher", "organisations", f.slug("publisher"))
    if title is None or base_url is None or language is None or timezone is None:
        return None
    return SiteConfig(
        title=title,
        description=f.text("description") or "",
        base_url=base_url if base_url.endswith("/") else base_url + "/",
        language=language,
        timezone=timezone,
        publisher=publisher,
        source=path,
    )


def _topic(reader: _Reader, f: Fields, slug: str, path: Path) -> Topic:
    title = f.text("title") or slug
    return Topic(slug, title, f.text("description") or "", path, bool(f.boolean("draft")))


def _person(reader: _Reader, f: Fields, slug: str, path: Path) -> Person:
    return Person(slug, f.text("name") or slug, path)


def _organisation(reader: _Reader, f: Fields, slug: str, path: Path) -> Organisation:
    return Organisation(slug, f.text("name") or slug, f.text("short_name"), f.url("url"), path)


def _link(f: Fields | None) -> Link | None:
    if f is None:
        return None
    label, url = f.text("label"), f.url("url")
    return Link(label, url) if label and url else None


def _programme(reader: _Reader, f: Fields, slug: str, path: Path) -> Programme:
    p = reader.problems
    period = f.sub("period")
    start = period.date("start") if period else None
    end = period.date("end") if period else None
    if period and start and end and end.last_day < start.first_day:
        period.error("end", msg("lõpp on enne algust"), msg("kontrolli alguse ja lõpu kuupäevi"))

    audience = None
    if a := f.sub("audience"):
        size = None
        if s := a.sub("team_size"):
            low, high = s.integer("min", minimum=1), s.integer("max", minimum=1)
            if low is None and high is None:
                s.error("min", msg("anna vähemalt üks: min või max"))
            elif low is not None and high is not None and high < low:
                s.error("max", msg("max on väiksem kui min"))
            size = TeamSize(low, high)
        audience = Audience(a.text("description") or "", size, a.text("team_composition"))

    places = None
    if pl := f.sub("places"):
        count, unit = pl.integer("count", minimum=1), pl.text("unit")
        if count is not None and unit is not None:
            places = Places(count, unit, bool(pl.boolean("up_to")))

    cost = None
    if c := f.sub("cost"):
        free = c.boolean("free")
        cost = Cost(bool(free), c.text("note"))

    team = []
    for m in f.each("team"):
        person = reader.refer(m, "person", "people", m.slug("person"))
        role = m.text("role")
        if person and role:
            team.append(TeamMember(person, role))

    contacts = []
    for m in f.each("contacts"):
        contact = Contact(
            purpose=m.text("purpose"),
            person=reader.refer(m, "person", "people", m.slug("person")),
            organisation=reader.refer(m, "organisation", "organisations", m.slug("organisation")),
            unit=m.text("unit"),
            phone=m.phone("phone"),
            email=m.email("email"),
        )
        if not (m.has("person") or m.has("organisation")):
            m.error(
                "person",
                msg("kontaktil puudub nii isik kui ka organisatsioon"),
                msg("lisa person: <tunnus> või organisation: <tunnus>"),
            )
        if not (m.has("phone") or m.has("email")):
            m.error(
                "email",
                msg("kontaktil puudub nii telefon kui ka e-post"),
                msg("lisa phone või email"),
            )
        contacts.append(contact)

    links = [_link(m) for m in f.each("links")]

    groups: dict[str, str] = {}
    if g := f.node("groups"):
        if isinstance(g, Mapping):
            gf = Fields(p, g, "groups", tuple(g.entries))
            for key in g.entries:
                label = gf.text(key, required=True)
                if not SLUG.fullmatch(key):
                    gf.error(
                        key,
                        msg("grupi tunnus {key!r} ei sobi", key=key),
                        msg("nt '{suggestion}'", suggestion=slugify(key)),
                    )
                elif label:
                    groups[key] = label
        else:
            f.error("groups", msg("ootasin kogumit kujul 'tunnus: nimi'"))

    # Drafts are validated like everything else: a broken draft fails the build too.
    draft = bool(f.boolean("draft"))
    publish_date = f.date("publish_date")
    if publish_date is not None and publish_date.day is None:
        f.error(
            "publish_date",
            msg("avaldamise kuupäev vajab täpset päeva"),
            msg('kirjuta kuupäev kujul AAAA-KK-PP, nt "{iso}-01"', iso=publish_date.iso),
        )
        publish_date = None

    sessions = []
    first_line: dict[str, int] = {}  # session id -> line where it is first used
    for fields in f.each("sessions"):
        session = _session(reader, fields, groups)
        if session is None:
            continue
        if session.id in first_line:
            fields.error(
                "id",
                msg("tunnus '{id}' on juba kasutusel", id=session.id),
                msg(
                    "sama tunnus on juba real {first_line}; iga toimumise tunnus peab olema erinev",
                    first_line=first_line[session.id],
                ),
            )
        else:
            first_line[session.id] = fields.where("id").line
        sessions.append(session)

    return Programme(
        slug=slug,
        title=f.text("title") or slug,
        summary=f.text("summary") or "",
        description=f.text("description") or "",
        start=start or _UNKNOWN,
        end=end or _UNKNOWN,
        audience=audience,
        places=places,
        cost=cost,
        format=f.text("format"),
        goals=f.texts("goals"),
        expectations=f.texts("expectations"),
        outcomes=f.texts("outcomes"),
        topics=reader.refer_all(f, "topics", "topics"),
        team=tuple(team),
        organisers=reader.refer_all(f, "organisers", "organisations"),
        partners=reader.refer_all(f, "partners", "organisations"),
        contacts=tuple(contacts),
        links=tuple(link for link in links if link),
        groups=groups,
        sessions=tuple(sessions),
        source=path,
        draft=draft,
        publish_date=publish_date.first_day if publish_date else None,
    )


def _session(reader: _Reader, f: Fields, groups: dict[str, str]) -> Session | None:
    session_id = f.slug("id")
    kind = f.choice("kind")
    date, end_date = f.date("date"), f.date("end_date")
    start_time, end_time = f.time("start_time"), f.time("end_time")
    bound = f.choice("deadline")
    status = f.choice("status") or "scheduled"

    if end_date and not date:
        f.error("end_date", msg("lõppkuupäev ilma alguskuupäevata"), msg("lisa ka date"))
    if date and end_date and end_date.last_day < date.first_day:
        f.error("end_date", msg("lõpp on enne algust"), msg("end_date peab olema hiljem kui date"))
    if (start_time or end_time) and (date.day is None if date else not f.has("date")):
        f.error(
            "start_time" if start_time else "end_time",
            msg("kellaaeg ilma päevata"),
            msg("kellaaeg on lubatud ainult koos täpse kuupäevaga (AAAA-KK-PP)"),
        )
    if end_time and not f.has("start_time"):
        f.error("end_time", msg("lõpuaeg ilma algusajata"), msg("lisa start_time"))
    if start_time and date and date.year < SUMMER_TIME_RULES_SINCE:
        f.error(
            "date",
            msg(
                "kellaajaga toimumine enne {year}. aastat",
                year=SUMMER_TIME_RULES_SINCE,
            ),
            msg(
                "kalendrite Tallinna ajavööndi reeglid algavad "
                "{year}. aastast; kontrolli aastat või jäta "
                "kellaaeg ära",
                year=SUMMER_TIME_RULES_SINCE,
            ),
        )
    elif date and date.day is not None:
        for key, day, time in (
            ("start_time", date.first_day, start_time),
            ("end_time", (end_date or date).first_day, end_time),
        ):
            if time and (problem := wall_clock_problem(day, time)):
                f.error(key, *problem)
    if start_time and end_time and end_time <= start_time and not end_date:
        f.error("end_time", msg("lõpuaeg ei ole pärast algusaega"), msg("kontrolli kellaaegu"))
    if kind == "deadline":
        if bound is None and not f.has("deadline"):
            f.error(
                "deadline",
                msg("tähtajal peab olema sõnastus"),
                msg('deadline: before ("enne 30. märtsi") või until ("kuni 30. märtsini")'),
            )
        if not f.has("date"):
            f.error("date", msg("tähtajal peab olema kuupäev"), msg("lisa date: AAAA-KK-PP"))
        elif date is not None and date.day is None:
            f.error(
                "date", msg("tähtaeg vajab täpset päeva"), msg("kirjuta kuupäev kujul AAAA-KK-PP")
            )
    elif kind is not None and f.has("deadline"):
        f.error("deadline", msg("deadline sobib ainult toimumisele, mille kind on deadline"))

    online = None
    if isinstance(f.node("online"), Scalar):  # `online: true` when the platform is not known
        online = Online(None, None) if f.boolean("online") else None
    elif o := f.sub("online"):
        online = Online(o.text("platform"), o.url("url"))
    place = None
    if pl := f.sub("place"):
        city = pl.text("city")
        place = Place(city, pl.text("venue"), pl.text("address")) if city else None
    if status == "moved_online" and not f.has("online"):
        f.error(
            "status",
            msg("veebi viidud toimumisel puudub veebikeskkond"),
            msg("lisa online: platform: Zoom (ja url)"),
        )

    group = f.text("group")
    if group is not None and group not in groups:
        f.error(
            "group",
            msg("gruppi '{group}' ei ole programmi groups all", group=group),
            did_you_mean(group, groups) or msg("lisa grupp programmi välja groups alla"),
        )
        group = None

    registration = _link(f.sub("registration"))
    if session_id is None or kind is None:
        return None
    return Session(
        id=session_id,
        kind=kind,
        title=f.text("title"),
        date=date,
        end_date=end_date,
        start_time=start_time,
        end_time=end_time,
        deadline=bound,
        online=online,
        place=place,
        group=group,
        status=status,
        registration=registration,
        notes=f.text("notes"),
    )


@functools.lru_cache(maxsize=4096)  # sessions share days
def clock_changes_on(day: dt.date) -> bool:
    """Whether the Tallinn clock is turned on `day` (it is at most once a day)."""
    zone = ZoneInfo(TIMEZONE)
    midnight, next_midnight = (
        dt.datetime.combine(d, dt.time(), zone) for d in (day, day + dt.timedelta(days=1))
    )
    return midnight.utcoffset() != next_midnight.utcoffset()


def wall_clock_problem(day: dt.date, time: dt.time) -> tuple[str, str] | None:
    """A Tallinn wall-clock time that calendars could not place exactly: one skipped when
    summer time begins, or one that happens twice when it ends. Rather than shift it silently
    (every calendar program would guess differently), ask the editor."""
    if not clock_changes_on(day):  # nearly every day: one UTC offset from midnight to midnight
        return None
    zone = ZoneInfo(TIMEZONE)
    local = dt.datetime.combine(day, time, zone)
    skipped = local.astimezone(dt.UTC).astimezone(zone).replace(tzinfo=None) != local.replace(
        tzinfo=None
    )
    twice = not skipped and local.utcoffset() != local.replace(fold=1).utcoffset()
    if not (skipped or twice):
        return None
    clock, when = format_time(time), format_day(day)
    if skipped:
        return (
            msg(
                "{when}: kella {clock} ei ole olemas, suveaja algusega keeratakse kell "
                "3.00 kohe 4.00-ks",
                when=when,
                clock=clock,
            ),
            msg("sel ööl ei ole kellaaegu 3.00–3.59: vali aeg enne 3.00 või alates 4.00"),
        )
    return (
        msg(
            "{when}: kell {clock} on kahel korral, suveaja lõpuga keeratakse kell "
            "4.00 tagasi 3.00-ks",
            when=when,
            clock=clock,
        ),
        msg("vali kellaaeg väljaspool vahemikku 3.00–3.59"),
    )


# Stands in for a missing period date in a programme that is already reported as invalid.
_UNKNOWN = PartialDate(1900, 1)
