"""The ways a content file is read (yamlsrc.py) give the same tree and the same problems.

Files the line reader does not read (test_yaml_lines.py holds it to libyaml's tree) go
through libyaml's composer (`yamllib.composed`); whatever that cannot vouch for goes
through the event loop that reports every problem at its line and column
(`yamllib.parsed`). An editor must never see a difference: not a value, not a position, not
a missed problem.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from koosloome_site import yamllib, yamlsrc
from koosloome_site.errors import Diagnostic

REPO = Path(__file__).resolve().parent.parent
# Every YAML file the project has: the real content, the rich test site, the broken sites.
FILES = sorted(
    path
    for folder in ("content", "tests", "koosloome_site")
    for path in (REPO / folder).rglob("*.yaml")
    if "node_modules" not in path.parts
)


def test_most_files_are_composed() -> None:
    composed = [
        path
        for path in FILES
        if yamllib.composed(path.read_text("utf-8", errors="replace"), "f.yaml")
        is not yamlsrc.UNSURE
    ]
    assert len(FILES) > 30 and len(composed) > len(FILES) // 2


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(REPO)))
def test_both_readers_agree_on_every_file_of_the_project(path: Path) -> None:
    text = path.read_text("utf-8", errors="replace")
    problems: list[Diagnostic] = []
    if not yamlsrc.check_limits(text, "f.yaml", problems):
        return
    parsed = yamllib.parsed(text, "f.yaml", problems)
    composed = yamllib.composed(text, "f.yaml")
    if problems:  # what the event loop reports, the composer must not pass over
        assert composed is yamlsrc.UNSURE
    elif composed is not yamlsrc.UNSURE:
        assert composed == parsed


NESTED = """\
title: "Kaks \\"jutumärki\\" ja 'üks'"
summary: >
  Volditud
  tekst
period: {start: '2023-03-01', end: 2023-05-31}
sessions:
  - id: a
    date: 2023-03-23
    times: [15:00, "16:30"]
  -
  - - sees
    - ~
empty:
"""


def test_the_composer_gives_values_styles_and_positions_as_written() -> None:
    composed = yamllib.composed(NESTED, "p.yaml")
    assert composed == yamllib.parsed(NESTED, "p.yaml", [])
    assert isinstance(composed, yamlsrc.Mapping)
    title = composed.entries["title"][1]
    assert isinstance(title, yamlsrc.Scalar)
    assert (title.text, title.quoted, title.position.line, title.position.column) == (
        "Kaks \"jutumärki\" ja 'üks'",
        True,
        1,
        8,
    )
    sessions = composed.entries["sessions"][1]
    assert isinstance(sessions, yamlsrc.Sequence)
    first = sessions.items[0]
    assert isinstance(first, yamlsrc.Mapping)
    times = first.entries["times"][1]
    assert isinstance(times, yamlsrc.Sequence)
    assert [(t.text, t.quoted) for t in times.items if isinstance(t, yamlsrc.Scalar)] == [
        ("15:00", False),
        ("16:30", True),
    ]
    empty = composed.entries["empty"][1]
    assert isinstance(empty, yamlsrc.Scalar) and empty.is_null


@pytest.mark.parametrize(
    "text",
    [
        "title: a\ntitle: b\n",  # a key twice
        "~: a\n",  # a null key
        "? [a, b]\n: c\n",  # a key that is a list
        "title: a\n---\ntitle: b\n",  # two documents
        "title: *elsewhere\n",  # an alias (no anchor: & would not come here)
        'title: "a\\0b"\n',  # an escaped character YAML does not allow
        "title: [a, b\n",  # a syntax error
        "title: 'a\n",  # a quote left open
    ],
)
def test_what_needs_reporting_goes_to_the_event_loop(text: str) -> None:
    assert yamllib.composed(text, "p.yaml") is yamlsrc.UNSURE
    through_parse: list[Diagnostic] = []
    through_events: list[Diagnostic] = []
    assert yamlsrc.parse(text, "p.yaml", through_parse) == yamllib.parsed(
        text, "p.yaml", through_events
    )
    assert through_parse == through_events and through_parse


@pytest.mark.parametrize("text", ["title: &a x\nsummary: *a\n", "title: !!str 15:00\n"])
def test_anchors_and_tags_are_never_composed(text: str) -> None:
    """The composer resolves aliases and hides tags: a file that may have them is read event
    by event, which refuses them."""
    problems: list[Diagnostic] = []
    yamlsrc.parse(text, "p.yaml", problems)
    assert problems


def test_a_file_deeper_than_the_limit_is_not_composed() -> None:
    depth = yamlsrc.MAX_DEPTH + 1
    text = "a: " + "[" * depth + "]" * depth + "\n"
    assert yamllib.composed(text, "p.yaml") is yamlsrc.UNSURE
