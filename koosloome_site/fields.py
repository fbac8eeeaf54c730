"""Typed reading of YAML mappings, one field at a time, collecting every problem.

`Fields` wraps one mapping node. Each accessor returns a typed value or None, and on bad input
records a Diagnostic at the value's exact position instead of raising, so one run of the
validator reports all problems. Unknown keys are reported with a "did you mean".
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import unicodedata
from collections.abc import Callable, Iterable
from typing import TypeVar

from .dates import PartialDate, parse_partial_date, parse_time
from .errors import Diagnostic, Position
from .messages import msg
from .spec import Field, Spec
from .yamlsrc import Mapping, Node, Scalar, Sequence, describe

T = TypeVar("T")

# A slug names a file and becomes a folder or file name in the output: lowercase ASCII, so
# that no two differ only in case or Unicode form; at most SLUG_MAX characters, so that the
# output paths stay far below file system limits (255 bytes a name); and none of the names
# Windows reserves for devices (a folder `con/` cannot be made or copied there).
SLUG_MAX = 100
WINDOWS_DEVICES = frozenset(
    {"con", "prn", "aux", "nul", *(f"{d}{n}" for d in ("com", "lpt") for n in range(10))}
)
SLUG = re.compile(
    rf"(?=[a-z0-9-]{{1,{SLUG_MAX}}}$)(?!(?:{'|'.join(sorted(WINDOWS_DEVICES))})$)"
    r"[a-z0-9]+(?:-[a-z0-9]+)*"
)
# Only http and https addresses reach a page's href (mailto: and tel: are made by us from the
# e-mail and phone fields): a host of letters, digits, hyphens and dots (with an optional
# port), no user name or password before it (`https://koosloome.ee@evil.example/`), and
# nothing that is never written unencoded in an address (spaces, ", <, >, backslash).
_URL = re.compile(r"""https?://[\w-]+(?:\.[\w-]+)+(?::[0-9]{1,5})?(?:[/?#][^\s"<>\\`]*)?""")
# No `?`, `%` or `/` in the name part: mailto: would read them as parameters or escapes.
_EMAIL = re.compile(r"[\w.!#$&'*+=^~-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}")
_PHONE = re.compile(r"\+?[0-9][0-9 ]{4,}[0-9]")
_INTEGER = re.compile(r"0|[1-9][0-9]*")
# Words YAML 1.1 tools read as booleans; we accept only true/false, and say which one was meant.
_YAML11_TRUE = frozenset({"true", "yes", "y", "on", "jah"})
_YAML11_FALSE = frozenset({"false", "no", "n", "off", "ei"})
_DAY_FIRST = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")  # 30.03.2023, as Estonians write
_TRANSLITERATE = str.maketrans("õäöüšž", "oaousz")
# Longest text value. It bounds the work of the Markdown converter, whose time grows with the
# square of the length on some inputs (10,000 unmatched "[" take about 10 s); the longest real
# description is under 1,000 characters.
MAX_TEXT = 10_000
# Years after this are typing mistakes; the day after 9999-12-31 would not exist at all.
MAX_YEAR = 2100


def slugify(text: str) -> str:
    """A safe slug suggestion for hints: `Õpisemu kohtumine` -> `opisemu-kohtumine`; never
    longer than SLUG_MAX, never a Windows device name; "" when nothing is left."""
    # é -> e, ｄｅｍｏ -> demo: compatibility decomposition, then without the accents
    plain = unicodedata.normalize("NFKD", text.lower().translate(_TRANSLITERATE))
    plain = "".join(char for char in plain if not unicodedata.combining(char))
    slug = "-".join(re.findall(r"[a-z0-9]+", plain.lower()))
    if len(slug) > SLUG_MAX:
        slug = slug[:SLUG_MAX].rsplit("-", 1)[0] if "-" in slug[:SLUG_MAX] else slug[:SLUG_MAX]
    return f"{slug}-1" if slug in WINDOWS_DEVICES else slug


