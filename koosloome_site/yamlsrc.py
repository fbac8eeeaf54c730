"""Strict YAML reading: a small tree of strings with source positions.

PyYAML's default loaders implement YAML 1.1, where `no` is False, `15:00` is 900, `0123` is
octal and `2023-03-23` becomes a date object. Here every scalar stays the exact text the editor
wrote, and the validator gives it a type from the field it is in. Anchors, aliases, tags,
duplicate keys and multi-document files are rejected: they make a file mean something other
than what it shows, and web form editors cannot round-trip them.

Three readers give the same tree, each handing what it cannot vouch for to the next:
`read_lines` reads the usual file line by line in Python; yamllib's `composed` takes
libyaml's tree, and its `parsed` reads libyaml's events and reports every problem at its
line and column.

Limits, checked before the text reaches the YAML parser (libyaml is C; a hostile or broken
file must not be able to exhaust it): a file may have at most MAX_BYTES bytes (1 MiB; a real
programme file is a few KiB) and at most MAX_DEPTH (50) levels of nesting, counting block
indentation levels, compact `- - -` items and open flow brackets `[` `{`. Characters that YAML
does not allow in a file (control characters, U+FFFE, U+FFFF) are reported at their line and
column, and the same characters written as escapes in double quotes ("\0", "\x07") are
refused in values: no page, calendar file or sitemap can be made to carry them.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import NamedTuple

from .errors import Diagnostic, Position
from .messages import msg

NULL_WORDS = frozenset({"", "~", "null", "Null", "NULL"})
MAX_BYTES = 1024 * 1024  # per content file
MAX_DEPTH = 50  # nested collections in one file
# Where quoted scalars, flow collections, comments and block scalars can begin.
_SPECIAL = re.compile(r"""["'#\[\]{}|>]""")
_BLOCK_HEADER = re.compile(r"[|>][-+1-9]{0,2}[ \t]*(?:#.*)?")


class Scalar(NamedTuple):
    """A value as the editor wrote it. A named tuple, made in C by `make_scalar`: a big site's
    files have a few hundred thousand, and a class's Python `__init__` (even a slotted
    dataclass's) was a third of the time it took to take libyaml's tree."""

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


# Plain slotted classes: a frozen dataclass takes four times as long to make.
@dataclass(slots=True)
class Mapping:
    position: Position
    # key text -> (key scalar, value); dicts keep the editor's order
    entries: dict[str, tuple[Scalar, Node]] = field(default_factory=dict)


@dataclass(slots=True)
class Sequence:
    position: Position
    items: list[Node] = field(default_factory=list)


Node = Scalar | Mapping | Sequence


def describe(node: Node) -> str:
    """The Estonian name of a node's shape, for error messages."""
    if isinstance(node, Mapping):
        return msg("võtmete ja väärtuste kogum")
    if isinstance(node, Sequence):
        return "loend"
    return msg("tühi väärtus") if node.is_null else msg("tekst {text!r}", text=node.text)


def parse(text: str, path: str, diagnostics: list[Diagnostic]) -> Node | None:
    """Parse one YAML document into a Node tree; problems go to `diagnostics`."""
    if not check_limits(text, path, diagnostics):
        return None
    plain = "&" not in text and "!" not in text  # no anchor or tag can be in it
    if plain and (read := read_lines(text, path)) is not UNSURE:
        return read
    from . import yamllib  # PyYAML: only for the files the line reader leaves

    if plain and (composed := yamllib.composed(text, path)) is not UNSURE:
        return composed
    return yamllib.parsed(text, path, diagnostics)


UNSURE = Scalar("", Position(""), quoted=True)  # a reader's answer for a file it leaves


# Position(path, line, column), made in C: a named tuple's own constructor is a Python
# function, called for each of a big site's few hundred thousand nodes.
make_position = functools.partial(tuple.__new__, Position)
make_scalar = functools.partial(tuple.__new__, Scalar)


class UnsureError(Exception):
    """Raised inside a reader when the next one has to read the file."""


