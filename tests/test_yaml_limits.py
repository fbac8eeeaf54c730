"""Oversized and deeply nested files, and characters YAML cannot carry: a located Estonian
error, never a crash.

The limits are checked before the text reaches the YAML parser (libyaml is C code; a file it
chokes on must not take the build down): at most 1 MiB per content file, at most 50 levels of
nesting (yamlsrc.MAX_BYTES, yamlsrc.MAX_DEPTH). The worst inputs run in a subprocess through
`build.py check`, so a segfault or a stack overflow would show as a signal, not hide in pytest.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from koosloome_site import yamllib, yamlsrc
from koosloome_site.errors import ContentError, Diagnostic
from koosloome_site.validate import load_content
from tests.sitekit import PROGRAMME, write_site

REPO = Path(__file__).resolve().parent.parent
DEMO = "content/programmes/demo.yaml"
DEEP = 100_000


def check(tmp_path: Path, data: bytes) -> subprocess.CompletedProcess[str]:
    """`build.py check` in a fresh interpreter on the minimal site with demo.yaml = data."""
    content = write_site(tmp_path)
    (content / "programmes" / "demo.yaml").write_bytes(data)
    return subprocess.run(
        [sys.executable, str(REPO / "build.py"), "check"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
        timeout=120,
    )


def only_error(result: subprocess.CompletedProcess[str]) -> str:
    """The one error line of a failed check, after asserting that it failed cleanly."""
    assert result.returncode == 1, (result.returncode, result.stderr[-2000:])
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert lines[-1] == "1 viga sisus; väljundit ei muudetud.", result.stderr[-2000:]
    return lines[0]


@pytest.mark.parametrize(
    "name, data, where",
    [
        ("flow sequences", b"[" * DEEP + b"]" * DEEP, "1:50"),
        ("flow mappings", b"{a: " * DEEP + b"1" + b"}" * DEEP, "1:197"),
        ("flow under a key", b"sessions: " + b"[" * DEEP, "1:60"),
        ("compact block sequences", b"- " * DEEP + b"x\n", "1:101"),
        ("block mappings", b"".join(b" " * i + b"a:\n" for i in range(1_000)), "51:51"),
        ("block sequences", b"".join(b" " * i + b"-\n" for i in range(1_000)), "51:51"),
        ("mixed", b"a:\n  - " + b"{b: [" * DEEP, "2:124"),
    ],
)
def test_deep_nesting_is_a_located_error(
    tmp_path: Path, name: str, data: bytes, where: str
) -> None:
    line = only_error(check(tmp_path, data))
    assert line.startswith(f"{DEMO}:{where}"), line
    assert "YAML: andmed on pesastatud sügavamale kui 50 taset" in line, line


def test_a_50_mib_file_is_refused_without_being_parsed(tmp_path: Path) -> None:
    data = b"title: " + b"x" * (50 * 1024 * 1024) + b"\n"
    line = only_error(check(tmp_path, data))
    assert line == (
        f"{DEMO}:1:1: fail: fail on liiga suur: 52 428 808 baiti "
        "(lubatud kuni 1 048 576 baiti, 1 MiB)"
    ), line


def test_one_byte_over_the_limit_is_refused_and_the_limit_itself_is_not(tmp_path: Path) -> None:
    programme = PROGRAMME
    padding = yamlsrc.MAX_BYTES - len(programme.encode()) - len("#\n")
    at_limit = programme + "#" + " " * padding + "\n"
    assert len(at_limit.encode()) == yamlsrc.MAX_BYTES
    load_content(write_site(tmp_path / "a", {"programmes/demo.yaml": at_limit}))
    with pytest.raises(ContentError) as caught:
        load_content(write_site(tmp_path / "b", {"programmes/demo.yaml": at_limit + " "}))
    [d] = caught.value.diagnostics
    assert (d.position.line, d.position.column, d.field) == (1, 1, "fail")
    assert d.message.startswith("fail on liiga suur: 1 048 577 baiti")


def test_control_characters_in_the_file_are_located(tmp_path: Path) -> None:
    """libyaml refuses them with a ReaderError, which is not a marked error: it used to
    escape the validator as a traceback."""
    line = only_error(check(tmp_path, b"title: Demo\nsummary: a\x00b\n"))
    assert line.startswith(f"{DEMO}:2:11: fail: failis on lubamatu märk U+0000"), line
    line = only_error(check(tmp_path, "title: Õun\x1b[31m\n".encode()))
    assert line.startswith(f"{DEMO}:1:11: fail: failis on lubamatu märk U+001B"), line


def test_every_character_yaml_refuses_in_a_file_is_found_and_no_other() -> None:
    """The check's quick answer (searches of the UTF-8 bytes) against PyYAML's own pattern
    for what a file may hold, for every code point, alone and amid Estonian text."""
    for code in range(0x110000):
        char = chr(code)
        for text in (char, f"title: Õun {char} ja pirn\n"):
            found = yamlsrc._first_unprintable(text)
            expected = yaml.reader.Reader.NON_PRINTABLE.search(text)
            assert (found and found.start()) == (expected and expected.start()), hex(code)


def test_escaped_control_characters_are_located_at_the_value() -> None:
    problems: list[Diagnostic] = []
    node = yamlsrc.parse('title: ok\nsessions:\n  - notes: "a\\0b\\x07"\n', "f.yaml", problems)
    assert node is not None
    [d] = problems
    assert (d.position.line, d.position.column, d.field) == (3, 12, "sessions[0].notes")
    assert d.message == "väärtuses on lubamatu märk U+0000"


@pytest.mark.parametrize("depth, ok", [(50, True), (51, False)])
def test_the_depth_limit_is_exact_for_flow_and_block(depth: int, ok: bool) -> None:
    flow = "a: " + "[" * (depth - 1) + "]" * (depth - 1) + "\n"  # the mapping is level one
    block = "".join("  " * i + "a:\n" for i in range(depth - 1)) + "  " * (depth - 1) + "b: 1\n"
    for text in (flow, block):
        problems: list[Diagnostic] = []
        assert (yamlsrc.parse(text, "f.yaml", problems) is not None) is ok, problems
        assert not problems if ok else problems[0].message.startswith("andmed on pesastatud")


def test_brackets_in_text_do_not_count_as_nesting() -> None:
    """Quoted scalars, comments, block scalars and plain text may hold any number of `[`."""
    many = "[" * 500
    text = (
        f"title: '{many} don''t'\n"
        f'summary: "{many} \\" {many}"\n'
        f"# {many}\n"
        f"format: plain text with {many} inside\n"
        "description: |\n"
        f"  {many}\n"
        f"  - '{many}\n"
        "\n"
        f"    {{{{{{{{\n"
        "goals:\n"
        f"  - >-\n    {many}\n"
        f"  - a # {many}\n"
    )
    problems: list[Diagnostic] = []
    node = yamlsrc.parse(text, "f.yaml", problems)
    assert problems == [] and isinstance(node, yamlsrc.Mapping)
    assert yaml.safe_load(text)["title"] == f"{many} don't"  # the same document, for PyYAML


def test_the_guard_does_not_depend_on_libyaml(monkeypatch: pytest.MonkeyPatch) -> None:
    """With PyYAML's pure-Python parser (no libyaml), deep input is refused just the same."""
    monkeypatch.setattr(yamllib, "_Loader", yaml.SafeLoader)
    for text in ("[" * DEEP, "{a: " * DEEP, "- " * DEEP + "x"):
        problems: list[Diagnostic] = []
        assert yamlsrc.parse(text, "f.yaml", problems) is None
        assert [d.message for d in problems] == ["andmed on pesastatud sügavamale kui 50 taset"]


