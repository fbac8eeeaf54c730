"""Loading and validation: each kind of mistake an editor can make, and exactly where it is shown.

Every test writes the minimal valid site from tests/sitekit.py, breaks one thing, and checks
the `path:line:column: field` an editor would be sent to, plus the gist of the message and hint.
Tests run in tmp_path, so paths are shown as the editor would type them: content/...
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from textwrap import dedent
from typing import Any

import pytest

from koosloome_site import dates, validate
from koosloome_site.dates import (
    PartialDate,
    format_deadline,
    format_partial,
    format_span,
    format_time_range,
)
from koosloome_site.errors import ContentError, Diagnostic
from koosloome_site.memo import Memo
from koosloome_site.model import Content
from koosloome_site.validate import clock_changes_on, load_content
from tests.conftest import ROOT, build_py
from tests.sitekit import PROGRAMME, write_site

DEMO = "content/programmes/demo.yaml"


@pytest.fixture(autouse=True)
def in_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def load(files: dict[str, str | None] | None = None) -> Content:
    return load_content(write_site(Path(), files))


def problems(files: dict[str, str | None]) -> list[Diagnostic]:
    with pytest.raises(ContentError) as caught:
        load_content(write_site(Path(), files))
    return caught.value.diagnostics


def only_problem(files: dict[str, str | None]) -> Diagnostic:
    found = problems(files)
    assert len(found) == 1, "\n".join(d.format() for d in found)
    return found[0]


def where(d: Diagnostic) -> str:
    """`path:line:column: field`, the part of a diagnostic that sends the editor somewhere."""
    return f"{d.position.path}:{d.position.line}:{d.position.column}: {d.field}"


def programme(text: str) -> dict[str, str | None]:
    """Replace the demo programme; written whole in a test so its line numbers can be read."""
    return {"programmes/demo.yaml": dedent(text)}


def edited(old: str, new: str) -> dict[str, str | None]:
    """The demo programme of sitekit with one exact piece of text changed."""
    assert PROGRAMME.count(old) == 1, old
    return {"programmes/demo.yaml": PROGRAMME.replace(old, new)}


def test_minimal_site_is_valid() -> None:
    content = load()
    [demo] = content.programmes
    assert [s.id for s in demo.sessions] == ["infopaev", "tahtaeg"]


# -- YAML 1.1 surprises: values stay the text the editor wrote ------------------------------


@pytest.mark.parametrize("word", ["no", "yes", "on", "off", "True"])
def test_yaml11_boolean_words_are_rejected_with_hint(word: str) -> None:
    d = only_problem(
        programme(f"""\
            title: Demoprogramm
            summary: Lühike kokkuvõte.
            period:
              start: "2023-03"
              end: "2023-05"
            cost:
              free: {word}
            sessions: []
            """)
    )
    assert where(d) == f"{DEMO}:7:9: cost.free"
    meant = "true" if word.lower() in ("yes", "on", "true") else "false"
    assert d.message == f"kirjuta {meant}, mitte {word}"
    assert "true" in d.hint and "false" in d.hint


@pytest.mark.parametrize("start, end", [("15:00", "16:30"), ("15.00", "16.30")])
def test_unquoted_times_are_clock_times_not_numbers(start: str, end: str) -> None:
    times = 'start_time: "15.00"\n    end_time: "16.30"'
    content = load(edited(times, f"start_time: {start}\n    end_time: {end}"))
    session = content.programmes[0].sessions[0]
    assert (session.start_time, session.end_time) == (dt.time(15, 0), dt.time(16, 30))


def test_phone_with_leading_zero_keeps_its_digits() -> None:
    content = load(edited('phone: "5044576"', "phone: 0123456"))  # octal 0123456 is 42798
    assert content.programmes[0].contacts[0].phone == "0123456"


def test_phone_too_short_to_be_a_number_is_rejected() -> None:
    d = only_problem(edited('phone: "5044576"', "phone: 0123"))
    assert where(d) == f"{DEMO}:15:12: contacts[0].phone"
    assert "'0123' ei ole telefoninumber" in d.message
    assert '"5044576"' in d.hint


def test_count_with_leading_zero_is_rejected() -> None:
    d = only_problem(
        programme("""\
            title: Demoprogramm
            summary: Lühike kokkuvõte.
            period:
              start: "2023-03"
              end: "2023-05"
            places:
              count: 010
              unit: meeskonda
            sessions: []
            """)
    )
    assert where(d) == f"{DEMO}:7:10: places.count"
    assert "'010' ei ole täisarv" in d.message


def test_unquoted_date_is_the_same_date_as_quoted() -> None:
    quoted = load().programmes[0].sessions[0].date
    unquoted = load(edited('date: "2023-03-23"', "date: 2023-03-23")).programmes[0].sessions[0]
    assert unquoted.date == quoted == PartialDate(2023, 3, 23)


# -- YAML constructs that make a file mean something other than it shows ---------------------


def test_duplicate_key_is_shown_at_the_second_with_the_first_line_in_hint() -> None:
    d = only_problem({"organisations/silab.yaml": "name: SiLab\nshort_name: SiLab\nname: Labor\n"})
    assert where(d) == "content/organisations/silab.yaml:3:1: name"
    assert "kaks korda" in d.message
    assert "real 1" in d.hint


def test_anchor_and_alias_are_each_rejected() -> None:
    found = problems(
        programme("""\
            title: Demoprogramm
            summary: &kokkuvote Lühike kokkuvõte.
            description: *kokkuvote
            period:
              start: "2023-03"
              end: "2023-05"
            sessions: []
            """)
    )
    assert [where(d) for d in found] == [f"{DEMO}:2:10: YAML", f"{DEMO}:3:14: YAML"]
    assert all("ankrud ja viited" in d.message for d in found)


@pytest.mark.parametrize("tag", ["!!str", "!foo"])
def test_explicit_tag_is_rejected(tag: str) -> None:
    d = only_problem({"topics/koosloome.yaml": f"title: {tag} Koosloome\n"})
    assert where(d) == "content/topics/koosloome.yaml:1:8: YAML"
    assert f"({tag})" in d.message
    assert "silt" in d.hint


def test_second_document_in_a_file_is_rejected() -> None:
    d = only_problem({"people/mari-maasikas.yaml": "name: Mari Maasikas\n---\nname: Jaan Tamm\n"})
    assert where(d) == "content/people/mari-maasikas.yaml:2:1: YAML"
    assert "mitu YAML-dokumenti" in d.message
    assert "'---'" in d.hint


def test_top_level_list_is_rejected() -> None:
    found = problems({"people/mari-maasikas.yaml": "- name: Mari Maasikas\n"})
    assert where(found[0]) == "content/people/mari-maasikas.yaml:1:1: fail"
    assert "leidsin: loend" in found[0].message


@pytest.mark.parametrize("text", ["", "\n", "# nimi on veel puudu\n"])
def test_empty_file_is_reported_once(text: str) -> None:
    # Only the file itself: programmes referring to the person are not also told to create it.
    d = only_problem({"people/mari-maasikas.yaml": text})
    assert where(d) == "content/people/mari-maasikas.yaml:1:1: fail"
    assert d.message == "fail on tühi"


@pytest.mark.parametrize(
    "text, place, message, hint",
    [
        (
            "period:\n\tstart: '2023-03'\n",
            "2:1",
            "taandes on tabulaator",
            "tühikuid, mitte tabulaatorit",
        ),
        ("title: Infopäev: tutvustus\n", "1:16", "ootamatu koolon", "jutumärkidesse"),
        (
            "period:\n  start: '2023-03'\n end: '2023-05'\n",
            "3:2",
            "YAML-i süntaksiviga",
            "taandeid",
        ),
    ],
    ids=["tab-indent", "colon-in-value", "bad-indent"],
)
def test_yaml_syntax_error_points_at_the_line(
    text: str, place: str, message: str, hint: str
) -> None:
    d = only_problem({"programmes/demo.yaml": text})
    assert where(d) == f"{DEMO}:{place}: YAML"
    assert d.message.startswith(message)
    assert hint in d.hint


# -- keys and values the schema does not know --------------------------------------------------


@pytest.mark.parametrize(
    "old, new, place, suggestion",
    [
        ("title: Demoprogramm", "titel: Demoprogramm", "1:1: titel", "title"),
        ("sessions:", "sesions:", "17:1: sesions", "sessions"),
        ("    role: koolitaja", "    roll: koolitaja", "10:5: team[0].roll", "role"),
    ],
)
def test_unknown_key_suggests_the_known_one(
    old: str, new: str, place: str, suggestion: str
) -> None:
    # The known key is then also missing; that may be reported too, but the typo must be.
    found = problems(edited(old, new))
    unknown = [d for d in found if d.message == "tundmatu võti"]
    assert [where(d) for d in unknown] == [f"{DEMO}:{place}"]
    assert unknown[0].hint == f"kas mõtlesid '{suggestion}'?"


def test_unknown_session_kind_suggests_the_closest() -> None:
    d = only_problem(edited("kind: info_day", "kind: infoday"))
    assert where(d) == f"{DEMO}:19:11: sessions[0].kind"
    assert d.hint == "kas mõtlesid 'info_day'?"


def test_unknown_session_kind_without_close_match_lists_all() -> None:
    d = only_problem(edited("kind: info_day", "kind: koosolek"))
    assert where(d) == f"{DEMO}:19:11: sessions[0].kind"
    assert d.hint.startswith("lubatud: info_day, workshop,")


@pytest.mark.parametrize(
    ("old", "new", "place", "first"),
    [
        ("  - koosloome\n", "  - koosloome\n  - koosloome\n", "8:5: topics[1]", 7),
        ("  - silab\n", "  - silab\n  - silab\n", "13:5: organisers[1]", 12),
    ],
    ids=["topic", "organisation"],
)
def test_a_slug_twice_in_one_list_is_reported_at_the_second(
    old: str, new: str, place: str, first: int
) -> None:
    """Twice in a programme's topics, the programme would be listed twice on the topic's page
    and each of its events would be in the topic's feed twice, with one UID."""
    found = only_problem(edited(old, new))
    assert where(found) == f"{DEMO}:{place}"
    assert "juba olemas" in found.message
    assert found.hint == f"see on juba real {first}; kustuta korduv rida"


