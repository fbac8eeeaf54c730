"""JSON Schemas for editors' tools, generated from the content spec (`spec.py`).

`python -m koosloome_site.schema` writes `schemas/<kind>.schema.json`; a test fails when the
committed files differ from what this module makes. Content files name their schema in a first
line comment, `# yaml-language-server: $schema=../../schemas/programmes.schema.json`, so VS
Code (with the YAML extension) and other editors complete keys and check values as you type.

The schemas describe values as a YAML 1.2 reader (the one editors use) sees them: `10` is a
number, `true` a boolean, `2023-03-23` and `15:00` are text. The validator reads every value as
the text written, so where it accepts both (`count: 10` and `count: "10"`) the schema does too.
Draft 7, the newest draft every editor plugin supports.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from .fields import MAX_TEXT, SLUG
from .spec import KINDS, Field, Spec

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schemas"
DRAFT = "http://json-schema.org/draft-07/schema#"
_YEAR = "(19[0-9]{2}|20[0-9]{2}|2100)"
_MONTH = "(0[1-9]|1[0-2])"
_DAY = "(0[1-9]|[12][0-9]|3[01])"
DAY_PATTERN = f"^{_YEAR}-{_MONTH}-{_DAY}$"
DATE_PATTERN = f"^{_YEAR}-{_MONTH}(-{_DAY})?$"
TIME_PATTERN = "^([01]?[0-9]|2[0-3])[.:][0-5][0-9]$"
# The validator's own patterns, anchored (Python's `re` and ECMA-262 agree on these).
SLUG_PATTERN = f"^{SLUG.pattern}$"
URL_PATTERN = r"""^https?://[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)+(:[0-9]{1,5})?([/?#][^\s"<>\\`]*)?$"""
EMAIL_PATTERN = r"^[A-Za-z0-9_.!#$&'*+=^~-]+@[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.[A-Za-z]{2,}$"
PHONE_PATTERN = r"^\+?[0-9][0-9 ]{4,}[0-9]$"
TITLES = {
    "site": "Saidi seaded (site.yaml)",
    "topics": "Teema (topics/<tunnus>.yaml)",
    "people": "Isik (people/<tunnus>.yaml)",
    "organisations": "Organisatsioon (organisations/<tunnus>.yaml)",
    "programmes": "Programm (programmes/<tunnus>.yaml)",
}

_TEXT: dict[str, Any] = {
    "type": ["string", "number", "boolean"],
    "minLength": 1,
    "maxLength": MAX_TEXT,
    "pattern": r"\S",
}


def _value(f: Field) -> dict[str, Any]:
    """The schema of one field's value, without title and null."""
    kind = f.kind
    if kind in ("text", "markdown"):
        return dict(_TEXT)
    if kind == "integer":
        digits = "[1-9][0-9]{0,8}" if f.minimum >= 1 else "(0|[1-9][0-9]{0,8})"
        return {
            "type": ["integer", "string"],
            "minimum": f.minimum,
            "maximum": 999_999_999,
            "pattern": f"^{digits}$",
        }
    if kind == "boolean":
        return {"anyOf": [{"type": "boolean"}, {"enum": ["true", "false"]}]}
    if kind == "choice":
        return {"enum": list(f.enum)}
    if kind == "slug":
        return {"type": "string", "pattern": SLUG_PATTERN}
    if kind in ("date", "day", "time", "url", "email"):
        pattern = {
            "date": DATE_PATTERN,
            "day": DAY_PATTERN,
            "time": TIME_PATTERN,
            "url": URL_PATTERN,
            "email": EMAIL_PATTERN,
        }[kind]
        return {"type": "string", "pattern": pattern}
    if kind == "phone":
        return {"type": ["string", "integer"], "pattern": PHONE_PATTERN, "minimum": 10_000}
    if kind == "texts":
        return {"type": "array", "items": dict(_TEXT)}
    if kind == "slugs":
        return {
            "type": "array",
            "items": {"type": "string", "pattern": SLUG_PATTERN},
            "uniqueItems": True,
        }
    if kind == "mapping":
        return _object(f.fields)
    if kind == "list":
        return {"type": "array", "items": _object(f.fields)}
    if kind == "groups":
        return {
            "type": "object",
            "propertyNames": {"pattern": SLUG_PATTERN},
            "additionalProperties": dict(_TEXT),
        }
    if kind == "online":
        return {"anyOf": [_value(Field("boolean", "")), _object(f.fields)]}
    raise ValueError(f"unknown field kind {kind!r}")


