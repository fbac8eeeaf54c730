"""Diagnostics: what went wrong in the content, where, and how to fix it.

Every problem an editor can cause is a `Diagnostic` naming the file, line, column and field.
Stages collect them all and raise one `ContentError`, so an editor sees every problem at once.
Messages and hints are written in Estonian (`messages.msg`) and printed in the editor's
language: Estonian by default, English on request (`--lang en`, KOOSLOOME_LANG=en).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from .messages import msg, translate

# Field names that are words rather than keys.
_FIELD_WORDS = {"fail": msg("fail"), "kaust": msg("kaust")}
HINT = msg("vihje")


class Position(NamedTuple):
    """A place in a source file; line and column are 1-based, as editors count them. (A
    named tuple: every node of every file has one, and it is made twice as fast as a frozen
    dataclass; it sorts the same.)"""

    path: str
    line: int = 1
    column: int = 1


@dataclass(frozen=True, order=True)
class Diagnostic:
    position: Position
    field: str
    message: str
    hint: str = ""

    def format(self, lang: str = "et") -> str:
        p, field = self.position, self.field
        if field in _FIELD_WORDS:
            field = translate(_FIELD_WORDS[field], lang)
        text = f"{p.path}:{p.line}:{p.column}: {field}: {translate(self.message, lang)}"
        if not self.hint:
            return text
        return f"{text}\n    {translate(HINT, lang)}: {translate(self.hint, lang)}"

    def github(self, lang: str = "et") -> str:
        """A GitHub Actions workflow command: an annotation on the file's line in a PR."""
        p = self.position
        message = translate(self.message, lang)
        if self.hint:
            message += f"\n{translate(HINT, lang)}: {translate(self.hint, lang)}"
        title = f"{self.field}: {translate(self.message, lang)}"
        return (
            f"::error file={_property(p.path)},line={p.line},col={p.column},"
            f"title={_property(title)}::{_data(message)}"
        )


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


class ContentError(Exception):
    """The content cannot be built; carries every diagnostic found, sorted by place."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        self.diagnostics = sorted(set(diagnostics))
        super().__init__(self.report())

    def report(self, lang: str = "et") -> str:
        lines = [d.format(lang) for d in self.diagnostics]
        # Estonian numerals take the singular partitive: "1 viga", "3 viga".
        summary = msg("{count} viga sisus; väljundit ei muudetud.", count=len(self.diagnostics))
        lines.append(translate(summary, lang))
        return "\n".join(lines)

    def github(self, lang: str = "et") -> str:
        return "\n".join(d.github(lang) for d in self.diagnostics)


class BuildError(Exception):
    """A failure that is not in the content: a template bug or an unusable output folder."""