_KEY = re.compile(r"([A-Za-z0-9_][A-Za-z0-9_-]*):(?: +|$)")  # and the value's first column
# A quoted scalar's text on one line, and its closing quote if there.
_SINGLE_QUOTED_BODY = re.compile(r"((?:[^']|'')*)(')?")
_DOUBLE_QUOTED_BODY = re.compile(r'([^"\\]*)(")?')  # up to an escape, if any
_AFTER_QUOTE = re.compile(r"(?: +#.*| *)$")  # a comment, or nothing
_BLOCK_HEADERS = frozenset({"|", "|-", ">", ">-"})  # (not with an indentation, nor `+`)
# What a plain scalar may not begin with: YAML's indicators. (Its next lines may not begin
# with a comment's `#`, nor with `-`, `?` or `:`, which can begin an entry.)
_NOT_PLAIN = frozenset("-?:,[]{}#&*!|>'\"%@`")
# Tabs, and the line breaks and byte order mark that only YAML sees as such.
_AWKWARD = "\t\r\x85\u2028\u2029\ufeff"


def read_lines(text: str, path: str) -> Node | None:
    """The usual file read line by line, as libyaml reads it (yamllib.composed's tree), in a
    third less time: libyaml's tree reaches Python as a node and two marks for each value,
    and most of the time went into making those. It reads block mappings of plain keys and
    block sequences, nested by indentation, whose values are plain text (folded onto more
    lines too), text quoted on one line without escapes, or literal blocks (`|`, `|-`):
    what editors and `build.py new` write. UNSURE for anything else (flow collections,
    other block scalars, tabs, a first line that is not a key, ...), which libyaml reads."""
    if not text.endswith("\n") or any(map(text.__contains__, _AWKWARD)):
        return UNSURE
    lines = text.split("\n")
    stripped = [line.lstrip(" ") for line in lines]
    n = len(lines)

    def after(i: int) -> int:
        """The first line from `i` on that has something but a comment (n: none)."""
        while i < n:
            if (s := stripped[i]) and s[0] != "#":
                return i
            i += 1
        return n

    def is_item(s: str) -> bool:
        return s[0] == "-" and (len(s) == 1 or s[1] == " ")

    def collection(i: int, indent: int, depth: int) -> tuple[Node, int]:
        """The collection that starts at line i, indented `indent`, and the line after it."""
        if is_item(stripped[i]):
            return sequence(i, indent, depth)
        return mapping(i, stripped[i], indent, depth)

    def mapping(i: int, s: str, indent: int, depth: int) -> tuple[Node, int]:
        # `s`: line i from the first key on (after "- " in a sequence's item)
        if depth >= MAX_DEPTH:
            raise UnsureError
        entries: dict[str, tuple[Scalar, Node]] = {}
        position = make_position((path, i + 1, indent + 1))
        while True:
            found = _KEY.match(s)
            if found is None:
                raise UnsureError
            key, start = found[1], found.end()
            if key in entries or key in NULL_WORDS:
                raise UnsureError
            key_node = make_scalar((key, make_position((path, i + 1, indent + 1)), False, False))
            value: Node
            if start < len(s):
                value, next_line = scalar(s, start, i, indent + start, indent)
            else:  # nothing after the colon: a collection below, or no value
                next_line = after(i + 1)
                below = len(lines[next_line]) - len(stripped[next_line]) if next_line < n else -1
                if below > indent:
                    value, next_line = collection(next_line, below, depth + 1)
                elif below == indent and is_item(stripped[next_line]):  # a list's "-" may
                    value, next_line = sequence(next_line, below, depth + 1)  # be under the key
                else:  # (the position libyaml gives: after the colon)
                    empty = make_position((path, i + 1, indent + len(key) + 2))
                    value = make_scalar(("", empty, False, False))
            entries[key] = (key_node, value)
            i = next_line
            if i == n:
                break
            s = stripped[i]
            at = len(lines[i]) - len(s)
            if at != indent:
                if at < indent:  # the end of this mapping
                    break
                raise UnsureError
        return Mapping(position, entries), i

    def sequence(i: int, indent: int, depth: int) -> tuple[Node, int]:
        if depth >= MAX_DEPTH:
            raise UnsureError
        items: list[Node] = []
        position = make_position((path, i + 1, indent + 1))
        while True:
            s = stripped[i]
            rest = s[1:].lstrip(" ")
            item: Node
            if not rest:  # a collection below, or no value
                next_line = after(i + 1)
                below = len(lines[next_line]) - len(stripped[next_line]) if next_line < n else -1
                if below > indent:
                    item, next_line = collection(next_line, below, depth + 1)
                else:
                    item = make_scalar(("", make_position((path, i + 1, indent + 2)), False, False))
            else:
                column = indent + len(s) - len(rest)
                if _KEY.match(rest):
                    item, next_line = mapping(i, rest, column, depth + 1)
                else:
                    item, next_line = scalar(rest, 0, i, column, indent)
            items.append(item)
            i = next_line
            if i == n:
                break
            s = stripped[i]
            at = len(lines[i]) - len(s)
            if at > indent:
                raise UnsureError
            if at < indent or not is_item(s):  # the end of this sequence
                break
        return Sequence(position, items), i

    def scalar(s: str, k: int, i: int, column: int, parent: int) -> tuple[Node, int]:
        """The scalar at `s[k:]`, which is at `column` of line i, in a collection indented
        `parent`; and the line after it."""
        first = s[k]
        position = make_position((path, i + 1, column + 1))
        if first == "'" or first == '"':
            end = len(s) - 1  # the usual: closed at the end of the line, nothing to undo
            if s[end] == first and s.find(first, k + 1) == end and "\\" not in s:
                return make_scalar((s[k + 1 : end], position, True, False)), after(i + 1)
            return quoted(s, k, i, parent, position)
        if first == "|" or first == ">":
            header = s[k:].rstrip(" ")
            if header not in _BLOCK_HEADERS:
                raise UnsureError
            return block(i, parent, header, position)
        if first in _NOT_PLAIN:
            raise UnsureError
        value = s[k:] if k else s
        comment = value.find(" #")
        if comment >= 0:
            value = value[:comment]
        value = value.rstrip(" ")
        if ": " in value or value[-1] == ":":
            raise UnsureError
        j = i + 1
        if comment < 0:  # folded onto the lines below that are indented more than `parent`
            pieces = [value]
            while j < n:
                more = stripped[j]
                if more:
                    if len(lines[j]) - len(more) <= parent:
                        break
                    more = more.rstrip(" ")
                    if more[0] in "#-?:" or ": " in more or more[-1] == ":" or " #" in more:
                        raise UnsureError
                pieces.append(more)
                j += 1
            if len(pieces) > 1:
                while not pieces[-1]:  # empty lines after the text are not in it
                    pieces.pop()
                value = _fold(pieces)
        return make_scalar((value, position, False, False)), after(j)

    def quoted(s: str, k: int, i: int, parent: int, position: Position) -> tuple[Node, int]:
        """The quoted scalar at `s[k]` (line i), its quote closed on this line or a later one
        indented more than `parent`, without escapes (`\\`) in double quotes."""
        single = s[k] == "'"
        body = _SINGLE_QUOTED_BODY if single else _DOUBLE_QUOTED_BODY
        pieces: list[str] = []
        line, start = s, k + 1
        while True:
            found = body.match(line, start)
            assert found is not None  # (it matches the empty text too)
            pieces.append(found[1])
            if found[2]:  # the closing quote
                break
            i += 1
            if found.end() < len(line) or i == n:  # an escape, or the end of the file
                raise UnsureError
            line, start = stripped[i], 0
            if line and len(lines[i]) - len(line) <= parent:
                raise UnsureError
        if not _AFTER_QUOTE.match(line, found.end()):
            raise UnsureError
        value = pieces[0]
        if len(pieces) > 1:  # spaces around each line break go with it
            pieces = [value.rstrip(" "), *(p.rstrip(" ") for p in pieces[1:-1]), pieces[-1]]
            if not pieces[0] or not pieces[-1]:  # a quote alone on its line: libyaml decides
                raise UnsureError
            value = _fold(pieces)
        return make_scalar(
            (value.replace("''", "'") if single else value, position, True, False)
        ), after(i + 1)

    def block(i: int, parent: int, header: str, position: Position) -> tuple[Node, int]:
        """The literal (`|`) or folded (`>`) block under line i, to its last line of text,
        with one final line break, or none (`|-`, `>-`)."""
        first = j = i + 1
        indent = len(lines[j]) - len(stripped[j])
        if indent <= parent or not stripped[j]:  # (a first empty line: libyaml decides)
            raise UnsureError
        folded = header[0] == ">"
        last = j
        while j < n:
            s = stripped[j]
            at = len(lines[j]) - len(s)
            if not s:
                if at > indent:  # spaces that would be text: libyaml decides
                    raise UnsureError
            elif at < indent:
                break
            elif at > indent and folded:  # kept as it is amid folded lines: libyaml decides
                raise UnsureError
            else:
                last = j
            j += 1
        text = [line[indent:] for line in lines[first : last + 1]]
        value = _fold(text) if folded else "\n".join(text)
        return make_scalar(
            (value if header[-1] == "-" else value + "\n", position, False, False)
        ), after(j)

    first = after(0)
    if first == n or len(stripped[first]) != len(lines[first]):
        return UNSURE
    try:
        top, i = collection(first, 0, 0)
    except UnsureError:
        return UNSURE
    return top if i == n else UNSURE