@pytest.mark.parametrize(
    "old, new, places, hint",
    [
        ("  - koosloome", "  - koosloom", ["7:5: topics[0]"], "kas mõtlesid 'koosloome'?"),
        ("  - silab", "  - silabb", ["12:5: organisers[0]"], "kas mõtlesid 'silab'?"),
        (
            "mari-maasikas\n    role",
            "jaan-tamm\n    role",
            ["9:13: team[0].person"],
            "loo fail people/jaan-tamm.yaml või paranda tunnus",
        ),
    ],
    ids=["topic", "organisation", "person"],
)
def test_reference_that_does_not_resolve(old: str, new: str, places: list[str], hint: str) -> None:
    found = problems(edited(old, new))
    assert [where(d) for d in found] == [f"{DEMO}:{p}" for p in places]
    assert found[0].hint == hint
    assert "ei leidu kaustas" in found[0].message


def test_deleted_person_is_reported_at_every_reference() -> None:
    found = problems({"people/mari-maasikas.yaml": None})
    assert [where(d) for d in found] == [
        f"{DEMO}:9:13: team[0].person",
        f"{DEMO}:14:13: contacts[0].person",
    ]


def test_file_that_does_not_parse_is_not_also_reported_as_missing() -> None:
    d = only_problem({"topics/koosloome.yaml": "title: Koosloome: mis see on\n"})
    assert where(d) == "content/topics/koosloome.yaml:1:17: YAML"


