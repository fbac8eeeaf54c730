"""Reading with libyaml, through PyYAML: the files that yamlsrc's line reader leaves.

`composed` takes libyaml's tree of a file it can vouch for; `parsed` reads libyaml's events
and reports every problem at its line and column. Imported when a file first needs them:
PyYAML's import (81M instructions, a tenth of the real content's build) is then left out of
the builds whose every file the line reader reads.
"""

from __future__ import annotations

import operator
from typing import Protocol

import yaml

from .errors import Diagnostic, Position
from .messages import msg
from .yamlsrc import (
    MAX_DEPTH,
    NULL_WORDS,
    TOO_DEEP,
    UNSURE,
    Mapping,
    Node,
    Scalar,
    Sequence,
    UnsureError,
    codepoint,
    make_position,
    make_scalar,
    not_printable,
)

try:  # libyaml is several times faster; the pure-Python parser gives the same events
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]


class _Mark(Protocol):
    """What PyYAML's marks (pure-Python or libyaml) have in common."""

    line: int
    column: int


_INVALID_KEY = Scalar("", Position(""), quoted=True)


class _Composer(_Loader):
    """libyaml's parser and composer, without the resolver's guesses at types or paths.

    libyaml's composer calls these three for every node (a big site's files have a few
    hundred thousand); each is a C function that takes their arguments and does nothing we
    read, instead of a Python method: `resolve` gives the node's tag, which `composed`
    never looks at (it makes no difference to the text), and no path resolvers are set."""

    resolve = staticmethod(slice)  # (kind, value, implicit) -> an unread tag
    descend_resolver = staticmethod(operator.is_)  # type: ignore[assignment]  # (parent, index)
    ascend_resolver = staticmethod(tuple)  # type: ignore[assignment]  # ()


_SCALAR, _SEQUENCE = yaml.ScalarNode, yaml.SequenceNode


def composed(text: str, path: str) -> Node | None:
    """The usual file, composed by libyaml (three times as fast as the event loop of
    `parsed`): the tree `parsed` gives, or UNSURE for anything `parsed` would report (it
    then reads the file again and reports every problem): a syntax error, an alias, more
    than one document, a key that is not plain text or comes twice, an escaped character
    YAML does not allow, nesting deeper than MAX_DEPTH. The caller has ruled out anchors
    and tags, which the composer does not show."""
    loader = _Composer(text)
    try:
        top = loader.get_single_node()
    except yaml.YAMLError:
        return UNSURE
    finally:
        loader.dispose()
    if top is None:
        return None

    def scalar(node: yaml.ScalarNode) -> Scalar:
        mark, style, value = node.start_mark, node.style, node.value
        if style == '"' and not_printable().search(value):
            raise UnsureError
        position = make_position((path, mark.line + 1, mark.column + 1))
        return make_scalar((value, position, style == '"' or style == "'", False))

    # (A collection's scalars are made without a call to `converted`: most nodes are these.)
    def converted(node: yaml.Node, depth: int) -> Node:
        if type(node) is _SCALAR:
            return scalar(node)
        if depth >= MAX_DEPTH:
            raise UnsureError
        mark = node.start_mark
        position = make_position((path, mark.line + 1, mark.column + 1))
        if type(node) is _SEQUENCE:
            return Sequence(
                position,
                [
                    scalar(item) if type(item) is _SCALAR else converted(item, depth + 1)
                    for item in node.value
                ],
            )
        entries: dict[str, tuple[Scalar, Node]] = {}
        for key_node, value in node.value:
            if type(key_node) is not _SCALAR:
                raise UnsureError
            key = scalar(key_node)
            # (`key.is_null`, written out: a property call for each of the nodes' keys)
            if key.text in entries or (not key.quoted and key.text in NULL_WORDS):
                raise UnsureError
            entries[key.text] = (
                key,
                scalar(value) if type(value) is _SCALAR else converted(value, depth + 1),
            )
        return Mapping(position, entries)

    try:
        return converted(top, 0)
    except UnsureError:
        return UNSURE


