"""Feeds made on the second core give the same bytes as feeds made in place.

Each check runs in a fresh interpreter: forking is only used while a process has one thread,
and a test process may have others (the preview tests start servers).
"""

from __future__ import annotations

import filecmp
import subprocess
import sys
from pathlib import Path

from tests.tools import REPO


def python(code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


def test_work_runs_in_another_process_and_errors_come_back() -> None:
    assert (
        python(
            "import os; from koosloome_site import background;"
            "print(background.start(os.getpid, worth_it=True)() != os.getpid())"
        )
        == "True"
    )
    assert (
        python(
            "from koosloome_site import background\n"
            "try: background.start(lambda: 1 / 0, worth_it=True)()\n"
            "except ZeroDivisionError: print('raised')"
        )
        == "raised"
    )
    assert python(  # killed: a child that cannot answer is an error, not a silent None
        "import os, signal; from koosloome_site import background\n"
        "try: background.start(lambda: os.kill(os.getpid(), signal.SIGKILL), worth_it=True)()\n"
        "except RuntimeError as error: print(error)"
    ).endswith("(kood -9)")


def test_what_a_child_sends_arrives_while_it_works(tmp_path: Path) -> None:
    """The loading child sends each programme as it is made, so that this process takes it
    in between its own files: the things must come whole and in order before the child is
    done (here it waits to be told they arrived), and what the work returns still comes
    last. Without a child, what the work sends arrives as it is."""
    told = tmp_path / "arrived"
    code = (
        f"import os, time; from koosloome_site import background; told = {str(told)!r}\n"
        "outbox = background.Outbox()\n"
        "things = [(i, 'ä' * 3000 * i) for i in range(5)]  # the last ones span pages\n"
        "def work():\n"
        "    for thing in things: outbox.send(thing)\n"
        "    for _ in range(1000):  # until this process has them all\n"
        "        if os.path.exists(told): break\n"
        "        time.sleep(0.01)\n"
        "    outbox.send('after')\n"
        "    return os.getpid()\n"
        "result = background.start(work, worth_it=True)\n"
        "early = []\n"
        "for _ in range(1000):\n"
        "    early += outbox.arrived()\n"
        "    if len(early) >= len(things): break\n"
        "    time.sleep(0.01)\n"
        "open(told, 'w').close()\n"
        "child = result()\n"
        "print(early == things, child != os.getpid(), outbox.arrived(), outbox.arrived())\n"
        "here = background.Outbox()\n"
        "result = background.start(lambda: here.send('kept'), worth_it=False)\n"
        "print(here.arrived(), result(), here.arrived())"
    )
    out = python(code).split("\n")
    assert out[0] == "True True ['after'] []"
    assert out[1] == "[] None ['kept']"


def build_with_threshold(output: Path, threshold: int) -> None:
    python(
        "import datetime as dt; from pathlib import Path; from koosloome_site import pipeline;"
        f"pipeline.PARALLEL_FROM_SESSIONS = {threshold};"
        f"pipeline.build(Path('content'), Path({str(output)!r}),"
        " now=dt.datetime.fromisoformat('2023-03-01T12:00:00+02:00'))"
    )


def test_shares_go_to_both_processes_none_twice_and_none_left() -> None:
    """Two processes taking the numbers as they get to them, each slowed down now and then:
    between them every number once, and the child's from the back."""
    code = (
        "import time; from koosloome_site import background\n"
        "shares = background.Shares(2000)\n"
        "def theirs():\n"
        "    taken = []\n"
        "    for i in shares.back():\n"
        "        taken.append(i)\n"
        "        if i % 97 == 0: time.sleep(0.001)\n"
        "    return taken\n"
        "result = background.start(theirs, worth_it=True)\n"
        "ours = []\n"
        "for i in shares.front():\n"
        "    ours.append(i)\n"
        "    if i % 89 == 0: time.sleep(0.001)\n"
        "theirs = result()\n"
        "assert sorted(ours + theirs) == list(range(2000)), 'each once'\n"
        "assert ours == list(range(len(ours))), 'ours from the front'\n"
        "assert theirs == list(range(1999, 1999 - len(theirs), -1)), 'theirs from the back'\n"
        "print(bool(ours), bool(theirs))"
    )
    assert python(code) == "True True"
    capped = (
        "from koosloome_site import background\n"
        "shares = background.Shares(10, most_from_back=3)\n"
        "print(list(shares.back()), list(shares.front()))"
    )
    assert python(capped) == "[9, 8, 7] [0, 1, 2, 3, 4, 5, 6]"


def test_parallel_and_serial_builds_are_byte_identical(tmp_path: Path) -> None:
    build_with_threshold(tmp_path / "parallel", 0)
    build_with_threshold(tmp_path / "serial", 10**9)
    files = sorted(
        str(p.relative_to(tmp_path / "serial"))
        for p in (tmp_path / "serial").rglob("*")
        if p.is_file()
    )
    _, mismatch, errors = filecmp.cmpfiles(
        tmp_path / "parallel", tmp_path / "serial", files, shallow=False
    )
    assert (mismatch, errors) == ([], [])
    assert any(name.endswith(".ics") for name in files)