def test_file_name_that_is_not_a_slug_is_rejected_with_a_new_name() -> None:
    d = only_problem({"programmes/demo.yaml": None, "programmes/Minu Programm.yaml": PROGRAMME})
    assert where(d) == "content/programmes/Minu Programm.yaml:1:1: fail"
    assert d.hint == "nimeta fail ümber: minu-programm.yaml"


def test_session_id_that_is_not_a_slug_is_rejected_with_a_slug() -> None:
    d = only_problem(edited("id: infopaev", "id: Infopäev"))
    assert where(d) == f"{DEMO}:18:9: sessions[0].id"
    assert d.hint.endswith("nt 'infopaev'")


# -- dates and times -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "old, new, place",
    [
        ('end: "2023-05"', 'end: "2023-02"', "5:8: period.end"),
        (
            '"2023-03-23"\n',
            '"2023-03-23"\n    end_date: "2023-03-22"\n',
            "21:15: sessions[0].end_date",
        ),
        ('end_time: "16.30"', 'end_time: "14.30"', "22:15: sessions[0].end_time"),
        ('end_time: "16.30"', 'end_time: "15.00"', "22:15: sessions[0].end_time"),
    ],
    ids=["period", "end_date", "end_time", "end_time-equal"],
)
def test_end_before_start(old: str, new: str, place: str) -> None:
    d = only_problem(edited(old, new))
    assert where(d) == f"{DEMO}:{place}"


