"""The line reader (yamlsrc.read_lines) reads a file exactly as libyaml does, or not at all.

Most content files are read line by line in Python; anything the line reader does not
handle goes to libyaml (`yamllib.composed`) and, when that finds a problem, to the event loop that
reports it. So whatever the line reader gives must be libyaml's tree to the last value,
quote and position: here on every file of the project, on thousands of generated documents
of the shapes it reads and their near misses, and on the fuzzer's mutated content files.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import given

from koosloome_site import yamllib, yamlsrc
from tests.test_fuzz import documents
from tests.test_yaml_reading import FILES, REPO

UNSURE = yamlsrc.UNSURE


def assert_read_as_libyaml_reads(text: str) -> bool:
    """Whether the line reader read `text`; if it did, it gave libyaml's very tree. (Only
    what `parse` gives it: a file within the limits, with only the characters YAML allows.)"""
    if not yamlsrc.check_limits(text, "p.yaml", []):
        return False
    read = yamlsrc.read_lines(text, "p.yaml")
    if read is UNSURE:
        return False
    assert read == yamllib.composed(text, "p.yaml"), text
    return True


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(REPO)))
def test_every_file_of_the_project_reads_as_libyaml_reads_it(path: Path) -> None:
    assert_read_as_libyaml_reads(path.read_text("utf-8", errors="replace"))


def test_the_usual_files_are_read_line_by_line() -> None:
    read = [p for p in FILES if assert_read_as_libyaml_reads(p.read_text("utf-8", "replace"))]
    content = [p for p in read if p.is_relative_to(REPO / "content")]
    assert len(read) > len(FILES) // 2 and content


EXAMPLE = """\
# a comment first
title: Kogukonna koosloome labor  # and after a value
summary: Pikk tekst, mis jätkub
  järgmisel real

  ja veel ühel, tühja rea järel
intro: >-
  Volditud tekst
  ühel real.

  Uus lõik.