def _field(f: Field) -> dict[str, Any]:
    schema: dict[str, Any] = {"title": f.title}
    if f.description:
        schema["description"] = f.description
    if f.example is not None:
        schema["examples"] = [f.example]
    value = _value(f)
    if not f.required:  # `key:` with no value is the same as leaving the key out
        value = {"anyOf": [{"type": "null"}, value]}
    schema.update(value)
    return schema


def _object(spec: Spec) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {key: _field(f) for key, f in spec.items()},
        "additionalProperties": False,
    }
    if required := [key for key, f in spec.items() if f.required]:
        schema["required"] = required
    return schema


def _rules(kind: str, schema: dict[str, Any]) -> None:
    """The rules between fields of one file that a schema can say (validate.py says more)."""
    if kind != "programmes":
        return
    props = schema["properties"]
    day = {"properties": {"date": {"type": "string", "pattern": DAY_PATTERN}}}
    session = props["sessions"]["items"]
    session["dependencies"] = {
        "end_date": ["date"],
        "end_time": ["start_time"],
        "start_time": {"required": ["date"], **day},
    }
    session["allOf"] = [
        {
            "if": {"required": ["kind"], "properties": {"kind": {"const": "deadline"}}},
            "then": {"required": ["date", "deadline"], **day},
            "else": {"not": {"required": ["deadline"]}},
        },
        {
            "if": {"required": ["status"], "properties": {"status": {"const": "moved_online"}}},
            "then": {"required": ["online"]},
        },
    ]
    contact = props["contacts"]["anyOf"][1]["items"]
    contact["allOf"] = [
        {"anyOf": [{"required": ["person"]}, {"required": ["organisation"]}]},
        {"anyOf": [{"required": ["phone"]}, {"required": ["email"]}]},
    ]
    size = props["audience"]["anyOf"][1]["properties"]["team_size"]["anyOf"][1]
    size["anyOf"] = [{"required": ["min"]}, {"required": ["max"]}]


def json_schema(kind: str) -> dict[str, Any]:
    """The JSON Schema of one content file kind (a KINDS key)."""
    schema = {
        "$schema": DRAFT,
        "$id": f"https://koosloome.ee/schemas/{kind}.schema.json",
        "title": TITLES[kind],
        **_object(KINDS[kind]),
    }
    _rules(kind, schema)
    return schema


def schema_text(kind: str) -> str:
    return json.dumps(json_schema(kind), ensure_ascii=False, indent=2) + "\n"


def schema_path(kind: str) -> Path:
    return SCHEMA_DIR / f"{kind}.schema.json"


def write_schemas() -> list[Path]:
    SCHEMA_DIR.mkdir(exist_ok=True)
    written = []
    for kind in KINDS:
        path = schema_path(kind)
        path.write_text(schema_text(kind), encoding="utf-8")
        written.append(path)
    return written


def modeline(kind: str, depth: int) -> str:
    """The first line of a content file `depth` folders below the repository root."""
    return f"# yaml-language-server: $schema={'../' * depth}schemas/{kind}.schema.json"


if __name__ == "__main__":  # pragma: no cover - python -m koosloome_site.schema
    for written in write_schemas():
        print(written.relative_to(Path.cwd()) if written.is_relative_to(Path.cwd()) else written)
    sys.exit(0)