@pytest.mark.parametrize(
    "day, message",
    [
        ("2023-02-30", "kuupäeva 2023-02-30 ei ole olemas: veebruar 2023 on 28 päeva"),
        ("2023-13-01", "kuud 13 ei ole olemas (kuud on 01–12)"),
    ],
)
def test_impossible_date_is_the_only_problem(day: str, message: str) -> None:
    # The session also has times; they are not reported as "without a day".
    d = only_problem(edited('date: "2023-03-23"', f'date: "{day}"'))
    assert where(d) == f"{DEMO}:20:11: sessions[0].date"
    assert d.message == message


def test_date_written_day_first_is_rejected_with_format() -> None:
    d = only_problem(edited('date: "2023-03-30"', "date: 30.03.2023"))
    assert where(d) == f"{DEMO}:25:11: sessions[1].date"
    assert "AAAA-KK-PP" in d.hint


def test_time_needs_a_date_with_a_day() -> None:
    d = only_problem(edited('date: "2023-03-23"', 'date: "2023-03"'))
    assert where(d) == f"{DEMO}:21:17: sessions[0].start_time"
    assert d.message == "kellaaeg ilma päevata"


def test_invalid_start_time_is_not_also_reported_missing() -> None:
    d = only_problem(edited('start_time: "15.00"', 'start_time: "15.3"'))
    assert where(d) == f"{DEMO}:21:17: sessions[0].start_time"


def test_deadline_without_before_or_until() -> None:
    d = only_problem(edited("    deadline: before\n", ""))
    assert where(d) == f"{DEMO}:23:5: sessions[1].deadline"
    assert "before" in d.hint and "until" in d.hint


# -- sessions and groups -----------------------------------------------------------------------


def test_copied_session_with_the_same_id() -> None:
    d = only_problem(edited("id: tahtaeg", "id: infopaev"))
    assert where(d) == f"{DEMO}:23:9: sessions[1].id"
    assert d.message == "tunnus 'infopaev' on juba kasutusel"
    assert "real 18" in d.hint


def test_group_that_is_not_declared() -> None:
    d = only_problem(
        programme("""\
            title: Demoprogramm
            summary: Lühike kokkuvõte.
            period:
              start: "2023-03"
              end: "2023-05"
            groups:
              grupp-1: 1. koolitusgrupp
            sessions:
              - id: tootuba
                kind: workshop
                group: grupp1
            """)
    )
    assert where(d) == f"{DEMO}:11:12: sessions[0].group"
    assert d.hint == "kas mõtlesid 'grupp-1'?"


# -- required fields and formats ---------------------------------------------------------------


def test_missing_title_is_reported_at_the_top_of_the_file() -> None:
    d = only_problem({"topics/koosloome.yaml": "description: Koos loomine.\n"})
    assert where(d) == "content/topics/koosloome.yaml:1:1: title"
    assert d.message == "kohustuslik väli puudub"


@pytest.mark.parametrize(
    "files, place, message",
    [
        (
            {"organisations/silab.yaml": "name: SiLab\nurl: koosloome.ee\n"},
            "content/organisations/silab.yaml:2:6: url",
            "'koosloome.ee' ei ole veebiaadress",
        ),
        (
            edited("mari@example.ee", "mari.example.ee"),
            f"{DEMO}:16:12: contacts[0].email",
            "'mari.example.ee' ei ole e-posti aadress",
        ),
    ],
    ids=["url", "email"],
)
def test_bad_url_or_email(files: dict[str, str | None], place: str, message: str) -> None:
    d = only_problem(files)
    assert where(d) == place
    assert d.message == message


# -- the content folder itself -----------------------------------------------------------------


@pytest.mark.parametrize(
    "files, place, hint",
    [
        (
            {"programmes/demo.yaml": None, "programme/demo.yaml": PROGRAMME},
            "content/programme:1:1: fail",
            "kas mõtlesid 'programmes'?",
        ),
        (
            {"programmes/demo.yaml": None, "programmes/demo.yml": PROGRAMME},
            "content/programmes/demo.yml:1:1: fail",
            "andmefailide nimi lõpeb .yaml",
        ),
        (
            {"markmed.txt": "teha: kontaktid\n"},
            "content/markmed.txt:1:1: fail",
            "lubatud: site.yaml ja kaustad programmes, topics, people, organisations",
        ),
    ],
    ids=["folder-typo", "yml", "stray-file"],
)
def test_unexpected_file_or_folder(files: dict[str, str | None], place: str, hint: str) -> None:
    d = only_problem(files)
    assert where(d) == place
    assert d.hint == hint


