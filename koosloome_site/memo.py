"""What one build hands to the next: results reused when made from the very same inputs.

The preview keeps a `BuildMemo` in memory across rebuilds; the command line keeps the loaded
content in the output's state folder (see pipeline.py). Keys are of two kinds: objects,
usually the very same ones as last time (the loader hands out the same object for a file
that did not change, and tuples compare items by identity first, so checking them costs
nothing), and plain values. Each build starts a new generation, so results that the
last build did not ask for (a deleted programme's page) are dropped. Reusing a result never
changes the output: tests/test_incremental.py compares memoised, cached and clean builds.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass, field
from itertools import compress, count
from operator import is_not
from pathlib import Path
from typing import Any, Generic, TypeVar

from .write import Kept

T = TypeVar("T")


_Entry = list[Any]  # [objects, values, result, the build that last asked for it]


class Memo(Generic[T]):
    def __init__(self, keep: bool = True) -> None:
        self._entries: dict[Hashable, _Entry] = {}
        # Each entry is stamped with the last build that asked for it, in place: a hit
        # stores nothing new, and a build that asked for every entry (a preview rebuild,
        # mostly) drops none, so none is copied or freed.
        self._build = 0
        self._asked = 0  # entries this build has asked for
        self._left = 0  # entries the last build left
        self.hits = self.misses = 0
        # False: nothing is kept (a one-off build has no next build to keep results for,
        # and keeping every page and calendar file would hold the whole site in memory).
        self.keep = keep

    def get(
        self, name: Hashable, objects: tuple[object, ...], values: object, make: Callable[[], T]
    ) -> T:
        """The result stored under `name` if it was made from `objects` (the same ones) and
        `values` (equal ones); otherwise `make()`, stored for the next build."""
        if not self.keep:
            self.misses += 1
            return make()
        entry = self._entries.get(name)
        # Tuples compare their items by identity first: the very same objects cost nothing,
        # and copies (from a child process or the cache) are compared field by field.
        if entry is not None and entry[0] == objects and entry[1] == values:
            self.hits += 1
            if entry[3] != self._build:
                entry[3] = self._build
                self._asked += 1
            # The new ones: copies (from a child process, the cache, or a build that made
            # its inputs again equal) are compared field by field once, then by identity.
            if objects:
                entry[0] = objects
            entry[1] = values
            return entry[2]  # type: ignore[no-any-return]
        self.misses += 1
        result = make()
        self._store(name, [objects, values, result, self._build])
        return result

    def each(
        self,
        name: Hashable,
        columns: tuple[tuple[object, ...], ...],
        values: object,
        make: Callable[[int], T],
    ) -> list[T]:
        """[make(i) for each row i of `columns`] for a pass over many things (a programme
        each; a column holds one kind of input to it, e.g. the programmes and their
        revisions), as one entry: a row's result is reused when its objects are the very
        same ones as last time (or equal: copies from another process) and `values` are
        equal. An edit to one programme of a thousand costs the others a pointer comparison
        each, instead of a look-up with a key made for it."""
        rows = len(columns[0])
        entry = self._entries.get(name)
        if not self.keep or entry is None or entry[1] != values or len(entry[0]) != len(columns):
            made = [make(i) for i in range(rows)]
        elif len(entry[0][0]) == rows:  # the same things, some edited: by place
            last, made = entry[0], entry[2].copy()
            suspects: set[int] = set()
            for column, before in zip(columns, last, strict=True):
                suspects.update(compress(count(), map(is_not, column, before)))
            for i in sorted(suspects):
                if any(
                    column[i] != before[i] for column, before in zip(columns, last, strict=True)
                ):
                    made[i] = make(i)
        else:  # some added or deleted: by the first column's object (alive: the entry holds
            last, results = entry[0], entry[2]  # it, so its id is its own)
            place = {id(thing): j for j, thing in enumerate(last[0])}
            made = []
            for i in range(rows):
                j = place.get(id(columns[0][i]))
                same = j is not None and all(
                    c[i] == b[j] for c, b in zip(columns, last, strict=True)
                )
                made.append(results[j] if same and j is not None else make(i))
        if self.keep:
            self._store(name, [columns, values, made, self._build])
        return made

    def each_one(
        self,
        name: Hashable,
        columns: tuple[tuple[object, ...], ...],
        values: object,
        make: Callable[[int], T],
    ) -> Iterator[T]:
        """`each`, one result at a time: a memo that keeps nothing (a one-off build) then
        makes each as it is asked for, and holds none of them (a big site's calendar files
        all at once were 25 MB more at the build's peak)."""
        if not self.keep:
            return map(make, range(len(columns[0])))
        return iter(self.each(name, columns, values, make))

    def reuse(self, name: Hashable) -> T | None:
        """What is stored under `name`, asked for as it is (the caller knows that what it
        was made from is unchanged), or None without it."""
        entry = self._entries.get(name)
        if entry is None or not self.keep:
            return None
        self.hits += 1
        if entry[3] != self._build:
            entry[3] = self._build
            self._asked += 1
        return entry[2]  # type: ignore[no-any-return]

    def last(self, name: Hashable) -> tuple[tuple[object, ...], T] | None:
        """What is stored under `name`, whatever it was made from, and the objects it was
        made from: a start for making it again (None without one)."""
        entry = self._entries.get(name)
        return None if entry is None else (entry[0], entry[2])

    def put(self, name: Hashable, objects: tuple[object, ...], result: T) -> None:
        """Store `result` under `name`, made from `objects`, for `last` to give the next
        build: for a caller that decides itself what of it to reuse."""
        if self.keep:
            self._store(name, [objects, None, result, self._build])

    def _store(self, name: Hashable, entry: _Entry) -> None:
        last = self._entries.get(name)
        if last is None or last[3] != self._build:
            self._asked += 1
        self._entries[name] = entry

    def __len__(self) -> int:
        """How many results the last build left."""
        return self._left

    def made(self) -> dict[Hashable, tuple[tuple[object, ...], object, T]]:
        """What this build has asked for so far, to hand to `adopt` in another process."""
        build = self._build
        return {name: (e[0], e[1], e[2]) for name, e in self._entries.items() if e[3] == build}

    def adopt(
        self,
        made: dict[Hashable, tuple[tuple[object, ...], object, T]],
        same: Callable[[object], object],
    ) -> None:
        """Take results made in another process (a forked child, whose objects came back as
        copies): `same` maps each copy to this process's object, so that identity holds."""
        for name, (objects, values, result) in made.items():
            self._store(name, [tuple(same(o) for o in objects), values, result, self._build])

    def restore(self, made: dict[Hashable, tuple[tuple[object, ...], object, T]]) -> None:
        """Take what a build of another process made (`made()`, kept on disk) as the last
        build's."""
        self._entries = {name: [*entry, self._build - 1] for name, entry in made.items()}
        self._asked, self._left = 0, len(self._entries)

    def next_build(self) -> None:
        """Keep what this build asked for, forget the rest."""
        if self._asked != len(self._entries):
            build = self._build
            self._entries = {n: e for n, e in self._entries.items() if e[3] == build}
        self._build += 1
        self._asked, self._left = 0, len(self._entries)
        self.hits = self.misses = 0


@dataclass
class BuildMemo:
    """One memo per stage that can reuse work."""

    loaded: Memo[Any] = field(default_factory=Memo)  # validate: each file's entity and problems
    git: Memo[Any] = field(default_factory=Memo)  # history and revisions: git's answers
    revisions: Memo[Any] = field(default_factory=Memo)  # each programme's session revisions
    pages: Memo[Any] = field(default_factory=Memo)  # pages: each programme's page and card
    rendered: Memo[Any] = field(default_factory=Memo)  # render: each page's HTML
    templates: Memo[Any] = field(default_factory=Memo)  # render: Jinja, templates loaded
    events: Memo[Any] = field(default_factory=Memo)  # feeds: each programme's events
    links: Memo[Any] = field(default_factory=Memo)  # linkcheck: each page's links and ids
    writer: Kept = field(default_factory=Kept)  # write.Writer: what the output folder holds
    site: Memo[Any] = field(default_factory=Memo)  # what is made from many pages: search, ...
    checked: Any = None  # linkcheck: pages found fine (kept only: see __post_init__)
    # False for a one-off build (the command line): only what is kept on disk is kept.
    keep: bool = True

    def __post_init__(self) -> None:
        if self.keep:
            # Only here: a one-off build would import linkcheck and its HTML parser (10 ms)
            # for nothing, and before its loading child, while the other core waits.
            self.checked = _checked()
            return
        for name, memo in vars(self).items():
            if isinstance(memo, Memo) and name not in _ON_DISK:
                memo.keep = False

    def next_build(self) -> None:
        for memo in vars(self).values():
            if isinstance(memo, Memo):
                memo.next_build()


def _checked() -> Any:
    from .linkcheck import Checked  # which imports this module

    return Checked()


CACHE = "memo.pickle"
# Kept on disk between command-line builds: what is quicker to read back than to make again.
# The rest (pages, HTML, events) would take longer to unpickle than to make.
_ON_DISK = ("loaded", "git")


def load(folder: Path, code: object) -> BuildMemo:
    """The memo a command-line build of this very `code` (a fingerprint of the program's
    files: the model's classes are pickled) left in `folder`, or an empty one. Reading it
    can only fail into doing the work again."""
    memo = BuildMemo(keep=False)
    try:
        with (folder / CACHE).open("rb") as file:
            kept = pickle.load(file)
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ValueError, TypeError):
        return memo
    if isinstance(kept, dict) and kept.get("code") == code:
        for name in _ON_DISK:
            if isinstance(kept.get(name), dict):
                getattr(memo, name).restore(kept[name])
    return memo


def save(memo: BuildMemo, folder: Path, code: object) -> None:
    """Keep what the build in progress has used of the memos kept on disk; called when it
    is done with them (pipeline.build's `loaded`), before the build's peak of memory."""
    folder.mkdir(parents=True, exist_ok=True)
    scratch = folder / f"{CACHE}.{os.getpid()}"
    kept = {"code": code, "git": memo.git.made(), "loaded": memo.loaded.made()}
    with scratch.open("wb") as file:  # streamed: the whole pickle at once is megabytes
        # With the pickler's table of the objects written (a few MB for a moment, before the
        # build's peak): without it, each object names its class again, and the pickler
        # looks the class up again (1,000 programmes: 0.04-0.12 s more, 9.8 MB instead of 6.3).
        pickle.dump(kept, file, pickle.HIGHEST_PROTOCOL)
    scratch.replace(folder / CACHE)