def test_the_real_content_is_far_from_the_limits() -> None:
    for path in sorted((REPO / "content").rglob("*.yaml")) + sorted(
        (REPO / "tests" / "rich_site" / "content").rglob("*.yaml")
    ):
        text = path.read_text(encoding="utf-8")
        assert len(text.encode()) < yamlsrc.MAX_BYTES // 20
        problems: list[Diagnostic] = []
        assert yamlsrc.check_limits(text, str(path), problems) and not problems


@pytest.mark.parametrize(
    "old, new, where, message",
    [
        ("title: Demoprogramm", "title: " + "x" * 10_001, "1:8: title", "tekst on liiga pikk"),
        ("id: infopaev", "id: " + "a" * 101, "18:9: sessions[0].id", "ei ole sobiv tunnus"),
        ('date: "2023-03-30"', 'date: "9999-12-31"', "25:11: sessions[1].date", "aasta 9999"),
        (
            "sessions:",
            "places: {count: 1" + "0" * 5000 + ", unit: x}\nsessions:",
            "17:17: places.count",
            "on liiga suur",
        ),
    ],
    ids=["long text", "long id", "year 9999", "huge number"],
)
def test_extreme_values_are_located_errors(
    tmp_path: Path, old: str, new: str, where: str, message: str
) -> None:
    assert PROGRAMME.count(old) == 1
    with pytest.raises(ContentError) as caught:
        load_content(write_site(tmp_path, {"programmes/demo.yaml": PROGRAMME.replace(old, new)}))
    [d] = caught.value.diagnostics
    assert f"{d.position.line}:{d.position.column}: {d.field}" == where, d.format()
    assert message in d.message, d.format()