def test_all_problems_are_reported_at_once_in_file_order() -> None:
    broken = (
        PROGRAMME.replace("  - silab", "  - si-lab")
        .replace("kind: info_day", "kind: infopaev")
        .replace('date: "2023-03-30"', 'date: "2023-02-29"')
    )
    found = problems({"programmes/demo.yaml": broken})
    # References are checked last, yet the one on line 12 comes first.
    assert [where(d) for d in found] == [
        f"{DEMO}:12:5: organisers[0]",
        f"{DEMO}:19:11: sessions[0].kind",
        f"{DEMO}:25:11: sessions[1].date",
    ]


# -- the command line --------------------------------------------------------------------------


def test_check_prints_each_problem_with_its_hint_and_exits_1(tmp_path: Path) -> None:
    write_site(
        tmp_path, edited("kind: info_day", "kind: infoday") | {"people/mari-maasikas.yaml": None}
    )
    result = build_py("check", "--content", "content", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"{DEMO}:9:13: team[0].person: 'mari-maasikas' ei leidu kaustas people/",
        "    vihje: loo fail people/mari-maasikas.yaml või paranda tunnus",
        f"{DEMO}:14:13: contacts[0].person: 'mari-maasikas' ei leidu kaustas people/",
        "    vihje: loo fail people/mari-maasikas.yaml või paranda tunnus",
        f"{DEMO}:19:11: sessions[0].kind: 'infoday' ei ole lubatud väärtus",
        "    vihje: kas mõtlesid 'info_day'?",
        "3 viga sisus; väljundit ei muudetud.",
    ]


def test_check_of_valid_content_exits_0(tmp_path: Path) -> None:
    write_site(tmp_path)
    result = build_py("check", "--content", "content", cwd=tmp_path)
    assert (result.returncode, result.stderr) == (0, "")
    assert not (tmp_path / "output").exists()


