"""Compiled templates kept between builds (templatecache.py): the same site with or without
them, an edited template used at once, and no build stopped by a cache it cannot write."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import jinja2
import pytest

from koosloome_site.templatecache import TemplateCache
from tests.conftest import CONTENT, ROOT, build_py, manifest

NOW = "2023-03-01T12:00:00+02:00"


def build(output: Path, *more: str) -> Path:
    result = build_py(
        "--content", str(CONTENT), "--output", str(output), "--now", NOW, *more, cwd=ROOT
    )
    assert result.returncode == 0, result.stderr
    return output


def test_same_site_with_and_without_compiled_templates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    first = build(tmp_path / "first")  # compiles and keeps them
    kept = sorted((cache / "koosloome-site" / "templates").iterdir())
    assert len(kept) >= len(list((ROOT / "templates").glob("*.html")))
    second = build(tmp_path / "second")  # loads them
    assert sorted((cache / "koosloome-site" / "templates").iterdir()) == kept
    assert manifest(second) == manifest(first)


def test_an_edited_template_is_used_although_compiled_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    project = tmp_path / "project"  # a copy: its build.py renders its own templates/
    shutil.copytree(ROOT, project, ignore=shutil.ignore_patterns(".*", "output", "tests"))

    def build_copy(output: Path) -> str:
        argv = [sys.executable, "build.py", "--output", str(output), "--now", NOW]
        result = subprocess.run(argv, cwd=project, capture_output=True, text=True, check=False)
        assert result.returncode == 0, result.stderr
        return (output / "index.html").read_text("utf-8")

    marker = "<!-- base.html muudetud -->"
    assert marker not in build_copy(tmp_path / "before")
    base = project / "templates" / "base.html"
    base.write_text(base.read_text("utf-8").replace("</body>", marker + "</body>"), "utf-8")
    assert marker in build_copy(tmp_path / "after")


def test_a_cache_folder_that_cannot_be_written_only_means_compiling(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")  # the cache folder would have to be made inside a file
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    site = build(tmp_path / "site")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert manifest(site) == manifest(build(tmp_path / "cached"))


def test_options_that_change_the_compiled_code_are_part_of_the_key(tmp_path: Path) -> None:
    (tmp_path / "t.html").write_text("{% if true %}\n  x\n{% endif %}\n")
    cache = TemplateCache(tmp_path / "cache")

    def rendered(trimmed: bool) -> str:
        loader = jinja2.FileSystemLoader(tmp_path)
        env = jinja2.Environment(
            loader=loader, bytecode_cache=cache, trim_blocks=trimmed, lstrip_blocks=trimmed
        )
        return env.get_template("t.html").render()

    plain, trimmed = rendered(False), rendered(True)
    assert plain == "\n  x\n" and trimmed == "  x\n"
    assert len(list((tmp_path / "cache").iterdir())) == 2
    fresh = TemplateCache(tmp_path / "cache")  # a later process: from the files
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(tmp_path), bytecode_cache=fresh)
    assert env.get_template("t.html").render() == plain
