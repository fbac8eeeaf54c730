#!/usr/bin/env python3
"""Time a full build of the real content as a user runs it, against the 0.5 s target.

usage: .venv/bin/python benchmarks/bench_build.py [--runs 15] [--warmup 2] [--strict]

Every run is a fresh `python build.py --content content --output TMP --now ...` process,
interpreter start-up, imports and the git history look-up included, writing a clean output
folder (a new path each run, removed afterwards and outside the timing). The figures are the
median, minimum and maximum wall time and the median peak RSS of the build process.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from measure import (
    ROOT,
    CommandError,
    Sample,
    compile_package,
    machine,
    run_checked,
    summarise,
    table,
)

TARGET_SECONDS = 0.5
NOW = "2023-03-01T12:00:00+02:00"


def build_argv(content: Path, output: Path, python: str = sys.executable) -> list[str]:
    """The command a user types, with the venv's interpreter."""
    return [python, "build.py", "--content", str(content), "--output", str(output), "--now", NOW]


def measure_builds(content: Path, runs: int, warmup: int, scratch: Path) -> list[Sample]:
    """`warmup` unmeasured builds, then `runs` measured ones, each into a clean folder."""
    samples: list[Sample] = []
    for i in range(warmup + runs):
        output = scratch / f"out-{i}"
        sample = run_checked(build_argv(content, output), scratch / f"log-{i}.txt")
        shutil.rmtree(output)
        if i >= warmup:
            samples.append(sample)
    return samples


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--runs", type=int, default=15, help="measured builds (default 15)")
    p.add_argument("--warmup", type=int, default=2, help="unmeasured builds first (default 2)")
    p.add_argument(
        "--content", type=Path, default=ROOT / "content", help="content folder (default content/)"
    )
    p.add_argument("--strict", action="store_true", help="exit 1 when the target is missed")
    args = p.parse_args(argv)
    if args.runs < 1 or args.warmup < 0:
        p.error("--runs must be at least 1 and --warmup at least 0")

    content = (Path.cwd() / args.content).resolve()
    compile_package()
    if content.is_relative_to(ROOT):
        content = content.relative_to(ROOT)  # as a user types it in the project folder
    with tempfile.TemporaryDirectory(prefix="bench-build-") as tmp:
        try:
            samples = measure_builds(content, args.runs, args.warmup, Path(tmp))
        except CommandError as error:
            print(f"build failed: {error}", file=sys.stderr)
            return 1
        last_log = samples[-1].log.read_text(encoding="utf-8").strip()

    s = summarise(samples)
    verdict = "met" if s.median < TARGET_SECONDS else "MISSED"
    print(f"Full build of {content}/ as a fresh process ({ROOT.name}, cwd {ROOT})")
    print(f"machine: {machine()}")
    print(f"build says: {last_log}")
    print(f"{s.runs} measured runs after {args.warmup} warm-up runs\n")
    print(
        table(
            ["", "median", "min", "max"],
            [
                ["wall time (s)", f"{s.median:.3f}", f"{s.minimum:.3f}", f"{s.maximum:.3f}"],
                ["CPU user+sys (s)", f"{s.median_cpu:.3f}", "", ""],
                ["peak RSS (MiB)", f"{s.median_rss_mib:.1f}", "", ""],
            ],
        )
    )
    print(
        f"\ntarget: median wall time under {TARGET_SECONDS} s -> {verdict} "
        f"({s.median / TARGET_SECONDS:.0%} of the budget)"
    )
    return 1 if args.strict and verdict != "met" else 0


if __name__ == "__main__":
    sys.exit(main())