def _fold(lines: list[str]) -> str:
    """Lines folded as YAML folds them: a line break between two lines of text is a space,
    and each empty line between them a line break. (The first and the last have text.)"""
    parts = [lines[0]]
    breaks = 0
    for line in lines[1:]:
        if line:
            parts += ("\n" * breaks if breaks else " ", line)
            breaks = 0
        else:
            breaks += 1
    return "".join(parts)


TOO_DEEP = (
    msg("andmed on pesastatud sügavamale kui {depth} taset", depth=MAX_DEPTH),
    msg(
        "sisufailis on loendid ja kogumid mõne taseme sügavused; kontrolli "
        "taandeid ning sulge [ ] ja { }"
    ),
)


def check_limits(text: str, path: str, diagnostics: list[Diagnostic]) -> bool:
    """Whether `text` may go to the YAML parser: not too large, only characters YAML allows,
    not nested too deep. If not, the one reason is added to `diagnostics`, located."""
    size = len(text) if len(text) * 4 <= MAX_BYTES else _size(text)
    if size > MAX_BYTES:
        diagnostics.append(Diagnostic(Position(path), "fail", *too_large(size)))
        return False
    if bad := _first_unprintable(text):
        line, column = _line_column(text, bad.start())
        diagnostics.append(
            Diagnostic(
                Position(path, line, column),
                "fail",
                msg("failis on lubamatu märk {codepoint}", codepoint=codepoint(bad.group())),
                msg(
                    "eemalda see nähtamatu juhtmärk (see tuleb sageli kopeeritud tekstiga) "
                    "või salvesta fail uuesti tekstifailina"
                ),
            )
        )
        return False
    if deep := _too_deep(text):
        diagnostics.append(Diagnostic(Position(path, *deep), "YAML", *TOO_DEEP))
        return False
    return True


