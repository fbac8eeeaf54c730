#!/usr/bin/env python3
"""Feed generation at scale: every calendar file of a large site, and where the time goes.

usage: .venv/bin/python benchmarks/bench_feeds.py [--programmes 1000] [--sessions 10] [--runs 7]

Generates the neutral corpus (../shared/bench/gen_corpus.py), converts it (corpus.py), loads
and validates it once, then times `feeds.feeds()` alone, in this process, `--runs` times:
all feeds (site, per programme, per topic) and a file per session. Prints the median and
min–max, files and bytes written, events per second, and one profiled run summarised by
stage: building events with icalendar, icalendar's content lines, our folding, wording (dates
in Estonian), the rest.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import corpus
from bench_peer import GEN_CORPUS
from measure import machine, table

from koosloome_site import feeds, history, revisions
from koosloome_site.pages import in_calendar
from koosloome_site.validate import load_content

# Stages of feeds.py by the function that does them; cumulative profiled time, so each
# includes what it calls in icalendar and the standard library.
STAGES = [
    ("building events (feeds._event: icalendar properties)", "_event"),
    ("  of which wording (pages.session_summary, session_description)", "wording"),
    ("serialising (feeds._serialise: icalendar content lines)", "_serialise"),
    ("  of which folding (feeds.fold, ours)", "fold"),
    ("session history from git (revisions.session_revisions)", "session_revisions"),
]


def cumulative(stats: pstats.Stats, function: str) -> float:
    if function == "wording":
        return cumulative(stats, "session_summary") + cumulative(stats, "session_description")
    return sum(
        row[3]
        for (filename, _, name), row in stats.stats.items()  # type: ignore[attr-defined]
        if name == function and filename.endswith(("feeds.py", "revisions.py", "pages.py"))
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    p.add_argument("--programmes", type=int, default=1000)
    p.add_argument("--sessions", type=int, default=10)
    p.add_argument("--runs", type=int, default=7)
    args = p.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="bench-feeds-") as tmp:
        scratch = Path(tmp)
        neutral, content_dir = scratch / "neutral", scratch / "content"
        subprocess.run(
            [sys.executable, str(GEN_CORPUS), str(args.programmes), str(args.sessions), neutral],
            check=True,
            capture_output=True,
        )
        corpus.convert(neutral, content_dir)
        content = load_content(content_dir)
        sources = [content.config.source, *(p.source for p in content.programmes)]
        changed = history.last_changed(content_dir, sources, ZoneInfo("Europe/Tallinn"))

        def generate() -> dict[str, bytes]:
            found = revisions.session_revisions(content_dir, content.programmes, changed)
            return feeds.feeds(content, found)

        files = generate()  # warm-up: Babel's locale data, lru caches
        times = []
        for _ in range(args.runs):
            started = time.perf_counter()
            generate()
            times.append(time.perf_counter() - started)

        profile = cProfile.Profile()
        profile.enable()
        generate()
        profile.disable()

    events = sum(len(p.sessions) for p in content.programmes if p.sessions)
    in_feeds = sum(1 for p in content.programmes for s in p.sessions if in_calendar(s))
    median = statistics.median(times)
    print(f"Feed generation, {args.programmes} programmes x {args.sessions} sessions")
    print(machine())
    print(
        table(
            ["measure", "value"],
            [
                ["sessions (in feeds)", f"{events} ({in_feeds})"],
                ["files written", f"{len(files)}"],
                ["bytes written", f"{sum(map(len, files.values())) / 2**20:.1f} MiB"],
                ["median (runs)", f"{median:.3f} s ({args.runs})"],
                ["min – max", f"{min(times):.3f} – {max(times):.3f} s"],
                ["events per second", f"{in_feeds / median:,.0f}"],
            ],
        )
    )

    stats = pstats.Stats(profile)
    total = cumulative(stats, "feeds") + cumulative(stats, "session_revisions")
    rows = [
        [stage, f"{cumulative(stats, fn):.3f} s", f"{100 * cumulative(stats, fn) / total:.0f} %"]
        for stage, fn in STAGES
    ]
    rest = total - sum(cumulative(stats, fn) for _, fn in STAGES if fn != "wording")
    rest += cumulative(stats, "fold")  # counted within _serialise above
    rows.append(
        ["assembling files (sorting, joining)", f"{rest:.3f} s", f"{100 * rest / total:.0f} %"]
    )
    print("\nWhere the time goes (one run under cProfile, which slows it about 2x):")
    print(table(["stage", "time", "share"], [*rows, ["total", f"{total:.3f} s", "100 %"]]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
