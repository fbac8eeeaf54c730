"""The JSON Schemas in schemas/ agree with the validator, file by file, on every fixture.

The schemas are generated from the same spec the validator reads (koosloome_site/spec.py), so
they cannot drift in the keys, types, required fields and allowed values. This test checks the
rest: for every content file of every fixture site, the validator finds a problem in it exactly
when a standard JSON Schema validator (jsonschema, Draft 7) does, reading the file as editors'
tools do (YAML 1.2). What a schema cannot say is listed in BEYOND_SCHEMA, each with its reason;
the test fails if such a case is caught after all (the list must stay exact).
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from koosloome_site.errors import ContentError
from koosloome_site.schema import json_schema, modeline, schema_path, schema_text
from koosloome_site.spec import KINDS
from koosloome_site.validate import load_content

REPO = Path(__file__).resolve().parent.parent
VALID_SITES = [REPO / "content", REPO / "tests" / "rich_site" / "content"]
INVALID_SITES = sorted(
    p / "content" for p in (REPO / "tests" / "invalid_sites").iterdir() if p.is_dir()
)

# (invalid site, file): why a JSON Schema cannot see the problem.
BEYOND_SCHEMA = {
    ("copied-session", "programmes/demo.yaml"): "session ids unique within a list, by one key",
    ("deleted-person", "programmes/demo.yaml"): "a reference to a file that does not exist",
    ("undeclared-group", "programmes/demo.yaml"): "a reference to a group declared elsewhere in "
    "the file (groups:)",
}
# Problems that are not in any content file of a kind (folder layout): nothing to check there.
NOT_A_FILE_PROBLEM = {"folder-typo"}

_NULL = re.compile(r"~|null|Null|NULL|")
_BOOL = re.compile(r"true|True|TRUE|false|False|FALSE")
_INT = re.compile(r"[-+]?[0-9]+")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")


def _json(node: yaml.Node) -> Any:
    """A composed YAML node as JSON, resolved by the YAML 1.2 core schema."""
    if isinstance(node, yaml.MappingNode):
        return {str(_json(k)): _json(v) for k, v in node.value}
    if isinstance(node, yaml.SequenceNode):
        return [_json(item) for item in node.value]
    assert isinstance(node, yaml.ScalarNode)
    text = node.value
    if node.style is not None:  # quoted or block: text
        return text
    if _NULL.fullmatch(text):
        return None
    if _BOOL.fullmatch(text):
        return text.lower() == "true"
    if _INT.fullmatch(text):
        return int(text)
    if _FLOAT.fullmatch(text):
        return float(text)
    return text


def load_yaml12(text: str) -> Any:
    """What a YAML 1.2 editor plugin sees; raises yaml.YAMLError on a syntax error."""
    node = yaml.compose(text, Loader=yaml.SafeLoader)
    return None if node is None else _json(node)


def schema_problems(path: Path, kind: str) -> list[str] | None:
    """The schema's complaints about one file, or None when it is not YAML at all."""
    try:
        data = load_yaml12(path.read_text(encoding="utf-8"))
    except yaml.YAMLError:
        return None
    validator = jsonschema.Draft7Validator(json_schema(kind))
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(data)]


def content_files(root: Path) -> list[tuple[Path, str]]:
    files = [(root / "site.yaml", "site")] if (root / "site.yaml").is_file() else []
    for folder in ("programmes", "topics", "people", "organisations"):
        files += [(path, folder) for path in sorted((root / folder).glob("*.yaml"))]
    return files


def validator_problem_files(root: Path) -> set[str]:
    try:
        load_content(root)
    except ContentError as error:
        return {
            Path(d.position.path).resolve().relative_to(root.resolve()).as_posix()
            for d in error.diagnostics
            if Path(d.position.path).resolve().is_relative_to(root.resolve())
        }
    return set()


def test_the_committed_schemas_are_up_to_date() -> None:
    for kind in KINDS:
        assert schema_path(kind).read_text(encoding="utf-8") == schema_text(kind), (
            f"schemas/{kind}.schema.json is stale: run .venv/bin/python -m koosloome_site.schema"
        )


def test_the_schemas_are_valid_draft_7() -> None:
    for kind in KINDS:
        jsonschema.Draft7Validator.check_schema(json_schema(kind))


