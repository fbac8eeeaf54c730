"""Typed reading of YAML mappings, one field at a time, collecting every problem.

`Fields` wraps one mapping node. Each accessor returns a typed value or None, and on bad input
records a Diagnostic at the value's exact position instead of raising, so one run of the
validator reports all problems. Unknown keys are reported with a "did you mean".
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Callable, Iterable
from typing import TypeVar

from .dates import PartialDate, parse_partial_date, parse_time
from .errors import Diagnostic, Position
from .yamlsrc import Mapping, Node, Scalar, Sequence, describe

T = TypeVar("T")

SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_URL = re.compile(r"https?://[^\s/?#]+\.[^\s/?#]+(?:[/?#]\S*)?")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}")
_PHONE = re.compile(r"\+?[0-9][0-9 ]{4,}[0-9]")
_INTEGER = re.compile(r"0|[1-9][0-9]*")
# Words YAML 1.1 tools read as booleans; we accept only true/false, and say which one was meant.
_YAML11_TRUE = frozenset({"true", "yes", "y", "on", "jah"})
_YAML11_FALSE = frozenset({"false", "no", "n", "off", "ei"})
_DAY_FIRST = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")  # 30.03.2023, as Estonians write
_TRANSLITERATE = str.maketrans("õäöüšž", "oaousz")


def slugify(text: str) -> str:
    """A safe slug suggestion for hints: `Õpisemu kohtumine` -> `opisemu-kohtumine`."""
    return "-".join(re.findall(r"[a-z0-9]+", text.lower().translate(_TRANSLITERATE)))


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"kas mõtlesid '{close[0]}'?" if close else ""


class Problems:
    """The diagnostics of one validation run."""

    def __init__(self) -> None:
        self.items: list[Diagnostic] = []

    def add(self, position: Position, field: str, message: str, hint: str = "") -> None:
        self.items.append(Diagnostic(position, field, message, hint))


class Fields:
    def __init__(
        self,
        problems: Problems,
        node: Node,
        field: str,
        allowed: Iterable[str],
    ) -> None:
        self.problems = problems
        self.field = field
        self.position = node.position
        self.entries: dict[str, tuple[Scalar, Node]] = {}
        self.empty: dict[str, Position] = {}  # keys written with no value
        # Keys whose problem is already reported: an unknown key resembling them, an alias.
        self.excused: set[str] = set()
        # Not a mapping at all: that one problem is reported, and none of its consequences.
        self.broken = not isinstance(node, Mapping)
        allowed = tuple(allowed)
        if not isinstance(node, Mapping):
            problems.add(
                node.position,
                field or "fail",
                f"ootasin võtmete ja väärtuste kogumit, leidsin: {describe(node)}",
                "kirjuta väärtused kujul 'võti: väärtus', iga võti eraldi real",
            )
            return
        for key, (key_node, value) in node.entries.items():
            if key in allowed:
                if isinstance(value, Scalar) and value.unreadable:
                    self.excused.add(key)
                elif isinstance(value, Scalar) and value.is_null:
                    self.empty[key] = key_node.position
                else:
                    self.entries[key] = (key_node, value)
                continue
            close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
            self.excused.update(close)
            problems.add(
                key_node.position,
                self.path(key),
                "tundmatu võti",
                f"kas mõtlesid '{close[0]}'?" if close else "lubatud võtmed: " + ", ".join(allowed),
            )

    # -- helpers ---------------------------------------------------------------------------

    def path(self, key: str) -> str:
        return f"{self.field}.{key}" if self.field else key

    def where(self, key: str) -> Position:
        """The value's position, or the mapping's when the key is missing."""
        entry = self.entries.get(key)
        return entry[1].position if entry else self.position

    def error(self, key: str, message: str, hint: str = "") -> None:
        if not self.broken:
            self.problems.add(self.where(key), self.path(key), message, hint)

    def has(self, key: str) -> bool:
        """Whether the editor gave this key a value (or tried to, under a misspelled name)."""
        return key in self.entries or key in self.excused

    def missing(self, key: str, hint: str = "") -> None:
        """Report a required key without a value, unless that follows from another problem."""
        if self.broken or key in self.excused:
            return
        if key in self.empty:
            self.problems.add(self.empty[key], self.path(key), "kohustuslik väli on tühi", hint)
        else:
            self.problems.add(self.position, self.path(key), "kohustuslik väli puudub", hint)

    def node(self, key: str) -> Node | None:
        entry = self.entries.get(key)
        return entry[1] if entry else None

    def _scalar(self, key: str, required: bool, hint: str) -> Scalar | None:
        node = self.node(key)
        if node is None:
            if required:
                self.missing(key, hint)
            return None
        if not isinstance(node, Scalar):
            self.error(key, f"ootasin ühte väärtust, leidsin: {describe(node)}", hint)
            return None
        return node

    def _converted(
        self, key: str, convert: Callable[[str], T], required: bool, hint: str
    ) -> T | None:
        scalar = self._scalar(key, required, hint)
        if scalar is None:
            return None
        try:
            return convert(scalar.text.strip())
        except ValueError as error:
            self.error(key, str(error), hint)
            return None

    # -- typed accessors -------------------------------------------------------------------

    def text(self, key: str, required: bool = False, hint: str = "") -> str | None:
        def convert(text: str) -> str:
            if not text:
                raise ValueError("tekst on tühi")
            return text

        return self._converted(key, convert, required, hint or "kirjuta siia tekst")

    def integer(self, key: str, minimum: int = 0, required: bool = False) -> int | None:
        def convert(text: str) -> int:
            if not _INTEGER.fullmatch(text):
                raise ValueError(f"{text!r} ei ole täisarv")
            if int(text) < minimum:
                raise ValueError(f"arv peab olema vähemalt {minimum}")
            return int(text)

        return self._converted(key, convert, required, "kirjuta täisarv numbritega, nt 10")

    def boolean(self, key: str, required: bool = False) -> bool | None:
        def convert(text: str) -> bool:
            if text in ("true", "false"):
                return text == "true"
            if text.lower() in _YAML11_TRUE | _YAML11_FALSE:
                word = "true" if text.lower() in _YAML11_TRUE else "false"
                raise ValueError(f"kirjuta {word}, mitte {text}")
            raise ValueError(f"{text!r} ei sobi siia")

        return self._converted(
            key, convert, required, "jah/ei-väljas on lubatud ainult true (jah) ja false (ei)"
        )

    def choice(self, key: str, choices: Iterable[str], required: bool = False) -> str | None:
        options = tuple(choices)
        listed = "lubatud: " + ", ".join(options)
        scalar = self._scalar(key, required, listed)
        if scalar is None:
            return None
        text = scalar.text.strip()
        if text in options:
            return text
        # the suggestion is worked out only on error: difflib is slow on large sites
        self.error(key, f"{text!r} ei ole lubatud väärtus", did_you_mean(text, options) or listed)
        return None

    def slug(self, key: str, required: bool = False) -> str | None:
        node = self.node(key)
        hint = "kasuta väiketähti a–z, numbreid ja sidekriipse"
        if isinstance(node, Scalar) and slugify(node.text):
            hint += f", nt '{slugify(node.text)}'"
        return self._matching(key, SLUG, "sobiv tunnus", hint, required)

    def date(self, key: str, required: bool = False) -> PartialDate | None:
        hint = "kirjuta kuupäev kujul AAAA-KK-PP (nt 2023-03-23) või kuu kujul AAAA-KK"
        node = self.node(key)
        if isinstance(node, Scalar) and (m := _DAY_FIRST.fullmatch(node.text.strip())):
            day, month, year = m.groups()
            hint = f'kuupäev käib kujul AAAA-KK-PP: kirjuta "{year}-{month:0>2}-{day:0>2}"'
        return self._converted(key, parse_partial_date, required, hint)

    def time(self, key: str, required: bool = False) -> dt.time | None:
        hint = 'kirjuta kellaaeg kujul TT.MM, nt "15.00" (jutumärkides)'
        return self._converted(key, parse_time, required, hint)

    def url(self, key: str, required: bool = False) -> str | None:
        return self._matching(
            key, _URL, "veebiaadress", "aadress algab https:// või http://", required
        )

    def email(self, key: str) -> str | None:
        return self._matching(key, _EMAIL, "e-posti aadress", "kirjuta kujul nimi@näide.ee")

    def phone(self, key: str) -> str | None:
        hint = 'kirjuta numbrid jutumärkides, nt "5044576" või "+372 504 4576"'
        return self._matching(key, _PHONE, "telefoninumber", hint)

    def _matching(
        self, key: str, pattern: re.Pattern[str], what: str, hint: str, required: bool = False
    ) -> str | None:
        def convert(text: str) -> str:
            if not pattern.fullmatch(text):
                raise ValueError(f"{text!r} ei ole {what}")
            return text

        return self._converted(key, convert, required, hint)

    def items(self, key: str, required: bool = False) -> list[tuple[str, Node]]:
        """The items of a list, each with its field path (`sessions[2]`, counted from 0)."""
        node = self.node(key)
        if node is None:
            if required:
                self.missing(key, "lisa loend, iga element eraldi reale alustades '- '")
            return []
        if not isinstance(node, Sequence):
            self.error(
                key,
                f"ootasin loendit, leidsin: {describe(node)}",
                "kirjuta iga element eraldi reale, alustades '- '",
            )
            return []
        return [(f"{self.path(key)}[{i}]", item) for i, item in enumerate(node.items)]

    def texts(self, key: str) -> tuple[str, ...]:
        out = []
        for field, item in self.items(key):
            if isinstance(item, Scalar) and item.text.strip() and not item.is_null:
                out.append(item.text.strip())
            else:
                self.problems.add(
                    item.position, field, f"ootasin teksti, leidsin: {describe(item)}"
                )
        return tuple(out)

    def slugs(self, key: str) -> list[tuple[str, Position, str]]:
        """A list of references by slug: (slug, position, field path) for each valid item."""
        out = []
        for field, item in self.items(key):
            text = item.text.strip() if isinstance(item, Scalar) else ""
            if SLUG.fullmatch(text):
                out.append((text, item.position, field))
            else:
                hint = "kasuta väiketähti a–z, numbreid ja sidekriipse"
                if slugify(text):
                    hint += f", nt '{slugify(text)}'"
                self.problems.add(
                    item.position, field, f"{describe(item)} ei ole sobiv tunnus", hint
                )
        return out

    def sub(self, key: str, allowed: Iterable[str], required: bool = False) -> Fields | None:
        node = self.node(key)
        if node is None:
            if required:
                self.missing(key)
            return None
        return Fields(self.problems, node, self.path(key), allowed)
