"""Content errors in Estonian (the source language) and English (a gettext catalog).

- The template (koosloome_site/locale/messages.pot) is what `pybabel extract` makes of the
  code now, and every message has an English translation with the same placeholders.
- A good build and an Estonian report never load a catalog.
- `--lang en`, KOOSLOOME_LANG=en and `--format github` on a broken site.
The exact reports of the invalid sites in both languages: tests/test_invalid_sites.py.
"""

from __future__ import annotations

import os
import string
import subprocess
import sys
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from koosloome_site.errors import ContentError
from koosloome_site.messages import LOCALE_DIR, catalog, msg, translate
from koosloome_site.validate import load_content

REPO = Path(__file__).resolve().parent.parent
BROKEN = REPO / "tests" / "invalid_sites" / "yaml11-no"


def _ids_in_code() -> set[str]:
    found = extract_from_dir(
        str(REPO / "koosloome_site"),
        method_map=[("**.py", "python")],
        keywords={"msg": None},
    )
    return {message for _, _, message, _, _ in found if isinstance(message, str)}


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def test_the_template_is_up_to_date_with_the_code() -> None:
    with (LOCALE_DIR / "messages.pot").open("rb") as file:
        pot = {m.id for m in read_po(file) if m.id}
    assert pot == _ids_in_code(), "run the pybabel extract command in babel.cfg"


def test_every_message_has_an_english_translation_with_the_same_placeholders() -> None:
    with (LOCALE_DIR / "messages.pot").open("rb") as file:
        pot = {str(m.id) for m in read_po(file) if m.id}
    english = catalog("en")
    missing = sorted(pot - set(english))
    assert missing == [], "translate these in locale/en/LC_MESSAGES/messages.po"
    assert set(english) == pot, "obsolete entries: run the pybabel update command in babel.cfg"
    for msgid, text in english.items():
        assert _fields(text) <= _fields(msgid), msgid  # may leave one out, never add
        assert text != msgid or msgid in ("YAML",), msgid


def test_translation_reaches_into_arguments_and_joined_parts() -> None:
    inner = msg("tekst {text!r}", text="x")
    joined = msg("lubatud võtmed: ") + "a, b"
    assert translate(msg("ootasin loendit, leidsin: {describe}", describe=inner), "en") == (
        "expected a list, found: the text 'x'"
    )
    assert translate(joined, "en") == "allowed keys: a, b"
    assert translate(joined, "et") == "lubatud võtmed: a, b" == joined


def test_a_good_build_and_an_estonian_report_load_no_catalog(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from koosloome_site.cli import main\n"
        "main(['check', '--content', sys.argv[1]])\n"
        "main(['check', '--content', sys.argv[2]])\n"
        "print('babel.messages' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(REPO / "content"), str(BROKEN / "content")],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
        env={**os.environ, "KOOSLOOME_LANG": ""},
    )
    assert result.stdout.splitlines()[-1] == "False"
    assert "kirjuta false, mitte no" in result.stderr


def _check(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(REPO / "build.py"), "check", "--content", "content", *args],
        cwd=BROKEN,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "KOOSLOOME_LANG": "", **(env or {})},
    )


def test_english_on_request_by_option_or_environment() -> None:
    expected = (
        "content/programmes/demo.yaml:12:9: cost.free: write false, not no\n"
        "    hint: a yes/no field allows only true (yes) and false (no)\n"
        "1 error(s) in the content; the output was not changed.\n"
    )
    assert _check("--lang", "en").stderr == expected
    assert _check(env={"KOOSLOOME_LANG": "en"}).stderr == expected
    assert _check(env={"KOOSLOOME_LANG": "en"}).returncode == 1
    assert "vihje:" in _check().stderr
    assert "vihje:" in _check(env={"KOOSLOOME_LANG": "xx"}).stderr  # unknown: Estonian


def test_github_annotations_name_file_line_and_column() -> None:
    result = _check("--format", "github", "--lang", "en")
    assert result.returncode == 1
    assert result.stdout == (
        "::error file=content/programmes/demo.yaml,line=12,col=9,"
        "title=cost.free%3A write false%2C not no::write false, not no"
        "%0Ahint: a yes/no field allows only true (yes) and false (no)\n"
    )


def test_several_errors_are_sorted_by_file_and_line(tmp_path: Path) -> None:
    root = tmp_path / "content"
    for folder in ("programmes", "topics", "people", "organisations"):
        (root / folder).mkdir(parents=True)
    (root / "site.yaml").write_text("title: T\nbase_url: nope\nlanguage: et\n", encoding="utf-8")
    (root / "people" / "b.yaml").write_text("nam: B\n", encoding="utf-8")
    (root / "people" / "a.yaml").write_text("name: A\nextra: 1\n", encoding="utf-8")
    try:
        load_content(root)
    except ContentError as error:
        places = [(d.position.path, d.position.line) for d in error.diagnostics]
        assert places == sorted(places) and len(places) == 4
        report = error.report("en").splitlines()
        assert report[-1] == "4 error(s) in the content; the output was not changed."
    else:
        raise AssertionError("invalid content passed")