# The C0 control characters but tab, line feed and carriage return, and DEL: the characters
# of ASCII that YAML does not allow.
_ASCII_CONTROLS = bytes([*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])


def _first_unprintable(text: str) -> re.Match[str] | None:
    """`not_printable().search(text)`, its usual answer (none) found by searches in C: the
    regular expression takes each character in turn, 1.3% of a big site's cold build. In
    UTF-8, every other character YAML does not allow begins with one of three bytes."""
    data = text.encode("utf-8", "surrogatepass")
    if (
        len(data.translate(None, _ASCII_CONTROLS)) == len(data)
        and b"\xc2" not in data  # U+0080-U+00BF: the C1 controls are among them
        and b"\xed" not in data  # U+D000-U+DFFF: the surrogates
        and b"\xef\xbf" not in data  # U+FFC0-U+FFFF: U+FFFE and U+FFFF
    ):
        return None
    return not_printable().search(text)


@functools.cache
def not_printable() -> re.Pattern[str]:
    """The characters YAML does not allow in a file (outside c-printable), which escapes in
    double quotes must not make either: compiled when first needed (that big a class takes
    4 ms), by the few files with a byte that can begin one."""
    return re.compile("[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def too_large(size: int) -> tuple[str, str]:
    """The message and hint for a file of `size` bytes, over MAX_BYTES."""
    return (
        msg(
            "fail on liiga suur: {size} baiti (lubatud kuni {limit} baiti, 1 MiB)",
            size=_bytes(size),
            limit=_bytes(MAX_BYTES),
        ),
        msg(
            "programmi fail on tavaliselt mõni kilobait: kontrolli, kas see on "
            "õige fail, või jaga sisu mitmeks failiks"
        ),
    )


def _bytes(n: int) -> str:
    return f"{n:,}".replace(",", " ")  # Estonian groups digits with a space


def _size(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass"))


def codepoint(char: str) -> str:
    return f"U+{ord(char):04X}"


def _line_column(text: str, index: int) -> tuple[int, int]:
    line_start = text.rfind("\n", 0, index) + 1
    return text.count("\n", 0, index) + 1, index - line_start + 1


@functools.cache
def _prefixed(columns: int) -> re.Pattern[str]:
    """A line (after a line break: the literal lets the engine skip from one to the next)
    whose indentation and "- " marks take `columns` columns or more."""
    return re.compile("\n[ -]{%d}" % columns)  # noqa: UP031 - a regular expression's braces


def _too_deep(text: str) -> tuple[int, int] | None:
    """(line, column) where nesting first goes deeper than MAX_DEPTH, or None.

    A scan of the text, not a parse: block levels are the indentation columns open at a line
    (and one more per `- ` that starts a compact nested item), flow levels the `[` and `{`
    still open; quoted scalars, comments and block scalars (`|`, `>`) are skipped. It may
    count a little differently from the YAML parser in odd files; the parser's events are
    checked against MAX_DEPTH again."""
    # A level opens at a deeper indentation, at a "- " or at a bracket: a file whose lines
    # start with fewer spaces and dashes, plus all its brackets, than MAX_DEPTH cannot go
    # deeper (the usual case, and this bound costs a fraction of the scan).
    columns = MAX_DEPTH - text.count("[") - text.count("{")  # at a line's start: too many
    deeper = _prefixed(columns) if columns > 0 else None
    if deeper and not deeper.search("\n" + text[:columns]) and not deeper.search(text):
        return None
    indents: list[int] = []  # columns of the open block levels
    flow = 0  # open flow brackets
    quote = ""  # the quote of a quoted scalar that goes on to the next line
    block = -1  # indentation of the line that began a block scalar, while inside it
    for number, line in enumerate(text.split("\n"), 1):
        start = len(line) - len(line.lstrip(" "))
        if block >= 0:
            if start >= len(line.rstrip("\r")) or start > block:
                continue
            block = -1
        i = start
        if not quote and not flow:
            if start == len(line) or line[start] in "#\r":
                continue
            while indents and indents[-1] >= start:
                indents.pop()
            indents.append(start)
            while line.startswith("- ", i):  # "- - x", "- key: value": one level each
                j = i + 1
                while j < len(line) and line[j] == " ":
                    j += 1
                if j == len(line) or line[j] in "#\r":
                    break
                indents.append(j)
                i = j
                if len(indents) > MAX_DEPTH:
                    return number, i + 1
            if len(indents) > MAX_DEPTH:
                return number, i + 1
        while i < len(line):
            if quote:
                i = _after_quote(line, i, quote)
                if i < 0:
                    break  # goes on to the next line
                quote = ""
                continue
            found = _SPECIAL.search(line, i)
            if not found:
                break
            i = found.start()
            char = line[i]
            if char == "#" and (i == 0 or line[i - 1] in " \t"):
                break  # a comment
            if char in "]}":
                flow = max(0, flow - 1)
            elif char in "[{":
                if flow or _node_starts(line, i, flow):
                    flow += 1
                    if len(indents) + flow > MAX_DEPTH:
                        return number, i + 1
            elif char in "\"'" and _node_starts(line, i, flow):
                quote = char
            elif (
                char in "|>"
                and not flow
                and _node_starts(line, i, flow)
                and _BLOCK_HEADER.fullmatch(line.rstrip("\r"), i)
            ):
                block = start
                break
            i += 1
    return None


def _node_starts(line: str, i: int, flow: int) -> bool:
    """Whether a node can begin at `line[i]`: first on the line, after `: `, `- `, `? `, or
    inside a flow collection after `[`, `{`, `,` (a quote or bracket inside a plain scalar
    is just text)."""
    k = i - 1
    while k >= 0 and line[k] == " ":
        k -= 1
    if k < 0 or (flow and line[k] in "[{,"):
        return True
    if k == i - 1:
        return False
    return line[k] in ":?" or (line[k] == "-" and (k == 0 or line[k - 1] == " "))


def _after_quote(line: str, i: int, quote: str) -> int:
    """The index after the quote that closes a quoted scalar, searching from `i`; -1 when
    the scalar goes on to the next line."""
    while (end := line.find(quote, i)) >= 0:
        if quote == "'":
            if line.startswith("''", end):  # an escaped single quote
                i = end + 2
                continue
            return end + 1
        before = end
        while before > i and line[before - 1] == "\\":
            before -= 1
        if (end - before) % 2 == 0:
            return end + 1
        i = end + 1
    return -1