quote: 'Kahel
   ''real'''
description: |
  Esimene lõik.

    Taandega rida.
  # not a comment: text
period:
  start: '2023-03-01'
  end: "2023-05-31"
topics:
- a
-
- 'it''s'
sessions:
  - id: infopaev
    place:
      city: Tartu
    notes: |-
      Märkus
  - kind:
empty:
"""


def test_values_quotes_and_positions_are_libyamls() -> None:
    assert assert_read_as_libyaml_reads(EXAMPLE)
    read = yamlsrc.read_lines(EXAMPLE, "p.yaml")
    assert isinstance(read, yamlsrc.Mapping)
    summary = read.entries["summary"][1]
    assert isinstance(summary, yamlsrc.Scalar)
    assert summary.text == "Pikk tekst, mis jätkub järgmisel real\nja veel ühel, tühja rea järel"
    intro, quote = read.entries["intro"][1], read.entries["quote"][1]
    assert isinstance(intro, yamlsrc.Scalar) and isinstance(quote, yamlsrc.Scalar)
    assert (intro.text, quote.text) == ("Volditud tekst ühel real.\nUus lõik.", "Kahel 'real'")
    description = read.entries["description"][1]
    assert isinstance(description, yamlsrc.Scalar)
    assert description.text == "Esimene lõik.\n\n  Taandega rida.\n# not a comment: text\n"
    assert (description.position.line, description.position.column) == (14, 14)
    topics = read.entries["topics"][1]
    assert isinstance(topics, yamlsrc.Sequence)
    assert [(t.text, t.quoted) for t in topics.items if isinstance(t, yamlsrc.Scalar)] == [
        ("a", False),
        ("", False),
        ("it's", True),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "title: a\ntitle: b\n",  # a key twice: the event loop reports it
        "null: a\n",  # a null key
        "title: a: b\n",  # a colon in plain text
        "title: [a, b]\n",  # flow collections
        "title: >\n  a\n    more indented\n",  # a folded block with a line kept as it is
        "title: |+\n  a\n",  # kept final line breaks
        'title: "a\\tb"\n',  # an escape
        "title: 'a\nb'\n",  # quoted over two lines, the second not indented
        "title: 'a\n  '\n",  # a closing quote alone on its line
        "title: a\n  - b\n",  # a dash on a folded line
        "title:\ta\n",  # a tab
        "title: a\r\nsummary: b\r\n",  # Windows line breaks
        "title: a",  # no final line break
        "  title: a\n",  # an indented first line
        "---\ntitle: a\n",  # a document marker
        "title: |\n\n  a\n",  # a literal block starting with an empty line
        "- - a\n",  # a list in a list on one line
    ],
)
def test_what_the_line_reader_does_not_read_goes_to_libyaml(text: str) -> None:
    assert yamlsrc.read_lines(text, "p.yaml") is UNSURE


# -- generated documents ------------------------------------------------------------------------

KEYS = ["a", "b", "title", "start_time", "x-y", "A1", "c", "d", "e", "f"]
ODD_KEYS = ["null", "ä", "a b", "'q'", "-", "? k", "a:b", "~"]
WORDS = ["tekst", "Tartu", "2023-03-01", "15.00", "http://x.ee/a#b", "a:b", "C#", "ja", "õ"]
ODD = [":", " #", "#", "'", '"', "-", "- ", "|", ">", "[", "]", "{", ",", "?", "&", "*", "!", "%"]


class Writer:
    """A random document of nested block collections, written line by line."""

    def __init__(self, seed: int) -> None:
        self.r = random.Random(seed)
        self.lines: list[str] = []
        self.later: list[str] = []
        self.rough = self.r.choice([0.01, 0.05, 0.2])  # how often to write something odd

    def odd(self) -> bool:
        return self.r.random() < self.rough

    def chance(self, p: float) -> bool:
        return self.r.random() < p

    def spaces(self, most: int = 3) -> str:
        return " " * self.r.randint(0, most)

    def plain(self) -> str:
        words = [self.r.choice(WORDS) for _ in range(self.r.randint(1, 3))]
        if self.odd():
            words.insert(self.r.randint(0, len(words)), self.r.choice(ODD))
        return " ".join(words)

    def scalar(self, parent: int) -> str:
        """A value (the rest of its line, and lines to come), in a collection at `parent`."""
        kind = self.r.choice(["plain", "plain", "quoted", "quoted", "block", "block", "folded"])
        if kind == "quoted":
            return self.quoted(parent)
        if kind == "block":
            header = self.r.choice(
                ["|+", "|2", ">+", "| -"] if self.odd() else ["|", "|-", ">", ">-"]
            )
            indent = parent + (self.r.choice([0, 1]) if self.odd() else self.r.choice([2, 4]))
            for _ in range(self.r.randint(1, 4)):
                if self.chance(0.2):  # an empty line, maybe with spaces that would be text
                    self.later.append(" " * self.r.randint(0, indent + self.odd()))
                else:
                    extra = self.r.choice(["", "", "", "  ", "# ", "- ", "\t"[: self.odd()]])
                    self.later.append(" " * indent + extra + self.plain() + self.spaces(1))
            return header + self.spaces(1)
        value = self.plain() + self.spaces(2)
        if self.chance(0.2):
            value += " # comment" if self.chance(0.8) else "# not one"
        if self.odd():
            value += self.r.choice(["\t", "\r", ": x", ":"])
        if kind == "folded":  # plain text going on on the lines below
            for _ in range(self.r.randint(1, 3)):
                if self.chance(0.3):
                    self.later.append(self.spaces(4))
                below = parent + (0 if self.odd() else self.r.choice([1, 2, 4]))
                lead = self.r.choice(ODD) if self.odd() else ""
                self.later.append(" " * below + lead + self.plain())
        return value

    def quoted(self, parent: int) -> str:
        """Text in single or double quotes, on one line or more."""
        quote = self.r.choice("'\"")
        lines = [self.plain() + self.spaces(1) for _ in range(self.r.choice([1, 1, 1, 2, 3]))]
        if quote == "'":
            lines = [line.replace("'", "'" if self.odd() else "''") for line in lines]
            if self.chance(0.2):
                lines[-1] += "''"
        else:
            lines = [line.replace('"', "") + ("\\n" if self.odd() else "") for line in lines]
        if self.odd():
            lines[self.r.randrange(len(lines))] = ""  # a quote alone on its line
        after = self.r.choice([" # comment", "  "]) if self.chance(0.2) else ""
        if self.odd():
            after = self.r.choice([" x", "#x", ":"])
        lines[0] = quote + lines[0]
        lines[-1] += quote + after
        for line in lines[1:]:
            if self.chance(0.2):
                self.later.append(self.spaces(3))  # an empty line
            below = parent + (0 if self.odd() else self.r.choice([1, 2, 4]))
            self.later.append(" " * below + line)
        return lines[0]

    def entry(self, indent: int, lead: str, depth: int) -> None:
        """One mapping entry or list item of a collection at `indent`: `lead`, its value."""
        self.later = []  # the lines of the value after its first
        if self.chance(0.1):
            self.lines.append(self.spaces(8) + self.r.choice(["# comment", ""]))
        if self.chance(0.35) and depth < 4:
            below = indent + (self.r.choice([1, 0]) if self.odd() else self.r.choice([2, 4]))
            self.lines.append(lead.rstrip(" ") if self.chance(0.9) else lead)
            self.node(below, depth + 1)
            return
        if self.chance(0.08):  # no value
            self.lines.append(lead.rstrip(" "))
            return
        self.lines.append(lead + self.scalar(indent))
        self.lines += self.later

    def node(self, indent: int, depth: int) -> None:
        if self.chance(0.4):
            for _ in range(self.r.randint(1, 3)):
                if self.chance(0.3) and depth < 4:  # a mapping in the item, from its line
                    column = indent + 2 + self.odd()
                    lead = " " * indent + "-" + " " * (column - indent - 1)
                    for i in range(self.r.randint(1, 3)):
                        key = self.r.choice(KEYS[:6])
                        self.entry(column, (lead if i == 0 else " " * column) + f"{key}: ", 9)
                else:
                    self.entry(indent, " " * indent + "- ", depth)
            return
        keys = self.r.sample(KEYS, self.r.randint(1, 4))
        if self.odd():
            keys.append(self.r.choice([keys[0], *ODD_KEYS]))
        for key in keys:
            self.entry(indent, " " * indent + f"{key}:" + self.spaces(1) + " ", depth)

    def document(self) -> str:
        self.node(0, 0)
        text = "\n".join(self.lines)
        return text + ("" if self.odd() else "\n")


def test_generated_documents_read_as_libyaml_reads_them() -> None:
    read = [assert_read_as_libyaml_reads(Writer(seed).document()) for seed in range(4000)]
    assert sum(read) > len(read) // 3  # the shapes it reads, not only near misses


@given(document=documents())
def test_mutated_content_files_read_as_libyaml_reads_them(
    document: tuple[str, str, bytes],
) -> None:
    assert_read_as_libyaml_reads(document[2].decode("utf-8", "replace"))