def _slug_hint(text: str) -> str:
    """Why a text is not a slug, and what would be."""
    hint = msg("kasuta väiketähti a–z, numbreid ja sidekriipse")
    if re.fullmatch(r"[a-z0-9-]*", text) and len(text) > SLUG_MAX:
        hint = msg("tunnus on liiga pikk (lubatud kuni {limit} märki)", limit=SLUG_MAX)
    elif text in WINDOWS_DEVICES:
        hint = msg("'{text}' on Windowsis seadme nimi ega sobi failinimeks", text=text)
    if (suggestion := slugify(text)) and suggestion != text:
        hint += msg(", nt '{suggestion}'", suggestion=suggestion)
    return hint


def is_web_address(text: str) -> bool:
    """Whether `text` is an address the `url` fields accept (http or https only)."""
    return _URL.fullmatch(text) is not None


def _text(text: str) -> str:
    if not text:
        raise ValueError(msg("tekst on tühi"))
    if len(text) > MAX_TEXT:
        length, most = f"{len(text):,}".replace(",", " "), f"{MAX_TEXT:,}".replace(",", " ")
        raise ValueError(
            msg(
                "tekst on liiga pikk: {length} märki (lubatud kuni {most})",
                length=length,
                most=most,
            )
        )
    return text


def _plausible_date(text: str) -> PartialDate:
    value = parse_partial_date(text)
    if value.year > MAX_YEAR:
        raise ValueError(msg("aasta {year} ei ole usutav", year=value.year))
    return value


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return msg("kas mõtlesid '{close}'?", close=close[0]) if close else ""


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
        allowed: Spec | Iterable[str],
    ) -> None:
        self.problems = problems
        # With a spec (spec.py), it decides which keys exist, which are required, the values a
        # choice allows and the accessor that reads each key; without one (groups), only keys.
        self.spec: Spec | None = allowed if isinstance(allowed, dict) else None
        self.field = field
        self.position = node.position
        self.entries: dict[str, tuple[Scalar, Node]] = {}
        self.empty: dict[str, Position] = {}  # keys written with no value
        # Keys whose problem is already reported: an unknown key resembling them, an alias.
        self.excused: set[str] = set()
        # Not a mapping at all: that one problem is reported, and none of its consequences.
        self.broken = not isinstance(node, Mapping)
        allowed = allowed if isinstance(allowed, dict) else tuple(allowed)  # (dict: a look-up)
        if not isinstance(node, Mapping):
            problems.add(
                node.position,
                field or "fail",
                msg(
                    "ootasin võtmete ja väärtuste kogumit, leidsin: {describe}",
                    describe=describe(node),
                ),
                msg("kirjuta väärtused kujul 'võti: väärtus', iga võti eraldi real"),
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
                msg("tundmatu võti"),
                msg("kas mõtlesid '{close}'?", close=close[0])
                if close
                else msg("lubatud võtmed: ") + ", ".join(allowed),
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
            self.problems.add(
                self.empty[key], self.path(key), msg("kohustuslik väli on tühi"), hint
            )
        else:
            self.problems.add(self.position, self.path(key), msg("kohustuslik väli puudub"), hint)

    def _required(self, key: str, kinds: tuple[str, ...], required: bool) -> bool:
        """Whether `key` is required; checks that the spec reads it with this accessor."""
        if self.spec is None:
            return required
        spec = self.spec.get(key)
        if spec is None or spec.kind not in kinds:
            raise TypeError(f"{self.path(key)}: spec says {spec and spec.kind}, read as {kinds}")
        return required or spec.required

    def field_spec(self, key: str) -> Field | None:
        return self.spec.get(key) if self.spec is not None else None

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
            self.error(
                key,
                msg("ootasin ühte väärtust, leidsin: {describe}", describe=describe(node)),
                hint,
            )
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
            # a Msg (messages.py) stays translatable; str(error) would make it plain text
            reason = error.args[0] if error.args and isinstance(error.args[0], str) else error
            self.error(key, reason if isinstance(reason, str) else str(reason), hint)
            return None

    def _if_fine(self, key: str, convert: Callable[[str], T]) -> T | None:
        """The value converted when it is one value that converts; else None, and nothing
        reported (the caller then makes its hints and reads it through `_converted`)."""
        node = self.node(key)
        if isinstance(node, Scalar):
            try:
                return convert(node.text.strip())
            except ValueError:
                pass
        return None

    # -- typed accessors -------------------------------------------------------------------

    def text(self, key: str, required: bool = False, hint: str = "") -> str | None:
        required = self._required(key, ("text", "markdown"), required)
        node = self.node(key)
        if isinstance(node, Scalar) and 0 < len(text := node.text.strip()) <= MAX_TEXT:
            return text  # what `_text` passes; its messages and the hint only when it is not
        return self._converted(key, _text, required, hint or msg("kirjuta siia tekst"))

    def integer(self, key: str, minimum: int = 0, required: bool = False) -> int | None:
        def convert(text: str) -> int:
            if not _INTEGER.fullmatch(text):
                raise ValueError(msg("{text!r} ei ole täisarv", text=text))
            if len(text) > 9:  # also keeps int() from its own limit and English message
                raise ValueError(msg("arv {text}… on liiga suur", text=text[:12]))
            if int(text) < minimum:
                raise ValueError(msg("arv peab olema vähemalt {minimum}", minimum=minimum))
            return int(text)

        required = self._required(key, ("integer",), required)
        return self._converted(key, convert, required, msg("kirjuta täisarv numbritega, nt 10"))

    def boolean(self, key: str, required: bool = False) -> bool | None:
        def convert(text: str) -> bool:
            if text in ("true", "false"):
                return text == "true"
            if text.lower() in _YAML11_TRUE | _YAML11_FALSE:
                word = "true" if text.lower() in _YAML11_TRUE else "false"
                raise ValueError(msg("kirjuta {word}, mitte {text}", word=word, text=text))
            raise ValueError(msg("{text!r} ei sobi siia", text=text))

        required = self._required(key, ("boolean", "online"), required)
        return self._converted(
            key, convert, required, msg("jah/ei-väljas on lubatud ainult true (jah) ja false (ei)")
        )

    def choice(self, key: str, choices: Iterable[str] = (), required: bool = False) -> str | None:
        required = self._required(key, ("choice",), required)
        spec = self.field_spec(key)
        options = spec.enum if spec is not None else tuple(choices)
        node = self.node(key)
        if isinstance(node, Scalar) and (text := node.text.strip()) in options:
            return text  # the hints below are worked out only when the value is not one
        if node is None and not required:  # not given, and need not be
            return None
        listed = msg("lubatud: ") + ", ".join(options)
        scalar = self._scalar(key, required, listed)
        if scalar is None:
            return None
        text = scalar.text.strip()
        if text in options:
            return text
        # the suggestion is worked out only on error: difflib is slow on large sites
        self.error(
            key,
            msg("{text!r} ei ole lubatud väärtus", text=text),
            did_you_mean(text, options) or listed,
        )
        return None

    def slug(self, key: str, required: bool = False) -> str | None:
        required = self._required(key, ("slug",), required)
        node = self.node(key)
        if isinstance(node, Scalar) and SLUG.fullmatch(text := node.text.strip()):
            return text  # the hint below is worked out only for a bad slug
        hint = _slug_hint(node.text.strip()) if isinstance(node, Scalar) else _slug_hint("")
        return self._matching(key, SLUG, msg("sobiv tunnus"), hint, required)

    def date(self, key: str, required: bool = False) -> PartialDate | None:
        required = self._required(key, ("date", "day"), required)
        if (value := self._if_fine(key, _plausible_date)) is not None:
            return value  # the hints below are worked out only when it is not
        hint = msg("kirjuta kuupäev kujul AAAA-KK-PP (nt 2023-03-23) või kuu kujul AAAA-KK")
        node = self.node(key)
        if isinstance(node, Scalar) and (m := _DAY_FIRST.fullmatch(node.text.strip())):
            day, month, year = m.groups()
            hint = msg(
                'kuupäev käib kujul AAAA-KK-PP: kirjuta "{year}-{month:0>2}-{day:0>2}"',
                year=year,
                month=month,
                day=day,
            )
        return self._converted(key, _plausible_date, required, hint)

    def time(self, key: str, required: bool = False) -> dt.time | None:
        required = self._required(key, ("time",), required)
        if (value := self._if_fine(key, parse_time)) is not None:
            return value  # the hint below is worked out only when it is not
        hint = msg('kirjuta kellaaeg kujul TT.MM, nt "15.00" (jutumärkides)')
        return self._converted(key, parse_time, required, hint)

    def url(self, key: str, required: bool = False) -> str | None:
        required = self._required(key, ("url",), required)
        return self._matching(
            key, _URL, msg("veebiaadress"), msg("aadress algab https:// või http://"), required
        )

    def email(self, key: str) -> str | None:
        self._required(key, ("email",), False)
        return self._matching(
            key, _EMAIL, msg("e-posti aadress"), msg("kirjuta kujul nimi@näide.ee")
        )

    def phone(self, key: str) -> str | None:
        hint = msg('kirjuta numbrid jutumärkides, nt "5044576" või "+372 504 4576"')
        self._required(key, ("phone",), False)
        return self._matching(key, _PHONE, msg("telefoninumber"), hint)

    def _matching(
        self, key: str, pattern: re.Pattern[str], what: str, hint: str, required: bool = False
    ) -> str | None:
        def convert(text: str) -> str:
            if not pattern.fullmatch(text):
                raise ValueError(msg("{text!r} ei ole {what}", text=text, what=what))
            return text

        return self._converted(key, convert, required, hint)

    def items(self, key: str, required: bool = False) -> list[tuple[str, Node]]:
        """The items of a list, each with its field path (`sessions[2]`, counted from 0)."""
        required = self._required(key, ("list", "texts", "slugs"), required)
        node = self.node(key)
        if node is None:
            if required:
                self.missing(key, msg("lisa loend, iga element eraldi reale alustades '- '"))
            return []
        if not isinstance(node, Sequence):
            self.error(
                key,
                msg("ootasin loendit, leidsin: {describe}", describe=describe(node)),
                msg("kirjuta iga element eraldi reale, alustades '- '"),
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
                    item.position,
                    field,
                    msg("ootasin teksti, leidsin: {describe}", describe=describe(item)),
                )
        return tuple(out)

    def slugs(self, key: str) -> list[tuple[str, Position, str]]:
        """A list of references by slug: (slug, position, field path) for each valid item."""
        out = []
        first_line: dict[str, int | None] = {}
        for field, item in self.items(key):
            text = item.text.strip() if isinstance(item, Scalar) else ""
            if text in first_line:  # twice in one list: twice on a page, events twice in a feed
                self.problems.add(
                    item.position,
                    field,
                    msg("'{slug}' on selles loendis juba olemas", slug=text),
                    msg("see on juba real {line}; kustuta korduv rida", line=first_line[text]),
                )
            elif SLUG.fullmatch(text):
                first_line[text] = item.position.line
                out.append((text, item.position, field))
            else:
                self.problems.add(
                    item.position,
                    field,
                    msg("{describe} ei ole sobiv tunnus", describe=describe(item)),
                    _slug_hint(text),
                )
        return out

    def each(self, key: str) -> list[Fields]:
        """The items of a list of mappings, each read with the item spec."""
        spec = self.field_spec(key)
        assert spec is not None and spec.kind == "list", key
        return [Fields(self.problems, item, field, spec.fields) for field, item in self.items(key)]

    def sub(self, key: str, required: bool = False) -> Fields | None:
        """A nested mapping, read with its spec."""
        required = self._required(key, ("mapping", "online"), required)
        node = self.node(key)
        if node is None:
            if required:
                self.missing(key)
            return None
        spec = self.field_spec(key)
        assert spec is not None
        return Fields(self.problems, node, self.path(key), spec.fields)
