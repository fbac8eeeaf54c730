"""Diagnostics: what went wrong in the content, where, and how to fix it.

Every problem an editor can cause is a `Diagnostic` naming the file, line, column and field.
Stages collect them all and raise one `ContentError`, so an editor sees every problem at once.
Messages and hints are Estonian because editors read them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Position:
    """A place in a source file; line and column are 1-based, as editors count them."""

    path: str
    line: int = 1
    column: int = 1


@dataclass(frozen=True, order=True)
class Diagnostic:
    position: Position
    field: str
    message: str
    hint: str = ""

    def format(self) -> str:
        p = self.position
        text = f"{p.path}:{p.line}:{p.column}: {self.field}: {self.message}"
        return f"{text}\n    vihje: {self.hint}" if self.hint else text


class ContentError(Exception):
    """The content cannot be built; carries every diagnostic found, sorted by place."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        self.diagnostics = sorted(set(diagnostics))
        super().__init__(self.report())

    def report(self) -> str:
        lines = [d.format() for d in self.diagnostics]
        # Estonian numerals take the singular partitive: "1 viga", "3 viga".
        lines.append(f"{len(self.diagnostics)} viga sisus; väljundit ei muudetud.")
        return "\n".join(lines)


class BuildError(Exception):
    """A failure that is not in the content: a template bug or an unusable output folder."""
