"""`build.py new programme SLUG` and `build.py new session PROGRAMME`: valid, commented
starting points that build at once, and friendly refusals."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema

from koosloome_site.pipeline import build
from koosloome_site.schema import json_schema
from koosloome_site.validate import load_content
from tests.test_schema import load_yaml12

REPO = Path(__file__).resolve().parent.parent


def new(cwd: Path, *words: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(REPO / "build.py"), "new", *words],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )


def test_new_programme_and_sessions_build_and_match_the_schema(tmp_path: Path) -> None:
    shutil.copytree(REPO / "content", tmp_path / "content")
    result = new(tmp_path, "programme", "uus-labor-2027")
    assert result.returncode == 0, result.stderr
    assert "content/programmes/uus-labor-2027.yaml" in result.stdout
    for programme in ("uus-labor-2027", "uus-labor-2027", "kogukonna-koosloome-labor-2023"):
        result = new(tmp_path, "session", programme)
        assert result.returncode == 0, result.stderr
    path = tmp_path / "content" / "programmes" / "uus-labor-2027.yaml"
    text = path.read_text("utf-8")
    assert text.startswith("# yaml-language-server: $schema=../../schemas/programmes")
    assert "# Uus programm." in text and "draft: true" in text  # Estonian comments; a draft
    content = load_content(tmp_path / "content")
    ids = [s.id for p in content.programmes if p.slug == "uus-labor-2027" for s in p.sessions]
    assert ids == ["infopaev", "uus-toimumine", "uus-toimumine-2"]
    real = next(p for p in content.programmes if p.slug == "kogukonna-koosloome-labor-2023")
    assert real.sessions[-1].id == "uus-toimumine"
    schema = jsonschema.Draft7Validator(json_schema("programmes"))
    assert list(schema.iter_errors(load_yaml12(text))) == []
    report = build(tmp_path / "content", tmp_path / "out", drafts=True)
    assert report.pages > 0 and (tmp_path / "out" / "programmid" / "uus-labor-2027").is_dir()


def test_new_refuses_to_overwrite_bad_slugs_and_unknown_programmes(tmp_path: Path) -> None:
    shutil.copytree(REPO / "content", tmp_path / "content")
    existing = tmp_path / "content" / "programmes" / "kogukonna-koosloome-labor-2023.yaml"
    before = existing.read_bytes()
    result = new(tmp_path, "programme", "kogukonna-koosloome-labor-2023")
    assert result.returncode == 2 and "on juba olemas" in result.stderr
    assert existing.read_bytes() == before
    result = new(tmp_path, "programme", "Uus Labor")
    assert result.returncode == 2
    assert "ei sobi programmi tunnuseks" in result.stderr and "nt 'uus-labor'" in result.stderr
    result = new(tmp_path, "session", "puudub")
    assert result.returncode == 2 and "programmi 'puudub' ei ole" in result.stderr
    result = new(tmp_path, "session", "puudub", "--lang", "en")
    assert "there is no programme 'puudub'" in result.stderr
    assert new(tmp_path, "teema", "x").returncode == 2
    assert sorted(p.name for p in (tmp_path / "content" / "programmes").iterdir()) == sorted(
        p.name for p in (REPO / "content" / "programmes").iterdir()
    )
