"""Fuzzing the content reader: mutated content files never crash it.

Property: for any mutation of a valid site's files, loading either succeeds or raises
ContentError whose every diagnostic is located (a path, line >= 1, column >= 1); no other
exception, ever. A smaller property goes on to the full build (pages, feeds, sitemap, write)
for the mutations that still validate: it succeeds, or fails closed with a ContentError or
BuildError.

Seeds are the minimal site of tests/sitekit.py and the rich fixture site
(tests/rich_site/content). A document is one seed file after 1-4 mutations: byte flips,
line deletions, duplications and swaps, lines from another file, re-indentation,
truncation, a value replaced by a random scalar (YAML 1.1 oddities such as `yes`, `0o17`,
`.inf`, `12:30:00`, tags, anchors, aliases, impossible dates like 2023-02-30, huge numbers,
escapes of control characters), random keys, random Unicode and control characters.

Profiles (`HYPOTHESIS_PROFILE`):
- `ci` (default, part of the normal suite): 1,000 documents validated, 40 built, ~10 s.
- `long`: 100,000 documents validated and 2,000 built:
      HYPOTHESIS_PROFILE=long .venv/bin/pytest -q -s -p no:cacheprovider tests/test_fuzz.py
  The figures (documents, accepted, refused, failures, time) are printed at the end.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from koosloome_site import pipeline
from koosloome_site.errors import BuildError, ContentError
from koosloome_site.validate import _KEYS, load_content
from tests.sitekit import FILES

RICH = Path(__file__).resolve().parent / "rich_site" / "content"
NOW = dt.datetime.fromisoformat("2025-06-01T12:00:00+03:00")

_COMMON = {
    "database": None,  # no .hypothesis/ folder in the project; a failure prints its example
    "deadline": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
    "derandomize": False,
}
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
# FUZZ_EXAMPLES and FUZZ_BUILDS override the profile's numbers, e.g. for a medium run.
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", {"long": 100_000}.get(PROFILE, 1_000)))
BUILD_EXAMPLES = int(os.environ.get("FUZZ_BUILDS", {"long": 2_000}.get(PROFILE, 40)))
settings.register_profile("ci", max_examples=EXAMPLES, **_COMMON)  # type: ignore[arg-type]
settings.register_profile("long", max_examples=EXAMPLES, **_COMMON)  # type: ignore[arg-type]
settings.load_profile(PROFILE)


def _rich_files() -> dict[str, str]:
    return {
        path.relative_to(RICH).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted(RICH.rglob("*.yaml"))
    }


SEEDS: dict[str, dict[str, str]] = {"minimal": dict(FILES), "rich": _rich_files()}
TARGETS = [(site, name) for site, files in SEEDS.items() for name in files]
ALL_LINES = sorted(
    {line for files in SEEDS.values() for t in files.values() for line in t.split("\n")}
)
KEYS = sorted({key for keys in _KEYS.values() for key in keys} | {"draft", "publish_date"})

ODD_SCALARS = [
    *("yes", "no", "on", "off", "y", "n", "True", "FALSE", "~", "null", "Null", "", "''", '""'),
    *("0", "-1", "007", "0o17", "0x1F", "0b101", "1_000", "1e3", "-1.5e-3", ".inf", "-.inf"),
    *(".nan", ".NaN", "12:30:00", "190:20:30", "15:00", "15.00", "24.00", "23.60", "9.5"),
    *("2023-02-30", "2023-02-29", "2024-02-29", "2023-13-01", "2023-00-10", "0000-00-00"),
    *("9999-12-31", "1899-12-31", "1900-01", "2101-01-01", "2023-3-5", "30.03.2023"),
    *("2023-03-26", "2023-10-29", "2001-12-14t21:59:43.10-05:00", "2023-03", "2023"),
    *('"2023-03-26"', '"03.30"', '"3.30"', '"2023-10-29"', "1" * 400, "-" + "9" * 5000),
    *("!!str x", "!!int 3", "!!python/object/apply:os.system ['true']", "!x y", "&a x", "*a"),
    *("<<: *a", "? x", "- x", "[x, y]", "{x: y}", "{", "[", "]", "}", "|", ">", "|-", ">+2"),
    *("'unclosed", '"unclosed', "#", "# comment", "a: b", "x: y: z", "@x", "`x", "%YAML 1.1"),
    *('"\\0"', '"\\x07"', '"\\e"', '"\\x7f"', '"\\ud800"', '"\\U0010ffff"', '"\\uffff"'),
    *('"\\N\\_\\L\\P"', '"a\\r\\nb"', '"\\t"', "õäöüšž", "ÕÄÖÜ", "😀", "\u202eabc", "\ufeffx"),
    *("javascript:alert(1)", "https://", "http://x", "mailto:x@y.ee", "tel:123", "x@y"),
    *("info_day", "deadline", "before", "until", "cancelled", "moved_online", "scheduled"),
    *("koosloome", "mari-maasikas", "silab", "demo", "CON", "..", "a" * 101, "Europe/Tallinn"),
]
CONTROL = "".join(chr(c) for c in (*range(0, 32), 0x7F, 0x85, 0xA0, 0x2028, 0x2029, 0xFEFF))


# -- mutations --------------------------------------------------------------------------------

Draw = st.DrawFn


def _lines(data: bytes) -> list[bytes]:
    return data.split(b"\n")


def _index(draw: Draw, size: int) -> int:
    return draw(st.integers(0, max(size - 1, 0)))


def flip_bytes(data: bytes, draw: Draw) -> bytes:
    if not data:
        return data
    out = bytearray(data)
    for _ in range(int(draw(st.integers(1, 8)))):
        out[_index(draw, len(out))] = draw(st.integers(0, 255))
    return bytes(out)


def delete_lines(data: bytes, draw: Draw) -> bytes:
    lines = _lines(data)
    at = _index(draw, len(lines))
    count = draw(st.integers(1, 4))
    return b"\n".join(lines[:at] + lines[at + count :])


def duplicate_lines(data: bytes, draw: Draw) -> bytes:
    lines = _lines(data)
    at = _index(draw, len(lines))
    count = draw(st.integers(1, 4))
    return b"\n".join(lines[: at + count] + lines[at : at + count] + lines[at + count :])


def swap_lines(data: bytes, draw: Draw) -> bytes:
    lines = _lines(data)
    a, b = _index(draw, len(lines)), _index(draw, len(lines))
    lines[a], lines[b] = lines[b], lines[a]
    return b"\n".join(lines)


def foreign_line(data: bytes, draw: Draw) -> bytes:
    lines = _lines(data)
    line = str(draw(st.sampled_from(ALL_LINES))).encode()
    lines.insert(_index(draw, len(lines) + 1), line)
    return b"\n".join(lines)


def reindent(data: bytes, draw: Draw) -> bytes:
    lines = _lines(data)
    at = _index(draw, len(lines))
    indent = b" " * draw(st.integers(0, 12))
    if draw(st.booleans()):
        indent = draw(st.sampled_from([b"\t", b" \t", b"\t  "])) + indent
    lines[at] = indent + lines[at].lstrip(b" \t")
    return b"\n".join(lines)


def truncate(data: bytes, draw: Draw) -> bytes:
    return data[: _index(draw, len(data) + 1)]


def _replace_value(data: bytes, draw: Draw, value: bytes) -> bytes:
    lines = _lines(data)
    candidates = [
        i for i, line in enumerate(lines) if b":" in line or line.lstrip().startswith(b"-")
    ]
    if not candidates:
        return data + b"\n" + value
    at = draw(st.sampled_from(candidates))
    line = lines[at]
    if b": " in line:
        lines[at] = line.split(b": ", 1)[0] + b": " + value
    elif line.rstrip().endswith(b":"):
        lines[at] = line + b" " + value
    else:
        head = line[: len(line) - len(line.lstrip())]
        lines[at] = head + b"- " + value
    return b"\n".join(lines)


def odd_scalar(data: bytes, draw: Draw) -> bytes:
    return _replace_value(data, draw, str(draw(st.sampled_from(ODD_SCALARS))).encode())


def random_scalar(data: bytes, draw: Draw) -> bytes:
    text = str(draw(st.text(max_size=40)))
    quoted = draw(st.sampled_from(["plain", "single", "double"]))
    if quoted == "single":
        text = "'" + text.replace("'", "''") + "'"
    elif quoted == "double":
        text = '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return _replace_value(data, draw, text.encode("utf-8", "surrogatepass"))


def random_key(data: bytes, draw: Draw) -> bytes:
    lines = _lines(data)
    key = str(draw(st.one_of(st.sampled_from(KEYS), st.text(min_size=1, max_size=12))))
    indent = b" " * draw(st.sampled_from([0, 2, 4, 6]))
    value = str(draw(st.sampled_from(ODD_SCALARS)))
    line = indent + f"{key}: {value}".encode("utf-8", "surrogatepass")
    lines.insert(_index(draw, len(lines) + 1), line)
    return b"\n".join(lines)


def random_characters(data: bytes, draw: Draw) -> bytes:
    text = str(draw(st.one_of(st.text(max_size=8), st.text(alphabet=CONTROL, max_size=4))))
    at = _index(draw, len(data) + 1)
    return data[:at] + text.encode("utf-8", "surrogatepass") + data[at:]


MUTATIONS = [
    flip_bytes,
    delete_lines,
    duplicate_lines,
    swap_lines,
    foreign_line,
    reindent,
    truncate,
    odd_scalar,
    odd_scalar,
    random_scalar,
    random_key,
    random_characters,
]


@st.composite
def documents(draw: Draw, most: int = 4) -> tuple[str, str, bytes]:
    """One seed file after 1 to `most` mutations."""
    site, name = draw(st.sampled_from(TARGETS))
    data = SEEDS[site][name].encode()
    for _ in range(int(draw(st.integers(1, most)))):
        mutate = draw(st.sampled_from(MUTATIONS))
        data = mutate(data, draw)
    return site, name, data


# -- the properties -----------------------------------------------------------------------------


class Sites:
    """A copy of each seed site on disk; a document replaces one file, which is put back."""

    def __init__(self, root: Path) -> None:
        self.root = root
        for site, files in SEEDS.items():
            for name, text in files.items():
                path = root / site / name
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8")

    def load(self, site: str, name: str, data: bytes) -> tuple[Path, object]:
        path = self.root / site / name
        path.write_bytes(data)
        try:
            return path, load_content(self.root / site)
        finally:
            path.write_text(SEEDS[site][name], encoding="utf-8")


STATS: Counter[str] = Counter()


@pytest.fixture(scope="module")
def sites() -> Iterator[Sites]:
    folder = Path(tempfile.mkdtemp(prefix="fuzz-"))
    started = time.perf_counter()
    try:
        yield Sites(folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        print(
            f"\nfuzz ({PROFILE}): {STATS['documents']} documents validated: "
            f"{STATS['accepted']} accepted, {STATS['refused']} refused with "
            f"{STATS['diagnostics']} located diagnostics; build: {STATS['built']} built, "
            f"{STATS['build_invalid']} invalid (located), {STATS['build_refused']} BuildError; "
            "0 failures; "
            f"{time.perf_counter() - started:.1f} s"
        )


def assert_located(error: ContentError, site: str) -> None:
    assert error.diagnostics, "a ContentError without diagnostics"
    for d in error.diagnostics:
        assert d.position.path, d
        assert d.position.line >= 1 and d.position.column >= 1, d.format()
        assert d.field and d.message, d.format()


@given(document=documents())
def test_mutated_content_validates_or_fails_located(
    sites: Sites, document: tuple[str, str, bytes]
) -> None:
    site, name, data = document
    STATS["documents"] += 1
    try:
        sites.load(site, name, data)
    except ContentError as error:
        assert_located(error, site)
        STATS["refused"] += 1
        STATS["diagnostics"] += len(error.diagnostics)
    else:
        STATS["accepted"] += 1


@settings(max_examples=BUILD_EXAMPLES)
@given(document=documents(most=1))  # one mutation: more of them still validate
def test_mutated_content_that_validates_also_builds(
    sites: Sites, document: tuple[str, str, bytes]
) -> None:
    site, name, data = document
    path = sites.root / site / name
    path.write_bytes(data)
    out = sites.root / f"out-{site}"
    try:
        pipeline.build(sites.root / site, out, now=NOW)
    except ContentError as error:
        assert_located(error, site)
        STATS["build_invalid"] += 1
    except BuildError as error:  # fails closed: a message, and nothing half-written
        assert str(error)
        STATS["build_refused"] += 1
    else:
        STATS["built"] += 1
        assert (out / "index.html").is_file()
    finally:
        path.write_text(SEEDS[site][name], encoding="utf-8")