@pytest.mark.parametrize("root", VALID_SITES, ids=lambda p: p.relative_to(REPO).as_posix())
def test_every_file_of_a_valid_site_validates_against_its_schema(root: Path) -> None:
    load_content(root)  # the validator agrees it is valid
    files = content_files(root)
    assert len(files) >= 10
    for path, kind in files:
        assert schema_problems(path, kind) == [], path


@pytest.mark.parametrize("root", INVALID_SITES, ids=lambda p: p.parent.name)
def test_schema_and_validator_agree_on_every_file_of_an_invalid_site(root: Path) -> None:
    site = root.parent.name
    flagged = validator_problem_files(root)
    assert flagged, "an invalid site must have problems"
    if site in NOT_A_FILE_PROBLEM:  # the problem is a folder, not in any file of a kind
        assert (
            not {
                name
                for _, name in [(0, p.relative_to(root).as_posix()) for p, _ in content_files(root)]
            }
            & flagged
        )
    for path, kind in content_files(root):
        name = path.relative_to(root).as_posix()
        by_validator = name in flagged
        by_schema = schema_problems(path, kind)
        if by_schema is None:  # not YAML: no schema applies; the validator must say so itself
            assert by_validator, name
            continue
        if (site, name) in BEYOND_SCHEMA:
            assert by_validator and by_schema == [], (name, by_schema)
            continue
        assert by_validator == bool(by_schema), (name, by_schema)


def test_every_content_file_names_its_schema_in_a_modeline() -> None:
    root = REPO / "content"
    for path, kind in content_files(root):
        depth = len(path.relative_to(REPO).parts) - 1
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert first == modeline(kind, depth), path
        assert (path.parent / first.split("$schema=")[1]).resolve() == schema_path(kind)


def test_the_schema_describes_each_field_in_estonian_with_an_example() -> None:
    def walk(schema: Any, where: str) -> None:
        if isinstance(schema, dict):
            for key, sub in schema.get("properties", {}).items():
                assert sub.get("title"), f"{where}.{key}"
            for key in ("properties", "items", "anyOf"):  # not the rules (allOf, if, ...)
                if key in schema:
                    sub = schema[key]
                    walk(list(sub.values()) if key == "properties" else sub, f"{where}.{key}")
        elif isinstance(schema, list):
            for item in schema:
                walk(item, where)

    for kind in KINDS:
        walk(json_schema(kind), kind)
    session = json_schema("programmes")["properties"]["sessions"]["items"]["properties"]
    assert session["kind"]["title"] == "Liik"
    assert session["kind"]["enum"][:2] == ["info_day", "workshop"]
    assert session["start_time"]["examples"] == ["15.00"]
    assert "Tallinna aja järgi" in session["start_time"]["description"]


def test_a_new_invalid_value_is_caught_by_both() -> None:
    """A spot check beyond the fixtures: the schema's and the validator's verdicts on a few
    hand-made sessions."""
    cases = {
        'kind: seminar\n    date: "2023-03-23"\n    start_time: "15.00"': True,
        'kind: seminar\n    date: "2023-03"\n    start_time: "15.00"': False,
        "kind: seminar\n    end_time: 16.00": False,
        'kind: deadline\n    date: "2023-03-30"\n    deadline: before': True,
        'kind: deadline\n    date: "2023-03-30"': False,
        'kind: seminar\n    date: "2023-03-30"\n    deadline: before': False,
        "kind: seminars": False,
        "kind: seminar\n    status: moved_online": False,
    }
    for body, valid in cases.items():
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            for folder in ("programmes", "topics", "people", "organisations"):
                (root / folder).mkdir()
            (root / "site.yaml").write_text(
                "title: T\nbase_url: https://example.ee/\nlanguage: et\ntimezone: Europe/Tallinn\n",
                encoding="utf-8",
            )
            path = root / "programmes" / "p.yaml"
            path.write_text(
                'title: P\nsummary: S\nperiod: {start: "2023-01", end: "2023-12"}\n'
                f"sessions:\n  - id: s\n    {body}\n",
                encoding="utf-8",
            )
            assert (validator_problem_files(root) == set()) is valid, body
            assert (schema_problems(path, "programmes") == []) is valid, body
