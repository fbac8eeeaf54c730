"""The editors' guide (docs/toimetaja-juhend.md): every YAML example in it is valid content,
for the validator and for the JSON Schema, and the example error is what the build prints.

A fenced block says what it is in its info string: ```yaml programme, ```yaml session,
```yaml topic, ```yaml person, ```yaml organisation; `vigane` marks an example of a mistake,
whose report is the ```text block after it.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import jsonschema
import pytest
import yaml

from koosloome_site.errors import ContentError
from koosloome_site.schema import json_schema
from koosloome_site.validate import load_content
from tests.test_schema import load_yaml12

REPO = Path(__file__).resolve().parent.parent
GUIDE = REPO / "docs" / "toimetaja-juhend.md"
BLOCK = re.compile(r"^```([^\n]*)\n(.*?)^```$", re.MULTILINE | re.DOTALL)
FOLDER = {"programme": "programmes", "topic": "topics", "person": "people"}
FOLDER["organisation"] = "organisations"
PROGRAMME_HEAD = (
    'title: Näide\nsummary: Näide.\nperiod:\n  start: "2027-01"\n  end: "2027-12"\nsessions:\n'
)


def blocks() -> list[tuple[str, str, str]]:
    """(kind, yaml, the text block after it) for each YAML example."""
    found = [(m.group(1).split(), m.group(2)) for m in BLOCK.finditer(GUIDE.read_text("utf-8"))]
    out = []
    for i, (info, body) in enumerate(found):
        if info[:1] == ["yaml"]:
            after = found[i + 1][1] if i + 1 < len(found) and found[i + 1][0] == ["text"] else ""
            out.append((" ".join(info[1:]), body, after))
    return out


def test_the_guide_has_an_example_of_each_kind() -> None:
    kinds = [kind for kind, _, _ in blocks()]
    for kind in ("programme", "session", "topic", "person", "organisation", "session vigane"):
        assert kind in kinds, kind
    assert all(kind.split()[0] in (*FOLDER, "session") for kind in kinds), kinds


def _site(tmp_path: Path, kind: str, body: str) -> tuple[Path, Path, str]:
    """A copy of the real content with the example added as a file: (root, file, kind)."""
    root = tmp_path / "content"
    shutil.copytree(REPO / "content", root)
    if kind.startswith("session"):
        text = PROGRAMME_HEAD + "".join("  " + line for line in body.splitlines(True))
        path, schema_kind = root / "programmes" / "naide.yaml", "programmes"
    else:
        path, schema_kind, text = root / FOLDER[kind] / "naide.yaml", FOLDER[kind], body
    path.write_text(text, "utf-8")
    return root, path, schema_kind


@pytest.mark.parametrize(
    ("kind", "body", "after"), blocks(), ids=[f"{i}-{b[0]}" for i, b in enumerate(blocks())]
)
def test_each_example_is_what_it_says(
    kind: str, body: str, after: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _root, path, schema_kind = _site(tmp_path, kind, body)
    monkeypatch.chdir(tmp_path)  # reports name content/... as an editor sees them
    validator = jsonschema.Draft7Validator(json_schema(schema_kind))
    schema_errors = list(validator.iter_errors(load_yaml12(path.read_text("utf-8"))))
    if not kind.endswith("vigane"):
        load_content(Path("content"))
        assert schema_errors == []
        return
    with pytest.raises(ContentError) as failure:
        load_content(Path("content"))
    assert schema_errors, "the schema sees this mistake too"
    report = failure.value.report().splitlines()[:-1]
    assert report == after.rstrip("\n").splitlines()


def test_the_yaml_examples_are_plain_yaml() -> None:
    for _, body, _ in blocks():
        yaml.safe_load(body)