def tree(folder: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def test_failed_build_leaves_the_previous_output_intact(tmp_path: Path) -> None:
    content = write_site(tmp_path)
    now = "--now=2023-03-01T12:00:00+02:00"
    good = build_py("build", "--content", "content", "--output", "out", now, cwd=tmp_path)
    assert good.returncode == 0, good.stderr
    before = tree(tmp_path / "out")
    assert "programmid/demo/index.html" in before

    (content / "people" / "mari-maasikas.yaml").unlink()
    (content / "topics" / "koosloome.yaml").write_text("title: Uus pealkiri\n", encoding="utf-8")
    bad = build_py("build", "--content", "content", "--output", "out", now, cwd=tmp_path)

    assert bad.returncode == 1
    assert "väljundit ei muudetud" in bad.stderr
    assert tree(tmp_path / "out") == before
    # nothing half-done; beside the output only its state folder (write.py)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".out.koosloome", "content", "out"]


@pytest.mark.parametrize(
    "args, complaint",
    [
        (["check", "--now", "2023-03-01"], "lisa ajavööndi nihe"),
        (["check", "--now", "eile"], "ei ole ISO 8601 aeg"),
        (["check", "--verbose"], "unrecognized arguments: --verbose"),
        (["kontrolli"], "invalid choice: 'kontrolli'"),
    ],
)
def test_usage_error_exits_2(tmp_path: Path, args: list[str], complaint: str) -> None:
    write_site(tmp_path)
    result = build_py(*args, cwd=tmp_path)
    assert result.returncode == 2
    assert complaint in result.stderr
    assert result.stderr.startswith("usage: build.py")


# -- Estonian wording of dates (Babel, EKI usage) ---------------------------------------------


D = PartialDate


@pytest.mark.parametrize(
    "wording, words",
    [
        ("neljapäev, 23. märts 2023", lambda: format_partial(D(2023, 3, 23))),
        ("detsember 2023", lambda: format_partial(D(2023, 12))),
        ("märts–mai 2022", lambda: format_span(D(2022, 3), D(2022, 5))),
        ("8.–16. juuni 2023", lambda: format_span(D(2023, 6, 8), D(2023, 6, 16))),
        ("20. aprill – detsember 2023", lambda: format_span(D(2023, 4, 20), D(2023, 12))),
        # Ranges across months are spaced like the mixed-precision one above (not U+2009).
        ("30. mai – 2. juuni 2023", lambda: format_span(D(2023, 5, 30), D(2023, 6, 2))),
        ("detsember 2022 – veebruar 2023", lambda: format_span(D(2022, 12), D(2023, 2))),
        ("neljapäev, 23. märts 2023", lambda: format_span(D(2023, 3, 23), D(2023, 3, 23))),
        ("enne 30. märtsi 2023", lambda: format_deadline(D(2023, 3, 30), "before")),
        ("kuni 14. veebruarini 2022", lambda: format_deadline(D(2022, 2, 14), "until")),
        ("kuni 14. maini 2022", lambda: format_deadline(D(2022, 5, 14), "until")),
        ("enne 14. mai 2022", lambda: format_deadline(D(2022, 5, 14), "before")),
        ("kell 15.00–16.30", lambda: format_time_range(dt.time(15), dt.time(16, 30))),
        ("kell 15.00", lambda: format_time_range(dt.time(15), None)),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_estonian_date_wording(wording: str, words: Callable[[], str]) -> None:
    assert words() == wording


def test_intervals_worded_as_babel_words_them() -> None:
    """format_interval fills in the locale's interval patterns itself: every span of days
    from 2023 to 2025 (ends 1-45 days and about a year later) and of months from 2021 to
    2026 must read exactly as Babel's own format_interval has them."""
    from babel.dates import format_interval as babel_interval

    first, pairs = dt.date(2023, 1, 1), []
    for start in (first + dt.timedelta(days=n) for n in range(0, 3 * 365, 2)):
        pairs += [(start, start + dt.timedelta(days=d)) for d in (1, 2, 13, 30, 45, 330, 400)]
    skeleton = dates._interval_skeleton("yMMMMd")
    months = [dt.date(year, month, 1) for year in range(2021, 2027) for month in range(1, 13)]
    for start, end in pairs:
        assert dates.format_interval(start, end, skeleton) == babel_interval(
            start, end, skeleton, locale="et"
        ), (start, end)
    skeleton = dates._interval_skeleton("yMMMM")
    for start, end in itertools.combinations(months, 2):
        assert dates.format_interval(start, end, skeleton) == babel_interval(
            start, end, skeleton, locale="et"
        ), (start, end)
    # A pattern wording more than day, month and year is left to Babel.
    assert dates._interval_patterns("yMMMEd") is None
    monday, friday = dt.date(2026, 11, 23), dt.date(2026, 11, 27)
    assert dates.format_interval(monday, friday, "yMMMEd") == babel_interval(
        monday, friday, "yMMMEd", locale="et"
    )


@pytest.mark.parametrize(
    "month, before, until",
    [
        (9, "enne 1. septembri 2023", "kuni 1. septembrini 2023"),
        (10, "enne 1. oktoobri 2023", "kuni 1. oktoobrini 2023"),
        (11, "enne 1. novembri 2023", "kuni 1. novembrini 2023"),
        (12, "enne 1. detsembri 2023", "kuni 1. detsembrini 2023"),
    ],
)
def test_deadline_genitive_of_ber_months(month: int, before: str, until: str) -> None:
    day = D(2023, month, 1)
    assert (format_deadline(day, "before"), format_deadline(day, "until")) == (before, until)


# -- one mistake, one message: no follow-on reports ----------------------------------------------


def test_empty_required_value_is_reported_at_its_key() -> None:
    d = only_problem({"people/mari-maasikas.yaml": "name:\n"})
    assert where(d) == "content/people/mari-maasikas.yaml:1:1: name"
    assert d.message == "kohustuslik väli on tühi"


def test_list_where_a_mapping_belongs_is_one_problem() -> None:
    d = only_problem(edited("  - id: tahtaeg\n", "  - tahtaeg\n  - id: x\n"))
    assert where(d).endswith(": sessions[1]")
    assert d.message.startswith("ootasin võtmete ja väärtuste kogumit")


def test_duplicate_key_names_its_full_field_path() -> None:
    d = only_problem(
        edited('    date: "2023-03-30"\n', '    date: "2023-03-30"\n    date: "2023-03-31"\n')
    )
    assert where(d) == f"{DEMO}:26:5: sessions[1].date"


def test_misspelled_required_list_is_not_also_reported_missing() -> None:
    d = only_problem(edited("sessions:\n", "sesions:\n"))
    assert where(d) == f"{DEMO}:17:1: sesions"
    assert d.hint == "kas mõtlesid 'sessions'?"


def test_missing_content_folder_is_one_problem(tmp_path: Path) -> None:
    result = build_py("check", "--content", "puudub", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.splitlines()[0] == "puudub:1:1: kaust: sisukausta ei ole olemas"
    assert "site.yaml" not in result.stderr


def test_times_are_written_as_estonians_write_them() -> None:
    assert format_time_range(dt.time(9, 5), dt.time(10, 0)) == "kell 9.05–10.00"


@pytest.mark.parametrize(
    ("date", "start", "end", "problem"),
    [
        # 26 March 2023: summer time begins, 03.00 becomes 04.00 at once
        ("2023-03-26", "03.30", "05.00", f"{DEMO}:21:17: sessions[0].start_time"),
        ("2023-03-26", "02.00", "03.15", f"{DEMO}:22:15: sessions[0].end_time"),
        # 29 October 2023: summer time ends, 03.00–03.59 happens twice
        ("2023-10-29", "03.00", "05.00", f"{DEMO}:21:17: sessions[0].start_time"),
        ("2023-10-29", "01.00", "03.59", f"{DEMO}:22:15: sessions[0].end_time"),
    ],
)
def test_clock_times_that_summer_time_skips_or_repeats_are_refused(
    date: str, start: str, end: str, problem: str
) -> None:
    found = only_problem(
        edited(
            'date: "2023-03-23"\n    start_time: "15.00"\n    end_time: "16.30"',
            f'date: "{date}"\n    start_time: "{start}"\n    end_time: "{end}"',
        )
    )
    assert where(found) == problem
    assert ("ei ole olemas" if date.endswith("26") else "kahel korral") in found.message
    assert "3.00" in found.hint


def test_the_days_checked_for_a_clock_change_are_the_days_of_the_change() -> None:
    """Validation looks closely only at days whose UTC offset changes by midnight: for
    Tallinn those must be exactly the last Sundays of March and October."""
    days = [dt.date(2020, 1, 1) + dt.timedelta(days=n) for n in range(366 * 11)]
    last_sundays = {
        max(d for d in days if d.year == year and d.month == month and d.weekday() == 6)
        for year in range(2020, 2031)
        for month in (3, 10)
    }
    assert {d for d in days if clock_changes_on(d)} == last_sundays


@pytest.mark.parametrize(
    ("date", "start", "end"),
    [("2023-03-26", "02.59", "04.00"), ("2023-10-29", "02.59", "04.00")],
)
def test_clock_times_next_to_the_summer_time_switch_are_fine(
    date: str, start: str, end: str
) -> None:
    content = load(
        edited(
            'date: "2023-03-23"\n    start_time: "15.00"\n    end_time: "16.30"',
            f'date: "{date}"\n    start_time: "{start}"\n    end_time: "{end}"',
        )
    )
    assert content.programmes[0].sessions[0].end_time == dt.time(4, 0)


def test_timed_session_before_the_calendar_time_zone_rules_is_refused() -> None:
    found = only_problem(edited('date: "2023-03-23"', 'date: "2001-03-23"'))
    assert where(found) == f"{DEMO}:20:11: sessions[0].date"
    assert "2002" in found.message


@pytest.mark.parametrize("url", ["javascript://x/%0aalert(1)/", "notaurl", "ftp://x.ee/"])
def test_base_url_on_the_command_line_must_be_a_web_address(url: str, tmp_path: Path) -> None:
    result = build_py("--content", str(write_site(tmp_path)), "--base-url", url, cwd=tmp_path)
    assert result.returncode == 2
    assert "ei ole veebiaadress" in result.stderr
    assert not (tmp_path / "output").exists()


def test_a_programme_whose_slug_starts_with_readme_is_published() -> None:
    content = load({"programmes/readme-kursus.yaml": PROGRAMME, "programmes/README.md": "x"})
    assert {p.slug for p in content.programmes} == {"demo", "readme-kursus"}


def test_a_big_site_read_on_two_cores_reports_as_one_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, forks: list[bool]
) -> None:
    """From validate.PARALLEL_FROM_FILES programme files on, a forked child reads the files
    from the last back while this process reads from the first on: the problems (and the
    content) must be the same, in the same order. This process first sleeps a moment (as
    `meanwhile`), so that the child reads the broken files at the end, not this process."""
    content = tmp_path / "content"
    shutil.copytree(ROOT / "tests" / "rich_site" / "content", content)
    programmes = sorted((content / "programmes").glob("*.yaml"))
    for path in (programmes[0], programmes[-1]):  # one in each half
        text = path.read_text("utf-8")
        path.write_text("titel: x\n" + text, "utf-8")
    (content / "programmes" / programmes[-2].name).write_text("title: [", "utf-8")

    def problems(files: int) -> list[str]:
        monkeypatch.setattr(validate, "PARALLEL_FROM_FILES", files)
        with pytest.raises(ContentError) as error:
            load_content(content, meanwhile=lambda: time.sleep(0.2))
        return [str(d) for d in error.value.diagnostics]

    serial = problems(10**9)
    assert forks == []
    assert problems(0) == serial and forks == [True]
    assert len(serial) == 3 and sum("titel" in p for p in serial) == 2


def test_a_big_site_read_on_two_cores_is_reused_whole_by_the_next_build(
    monkeypatch: pytest.MonkeyPatch, forks: list[bool]
) -> None:
    """The preview's first build reads the last of the programme files in a child;
    the next build must get back the very same objects for every file (the child's, and the
    ones read before the child began), or each later rebuild compares copies field by field
    and makes again what was made from them."""
    monkeypatch.setattr(validate, "PARALLEL_FROM_FILES", 0)
    memo: Memo[Any] = Memo()
    first = load_content(ROOT / "tests" / "rich_site" / "content", memo)
    assert forks == [True]
    memo.next_build()
    again = load_content(ROOT / "tests" / "rich_site" / "content", memo)
    assert forks == [True], "a memo that holds the files: read in one process"
    assert all(a is b for a, b in zip(first.programmes, again.programmes, strict=True))
    assert all(again.topics[slug] is topic for slug, topic in first.topics.items())
    assert again.config is first.config


def test_the_preview_lists_a_folder_again_once_a_file_is_added_or_renamed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The preview reuses the last listing of the content folders while their times are
    unchanged (and not too recent to trust): a file added, renamed or deleted must show up,
    and a problem the listing found must be reported again each time it is reused."""
    monkeypatch.setattr(validate, "RACY_NS", 0)  # the folders' times are trusted at once
    content = write_site(tmp_path, {"programmes/vana.yaml": PROGRAMME})
    memo: Memo[Any] = Memo()

    def build() -> Content | list[str]:
        time.sleep(0.02)  # a later tick of the clock that stamps the folders' times
        found: Content | list[str]
        try:
            found = load_content(content, memo)
        except ContentError as error:
            found = [str(d) for d in error.diagnostics]
        memo.next_build()
        return found

    def slugs() -> list[str]:
        built = build()
        assert isinstance(built, Content), built
        return [p.slug for p in built.programmes]

    assert slugs() == ["demo", "vana"]
    assert slugs() == ["demo", "vana"]
    (content / "programmes" / "vana.yaml").rename(content / "programmes" / "uus.yaml")
    assert slugs() == ["demo", "uus"]
    (content / "programmes" / "teine.yaml").write_text(PROGRAMME, "utf-8")
    assert slugs() == ["demo", "teine", "uus"]
    (content / "programmes" / "märkmed.txt").write_text("x", "utf-8")
    first, again = build(), build()  # listed, then the listing reused
    assert isinstance(first, list) and first == again
    assert any("märkmed.txt" in p and "ootamatu fail" in p for p in again)
    (content / "programmes" / "märkmed.txt").unlink()
    assert slugs() == ["demo", "teine", "uus"]


def test_files_are_named_as_relpath_names_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Problems name a content file relative to the working directory, as os.path.relpath
    would; the reader works each folder out once and adds the file's name."""
    (tmp_path / "a" / "b").mkdir(parents=True)
    segments = ["a", "b", "..", ".", "content", "programmes"]
    reader = validate._Reader()
    for cwd in (tmp_path, tmp_path / "a", tmp_path / "a" / "b"):
        monkeypatch.chdir(cwd)
        for parts in itertools.product(segments, repeat=3):
            for base in (Path(*parts), tmp_path / Path(*parts), Path("/")):
                path = base / "x.yaml"
                assert reader.display_file(path) == os.path.relpath(path), (cwd, path)