def parsed(text: str, path: str, diagnostics: list[Diagnostic]) -> Node | None:
    """The document read event by event, every problem reported where it is."""

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
                        msg("võti peab olema lihtne tekst"),
                        msg("kirjuta võti kujul 'nimi: väärtus'"),
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
                    msg("sama võti on selles kogumis kaks korda"),
                    msg(
                        "võti on juba real {line}; jäta alles üks neist",
                        line=first[0].position.line,
                    ),
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
                    msg("ankrud ja viited (& ja *) ei ole lubatud"),
                    msg("kirjuta väärtus välja igasse kohta, kus seda vaja on"),
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
                    msg(
                        "YAML-i sildid ({tag}) ei ole lubatud",
                        tag=tag.replace("tag:yaml.org,2002:", "!!"),
                    ),
                    msg("eemalda märgiga ! algav silt; väärtuse tüübi määrab väli, kus see on"),
                )
            if isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    problem(
                        event.start_mark,
                        msg("failis on mitu YAML-dokumenti"),
                        msg(
                            "ühes failis peab olema üks dokument; eemalda rida '---' või jaga fail"
                        ),
                    )
                    break
            elif isinstance(event, yaml.ScalarEvent):
                value, quoted = event.value, event.style in ("'", '"')
                if bad := not_printable().search(value):
                    # Only an escape in double quotes can make one: the file was checked.
                    diagnostics.append(
                        Diagnostic(
                            pos(event.start_mark),
                            child_path() or "YAML",
                            msg(
                                "väärtuses on lubamatu märk {codepoint}",
                                codepoint=codepoint(bad.group()),
                            ),
                            msg('eemalda paojada, mis selle teeb (nt "\\0", "\\x07" või "\\e")'),
                        )
                    )
                    # Read on with U+FFFD in its place, so that nothing else is reported
                    # because of it (a group label, a required field).
                    value = not_printable().sub("\ufffd", value)
                add(Scalar(value, pos(event.start_mark), quoted))
            elif isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
                if len(stack) >= MAX_DEPTH:  # the pre-scan counts a little differently
                    problem(event.start_mark, *TOO_DEEP)
                    return None
                node: Mapping | Sequence = (
                    Mapping(pos(event.start_mark))
                    if isinstance(event, yaml.MappingStartEvent)
                    else Sequence(pos(event.start_mark))
                )
                paths.append(child_path())
                add(node)
                stack.append(node)
                pending_key.append(None)
            elif isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
                stack.pop()
                pending_key.pop()
                paths.pop()
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        message = error.problem or error.context or msg("vigane YAML")
        lines = text.splitlines()
        line = lines[mark.line] if mark and mark.line < len(lines) else ""
        problem(mark, *_explain_syntax_error(message, line))
        return None
    except yaml.YAMLError as error:  # pragma: no cover - the checks above come first
        problem(None, msg("YAML-i viga ({error})", error=error), msg("kontrolli faili sisu"))
        return None
    return root


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _explain_syntax_error(problem: str, line: str) -> tuple[str, str]:
    """PyYAML's English problem text, as an Estonian message and hint for the usual causes."""
    if "\t" in line:
        return msg("taandes on tabulaator"), msg("kasuta taandeks tühikuid, mitte tabulaatorit")
    if "mapping values are not allowed" in problem:
        return (
            msg("ootamatu koolon"),
            msg(
                "kui väärtuses on koolon, pane kogu väärtus jutumärkidesse; kui see on "
                "uus võti, pane see eraldi reale"
            ),
        )
    if "expected <block end>" in problem or "expected '-' indicator" in problem:
        return msg("taane ei klapi"), msg(
            "sama taseme võtmed ja loendi read peavad algama samast veerust"
        )
    if "found unexpected end of stream" in problem or "quoted scalar" in problem:
        return msg("jutumärgid jäid sulgemata"), msg(
            "lõpeta tekst samasuguse jutumärgiga, millega see algas"
        )
    if "could not find expected ':'" in problem:
        return msg("võtme järel puudub koolon"), msg("kirjuta kujul 'võti: väärtus'")
    return (
        msg("YAML-i süntaksiviga ({problem})", problem=problem),
        msg("kontrolli taandeid ja jutumärke sellel ja eelmisel real"),
    )
