#!/usr/bin/env python3
"""What the per-session "add to calendar" costs a cold build, side by side with Hugo.

usage: .venv/bin/python benchmarks/feature_cost.py [--size 1000] [--sessions 10] [--runs 6]

A programme page offers, for each dated session, a one-off copy of it: links that add it to
Google Calendar, Outlook.com and Microsoft 365, and a downloadable `.ics` file of its own
(calendar_links.py, feeds.py). Hugo's peer site has nothing like it, and at 10 sessions per
programme it is ten thousand files and a third of the HTML at 1,000 programmes. This times
cold builds of bench_engine.py's corpus, alternating in each round: Hugo, ours as `build.py`
runs, and ours without that one feature (the same command through `--build-without`: no such
links and no per-session files; the feeds, pages and link check as ever). Printed: medians,
min-max, CPU, files and bytes written, and each build's ratio to Hugo's (of the medians, and
the median of the round-by-round ratios).
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from measure import Sample

ROOT = Path(__file__).resolve().parent.parent
VARIANTS = ("Hugo", "ours", "ours without")


def build_without(argv: list[str]) -> int:
    """`build.py ARGV` with no per-session "add to calendar": runs in this process."""
    sys.path.insert(0, str(ROOT))
    gc.disable()  # as build.py
    from koosloome_site import cli, feeds, pages, urls
    from koosloome_site.model import Programme
    from koosloome_site.revisions import Revision
    from koosloome_site.write import Data

    pages._add_links = lambda *_: None  # no links, so no link to a session's own file
    with_session_files = feeds._programme_files

    def programme_feed_only(
        programme: Programme,
        base: str,
        revisions: dict[str, Revision],
        earlier: Iterable[Any] = (),
    ) -> tuple[list[Any], dict[str, Data]]:
        entries, files = with_session_files(programme, base, revisions, earlier)
        feed = urls.programme_feed(programme.slug)
        return entries, {feed: files[feed]}

    feeds._programme_files = programme_feed_only
    code = cli.main(argv)
    sys.stdout.flush()
    os._exit(code)  # as build.py


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--size", type=int, default=1000, help="programmes (1000)")
    p.add_argument("--sessions", type=int, default=10, help="sessions per programme (10)")
    p.add_argument("--runs", type=int, default=6, help="rounds of the three builds (6)")
    args = p.parse_args(argv)
    # Here, not at the top: `--build-without` is timed, and imports only what build.py does.
    from bench_engine import git_init, ours_argv, settle, written
    from bench_peer import hugo_binary, prepare, validate
    from measure import compile_package, machine, run_checked, settled_disk

    compile_package()
    hugo = hugo_binary()
    version = subprocess.run([str(hugo), "version"], capture_output=True, text=True, check=True)
    print(f"machine: {machine()}; Hugo {version.stdout.split()[1].split('-')[0]}", flush=True)
    samples: dict[str, list[Sample]] = {name: [] for name in VARIANTS}
    sizes: dict[str, tuple[int, int]] = {}
    with tempfile.TemporaryDirectory(prefix="feature-cost-") as tmp:
        setup = prepare(args.size, args.sessions, hugo, Path(tmp))
        git_init(setup.content)
        problem = validate(setup)
        if problem:
            print(f"FAILED: {problem}", file=sys.stderr)
            return 1
        settled_disk(setup.scratch)
        for i in range(args.runs):
            # No output is deleted before the end (see bench_engine.py: ext4 and deletions).
            outputs = {name: setup.scratch / f"{name.replace(' ', '-')}-{i}" for name in VARIANTS}
            ours = ours_argv(setup, outputs["ours"])
            without = ours_argv(setup, outputs["ours without"])
            commands = {
                "Hugo": (setup.hugo_argv(outputs["Hugo"]), setup.hugo_env()),
                "ours": (ours, None),
                "ours without": (
                    [sys.executable, __file__, "--build-without", *without[2:]],
                    None,
                ),
            }
            for name, (command, env) in commands.items():
                settle()
                samples[name].append(run_checked(command, setup.scratch / "log", env=env))
            print(
                f"  round {i + 1}: "
                + ", ".join(f"{name} {samples[name][-1].wall:.2f} s" for name in VARIANTS),
                flush=True,
            )
            if i == 0:
                sizes = {name: written(folder) for name, folder in outputs.items()}
    print(f"\n{args.size} programmes x {args.sessions} sessions, {args.runs} rounds\n")
    print(report(samples, sizes))
    return 0


def report(samples: dict[str, list[Sample]], sizes: dict[str, tuple[int, int]]) -> str:
    from measure import table

    hugo = statistics.median(s.wall for s in samples["Hugo"])
    rows = []
    for name in VARIANTS:
        walls = [s.wall for s in samples[name]]
        ratios = [
            ours.wall / peer.wall for peer, ours in zip(samples["Hugo"], samples[name], strict=True)
        ]
        files, size = sizes[name]
        rows.append(
            [
                name,
                f"{statistics.median(walls):.2f}",
                f"{min(walls):.2f}-{max(walls):.2f}",
                f"{statistics.median(s.cpu for s in samples[name]):.2f}",
                f"{files}",
                f"{size / 1e6:.1f}",
                f"{statistics.median(walls) / hugo:.2f}",
                f"{statistics.median(ratios):.2f}",
            ]
        )
    headers = ["cold build", "median s", "min-max s", "CPU s", "files", "MB", "/ Hugo", "pairs"]
    return table(headers, rows)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--build-without"]:
        sys.exit(build_without(sys.argv[2:]))
    sys.exit(main())
