"""Strict YAML reading: a small tree of strings with source positions.

PyYAML's default loaders implement YAML 1.1, where `no` is False, `15:00` is 900, `0123` is
octal and `2023-03-23` becomes a date object. Here every scalar stays the exact text the editor
wrote, and the validator gives it a type from the field it is in. Anchors, aliases, tags,
duplicate keys and multi-document files are rejected: they make a file mean something other
than what it shows, and web form editors cannot round-trip them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import yaml

from .errors import Diagnostic, Position

try:  # libyaml is several times faster; the pure-Python parser gives the same events
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

NULL_WORDS = frozenset({"", "~", "null", "Null", "NULL"})


@dataclass(frozen=True)
class Scalar:
    text: str
    position: Position
    quoted: bool
    # Stands for a value whose problem is already reported (an alias), so that the
    # validator reports nothing more about it.
    unreadable: bool = False

    @property
    def is_null(self) -> bool:
        """An empty value (`key:`) means the same as leaving the key out."""
        return not self.quoted and self.text in NULL_WORDS


@dataclass(frozen=True)
class Mapping:
    position: Position
    # key text -> (key scalar, value); dicts keep the editor's order
    entries: dict[str, tuple[Scalar, Node]] = field(default_factory=dict)


@dataclass(frozen=True)
class Sequence:
    position: Position
    items: list[Node] = field(default_factory=list)


Node = Scalar | Mapping | Sequence


class _Mark(Protocol):
    """What PyYAML's marks (pure-Python or libyaml) have in common."""

    line: int
    column: int


_INVALID_KEY = Scalar("", Position(""), quoted=True)


def describe(node: Node) -> str:
    """The Estonian name of a node's shape, for error messages."""
    if isinstance(node, Mapping):
        return "võtmete ja väärtuste kogum"
    if isinstance(node, Sequence):
        return "loend"
    return "tühi väärtus" if node.is_null else f"tekst {node.text!r}"


def parse(text: str, path: str, diagnostics: list[Diagnostic]) -> Node | None:
    """Parse one YAML document into a Node tree; problems go to `diagnostics`."""

    def pos(mark: _Mark | None) -> Position:
        return Position(path, mark.line + 1, mark.column + 1) if mark else Position(path)

    def problem(mark: _Mark | None, message: str, hint: str) -> None:
        diagnostics.append(Diagnostic(pos(mark), "YAML", message, hint))

    stack: list[Mapping | Sequence] = []
    pending_key: list[Scalar | None] = []  # per open mapping: the key awaiting its value
    paths: list[str] = []  # per open collection: its field path, e.g. "sessions[2]"
    root: Node | None = None
    documents = 0

    def child_path() -> str:
        """The field path of the node about to be added."""
        if not stack:
            return ""
        parent, key = stack[-1], pending_key[-1]
        if isinstance(parent, Sequence):
            return f"{paths[-1]}[{len(parent.items)}]"
        return _join(paths[-1], key.text) if key is not None else paths[-1]

    def add(node: Node) -> None:
        nonlocal root
        if not stack:
            root = node
            return
        parent = stack[-1]
        if isinstance(parent, Sequence):
            parent.items.append(node)
            return
        key = pending_key[-1]
        if key is None:
            if isinstance(node, Scalar) and not node.is_null:
                pending_key[-1] = node
            else:  # keep parsing, but the value of this key is dropped
                diagnostics.append(
                    Diagnostic(
                        node.position,
                        "YAML",
                        "võti peab olema lihtne tekst",
                        "kirjuta võti kujul 'nimi: väärtus'",
                    )
                )
                pending_key[-1] = _INVALID_KEY
            return
        pending_key[-1] = None
        if key is _INVALID_KEY:
            return
        first = parent.entries.get(key.text)
        if first is not None:
            diagnostics.append(
                Diagnostic(
                    key.position,
                    _join(paths[-1], key.text),
                    "sama võti on selles kogumis kaks korda",
                    f"võti on juba real {first[0].position.line}; jäta alles üks neist",
                )
            )
            return
        parent.entries[key.text] = (key, node)

    try:
        for event in yaml.parse(text, Loader=_Loader):
            anchor = getattr(event, "anchor", None)
            if isinstance(event, yaml.AliasEvent) or anchor is not None:
                problem(
                    event.start_mark,
                    "ankrud ja viited (& ja *) ei ole lubatud",
                    "kirjuta väärtus välja igasse kohta, kus seda vaja on",
                )
                if isinstance(event, yaml.AliasEvent):
                    add(Scalar("", pos(event.start_mark), quoted=False, unreadable=True))
                    continue
            tag = getattr(event, "tag", None)
            if tag is not None and isinstance(
                event, yaml.ScalarEvent | yaml.MappingStartEvent | yaml.SequenceStartEvent
            ):
                problem(
                    event.start_mark,
                    f"YAML-i sildid ({tag.replace('tag:yaml.org,2002:', '!!')}) ei ole lubatud",
                    "eemalda märgiga ! algav silt; väärtuse tüübi määrab väli, kus see on",
                )
            if isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    problem(
                        event.start_mark,
                        "failis on mitu YAML-dokumenti",
                        "ühes failis peab olema üks dokument; eemalda rida '---' või jaga fail",
                    )
                    break
            elif isinstance(event, yaml.ScalarEvent):
                add(Scalar(event.value, pos(event.start_mark), quoted=event.style in ("'", '"')))
            elif isinstance(event, yaml.MappingStartEvent):
                node_m = Mapping(pos(event.start_mark))
                paths.append(child_path())
                add(node_m)
                stack.append(node_m)
                pending_key.append(None)
            elif isinstance(event, yaml.SequenceStartEvent):
                node_s = Sequence(pos(event.start_mark))
                paths.append(child_path())
                add(node_s)
                stack.append(node_s)
                pending_key.append(None)
            elif isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
                stack.pop()
                pending_key.pop()
                paths.pop()
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        message = error.problem or error.context or "vigane YAML"
        line = text.splitlines()[mark.line] if mark and mark.line < len(text.splitlines()) else ""
        problem(mark, *_explain_syntax_error(message, line))
        return None
    return root


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _explain_syntax_error(problem: str, line: str) -> tuple[str, str]:
    """PyYAML's English problem text, as an Estonian message and hint for the usual causes."""
    if "\t" in line:
        return "taandes on tabulaator", "kasuta taandeks tühikuid, mitte tabulaatorit"
    if "mapping values are not allowed" in problem:
        return (
            "ootamatu koolon",
            "kui väärtuses on koolon, pane kogu väärtus jutumärkidesse; "
            "kui see on uus võti, pane see eraldi reale",
        )
    if "expected <block end>" in problem or "expected '-' indicator" in problem:
        return "taane ei klapi", "sama taseme võtmed ja loendi read peavad algama samast veerust"
    if "found unexpected end of stream" in problem or "quoted scalar" in problem:
        return "jutumärgid jäid sulgemata", "lõpeta tekst samasuguse jutumärgiga, millega see algas"
    if "could not find expected ':'" in problem:
        return "võtme järel puudub koolon", "kirjuta kujul 'võti: väärtus'"
    return (
        f"YAML-i süntaksiviga ({problem})",
        "kontrolli taandeid ja jutumärke sellel ja eelmisel real",
    )
