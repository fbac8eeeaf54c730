#!/usr/bin/env python3
"""The build engine against Hugo on the same corpus: cold, no-op, one-file edit, preview.

usage: .venv/bin/python benchmarks/bench_engine.py [--sizes 100,1000,5000] [--sessions 10]
           [--runs 5] [--edits 15] [--out benchmarks/results]

For each size N the shared corpus (../shared/bench/gen_corpus.py N SESSIONS) is generated,
converted into our content format (corpus.py) and put in a git repository (our feeds take
their revisions from git), and each tool's build is checked once (bench_peer.validate).
Then, side by side in one run, Hugo first and ours second in every pair (A B A B):

- cold: a clean build into a new folder (ours: no state folder, so no cached content; the
  compiled templates in the user's cache folder are used, as the package's compiled modules
  are: see templatecache.py);
- no-op: the same build again into that folder (Hugo has no no-op: it builds again);
- one-file edit: a session title changed in one programme file, then the same command
  (Hugo builds everything again; ours reuses its state folder: spare tree, cached content);
- warm one-file edit: the engine kept in memory as the preview keeps it (ours:
  benchmarks/warm_edits.py; Hugo: `hugo server`'s own "Total in N ms" per rebuild);
- preview save-to-served: `hugo server` and `build.py serve` running, a title changed in a
  file, the time until the page served over HTTP shows it (polled every 2 ms).
- preview start: from launching `hugo server` and `build.py serve` (one after the other)
  until each serves its home page (one run).

No output folder is deleted until the whole run is over, and the disk is synced before each
timed build: this machine's ext4 has no journal, and then the inode allocator steps over every
inode deleted in the last minute or more one by one (ext4's `recently_deleted`), so that
creating files right after deleting a big site costs about 0.5 ms each; deleting one tool's
output between runs would charge its cleanup to the next build, whichever tool's it is.

Every process is timed and its peak RSS taken with wait4 (measure.py). Reported: medians with
min-max, ratios ours / Hugo (of the medians, and the median of the pair ratios), pages per
second of the cold builds. Writes RESULTS.md (table) and engine.svg (time against N) into
--out. Ours builds with --no-search: Hugo's peer site has no search index (the figure with
it is reported too, as its own row).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from bench_build import NOW
from bench_peer import HUGO_SITE, Setup, hugo_binary, prepare, validate
from measure import (
    BUSY_DISK_US,
    ROOT,
    SETTLED_PROBES,
    Sample,
    compile_package,
    machine,
    run_checked,
    settled_disk,
)

EDIT_MARK = "Mõõdetud muudatus"


@dataclass
class Figures:
    size: int
    pages_ours: int = 0
    pages_hugo: int = 0
    written_ours: tuple[int, int] = (0, 0)  # files, bytes: what a build writes
    disk_us: float = 0.0  # creating a file, just before the pairs (measure.settled_disk)
    written_hugo: tuple[int, int] = (0, 0)
    samples: dict[str, list[Sample]] = field(default_factory=dict)
    seconds: dict[str, list[float]] = field(default_factory=dict)

    def add(self, key: str, sample: Sample) -> None:
        self.samples.setdefault(key, []).append(sample)
        self.seconds.setdefault(key, []).append(sample.wall)


def ours_argv(setup: Setup, output: Path, search: bool = False) -> list[str]:
    argv = [sys.executable, "build.py", "--content", str(setup.content)]
    argv += ["--output", str(output), "--now", NOW]
    return argv if search else [*argv, "--no-search"]


def written(folder: Path) -> tuple[int, int]:
    """The files and bytes of a built site: the two sites are not the same work."""
    sizes = [p.stat().st_size for p in folder.rglob("*") if p.is_file()]
    return len(sizes), sum(sizes)


def git_init(folder: Path) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@example.ee"}
    env |= {"GIT_COMMITTER_NAME": "b", "GIT_COMMITTER_EMAIL": "b@example.ee"}
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "corpus"]):
        subprocess.run(["git", *args], cwd=folder, env=env, check=True, capture_output=True)


def settle() -> None:
    """Before each timed build: the last one's written data goes to disk now, not during it."""
    os.sync()


def edit_one(setup: Setup, round_: int) -> None:
    """Change one session title in the same programme for both tools."""
    slug = setup.programmes[len(setup.programmes) // 2]
    for path in (
        setup.content / "programmes" / f"{slug}.yaml",
        setup.neutral / "programmes" / f"{slug}.yaml",
    ):
        text = path.read_text("utf-8")
        text = re.sub(
            r"(\n\s+title: )(?:Muudetud \d+ )?", rf"\g<1>Muudetud {round_} ", text, count=1
        )
        path.write_text(text, "utf-8")


def measure_cli(setup: Setup, figures: Figures, runs: int) -> None:
    scratch = setup.scratch
    figures.disk_us = settled_disk(scratch)
    for i in range(runs):
        hugo_out, ours_out = scratch / f"hugo-{i}", scratch / f"ours-{i}"
        env = setup.hugo_env()
        settle()
        figures.add("cold hugo", run_checked(setup.hugo_argv(hugo_out), scratch / "h.log", env=env))
        settle()
        figures.add("cold ours", run_checked(ours_argv(setup, ours_out), scratch / "o.log"))
        figures.add(
            "no-op hugo", run_checked(setup.hugo_argv(hugo_out), scratch / "h.log", env=env)
        )
        figures.add("no-op ours", run_checked(ours_argv(setup, ours_out), scratch / "o.log"))
        assert "Muudatusi pole" in (scratch / "o.log").read_text("utf-8"), "no-op build built"
        # The first build after a clean one writes the spare tree whole (write.py); an editor
        # pays that once, so the edit measured is the next one.
        edit_one(setup, 1000 + i)
        run_checked(ours_argv(setup, ours_out), scratch / "o.log")
        edit_one(setup, i)
        settle()
        figures.add("edit hugo", run_checked(setup.hugo_argv(hugo_out), scratch / "h.log", env=env))
        settle()
        figures.add("edit ours", run_checked(ours_argv(setup, ours_out), scratch / "o.log"))
        if i == 0:
            figures.pages_hugo = sum(1 for _ in hugo_out.rglob("*.html"))
            figures.pages_ours = sum(1 for _ in ours_out.rglob("*.html"))
            figures.written_hugo, figures.written_ours = written(hugo_out), written(ours_out)
    # once, outside the pairs: our cold build with the search index, as published
    figures.add(
        "cold ours with search",
        run_checked(ours_argv(setup, scratch / "s", True), scratch / "o.log"),
    )


def measure_warm(setup: Setup, figures: Figures, edits: int) -> None:
    """Ours: the engine in one process. Hugo: the rebuild times `hugo server` prints."""
    output = setup.scratch / "warm"
    script = ROOT / "benchmarks" / "warm_edits.py"
    result = subprocess.run(
        [sys.executable, str(script), str(setup.content), str(output), str(edits)],
        capture_output=True,
        text=True,
        check=True,
    )
    found = json.loads(result.stdout.strip().splitlines()[-1])
    figures.seconds["warm edit ours"] = found["edits"]
    with hugo_server(setup) as (_process, _port, log):
        for i in range(edits):
            before = log.read_text("utf-8", errors="replace").count("Total in")
            edit_one(setup, 100 + i)
            deadline = time.perf_counter() + 120
            while log.read_text("utf-8", errors="replace").count("Total in") == before:
                if time.perf_counter() > deadline:
                    raise RuntimeError("hugo server did not rebuild")
                time.sleep(0.01)
            totals = re.findall(r"Total in (\d+) ms", log.read_text("utf-8", errors="replace"))
            figures.seconds.setdefault("warm edit hugo", []).append(int(totals[-1]) / 1000)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class hugo_server:  # noqa: N801 - used as a context manager
    def __init__(self, setup: Setup) -> None:
        self.setup = setup
        self.started = 0.0  # seconds from launch until the home page answered

    def __enter__(self) -> tuple[subprocess.Popen[bytes], int, Path]:
        port = free_port()
        self.log = self.setup.scratch / "hugo-server.log"
        argv = [str(self.setup.hugo), "server", "--source", str(HUGO_SITE), "--port", str(port)]
        argv += ["--bind", "127.0.0.1", "--noBuildLock", "--disableLiveReload", "--poll", "50ms"]
        self.process = subprocess.Popen(
            argv, env=self.setup.hugo_env(), stdout=self.log.open("wb"), stderr=subprocess.STDOUT
        )
        self.started = wait_for(f"http://127.0.0.1:{port}/", "", 300)
        return self.process, port, self.log

    def __exit__(self, *_: object) -> None:
        self.process.terminate()
        self.process.wait(30)


class our_server:  # noqa: N801
    def __init__(self, setup: Setup) -> None:
        self.setup = setup
        self.started = 0.0  # seconds from launch until the home page answered

    def __enter__(self) -> int:
        port = free_port()
        argv = [sys.executable, "build.py", "serve", "--content", str(self.setup.content)]
        argv += ["--port", str(port), "--now", NOW]
        self.process = subprocess.Popen(
            argv,
            cwd=ROOT,
            stdout=(self.setup.scratch / "serve.log").open("wb"),
            stderr=subprocess.STDOUT,
        )
        self.started = wait_for(f"http://127.0.0.1:{port}/", "", 600)
        return port

    def __exit__(self, *_: object) -> None:
        self.process.terminate()
        self.process.wait(30)


def wait_for(url: str, text: str, timeout: float, pause: float = 0.002) -> float:
    """Seconds until the page at `url` answers 200 and contains `text`."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if text in response.read().decode("utf-8", "replace"):
                    return time.perf_counter() - started
        except (OSError, http.client.HTTPException):  # not up yet, or swapped mid-answer
            pass
        time.sleep(pause)
    raise RuntimeError(f"{url} never showed {text!r}")


def measure_preview(setup: Setup, figures: Figures, edits: int) -> None:
    slug = setup.programmes[len(setup.programmes) // 3]
    ours_path = setup.content / "programmes" / f"{slug}.yaml"
    hugo_path = setup.neutral / "programmes" / f"{slug}.yaml"
    hugo, ours = hugo_server(setup), our_server(setup)
    with hugo as (_, hugo_port, _log), ours as our_port:
        figures.seconds["preview start hugo"] = [hugo.started]
        figures.seconds["preview start ours"] = [ours.started]
        for i in range(edits):
            for tool, path, url in (
                ("hugo", hugo_path, f"http://127.0.0.1:{hugo_port}/programmes/{slug}/"),
                ("ours", ours_path, f"http://127.0.0.1:{our_port}/programmid/{slug}/"),
            ):
                text = path.read_text("utf-8")
                mark = f"{EDIT_MARK} {i}"
                changed = re.sub(
                    r"(\n\s+title: )(?:Mõõdetud muudatus \d+ )?", rf"\g<1>{mark} ", text, count=1
                )
                time.sleep(0.3)  # both servers idle
                path.write_text(changed, "utf-8")
                figures.seconds.setdefault(f"preview {tool}", []).append(wait_for(url, mark, 120))


def median(values: list[float]) -> float:
    return statistics.median(values)


def describe(values: list[float]) -> str:
    return f"{median(values):.3f} ({min(values):.3f}–{max(values):.3f})"


def pairs(s: dict[str, list[float]], kind: str) -> str:
    ratios = (b / a for a, b in zip(s[f"{kind} hugo"], s[f"{kind} ours"], strict=True))
    return f"pair ratio {statistics.median(ratios):.2f}"


def rss(f: Figures, key: str) -> float:
    return statistics.median(x.maxrss_kib for x in f.samples[key]) / 1024


def report(results: list[Figures], sessions: int, header: str) -> str:
    lines = [
        header,
        "",
        "| N × sessions | measurement | Hugo s | ours s | ours / Hugo | notes |",
        "|---|---|---|---|---|---|",
    ]
    for f in results:
        s = f.seconds
        cold_h, cold_o = median(s["cold hugo"]), median(s["cold ours"])
        speed = f"pages/s Hugo {f.pages_hugo / cold_h:.0f}, ours {f.pages_ours / cold_o:.0f}"
        hugo_rss, ours_rss = rss(f, "cold hugo"), rss(f, "cold ours")
        rows = [
            (
                "cold full build",
                "cold hugo",
                "cold ours",
                f"{pairs(s, 'cold')}; {speed}",
            ),
            (
                "no-op rebuild",
                "no-op hugo",
                "no-op ours",
                f"ours / Hugo's full build {median(s['no-op ours']) / cold_h:.3f}",
            ),
            (
                "one-file edit, command line",
                "edit hugo",
                "edit ours",
                pairs(s, "edit"),
            ),
            (
                "one-file edit, warm engine",
                "warm edit hugo",
                "warm edit ours",
                "Hugo: `hugo server` rebuild; ours: warm_edits.py",
            ),
            (
                "preview save → page served",
                "preview hugo",
                "preview ours",
                "polled over HTTP every 2 ms",
            ),
            (
                "preview start → home page served",
                "preview start hugo",
                "preview start ours",
                "`hugo server` / `build.py serve` launched, home page polled; one run",
            ),
        ]
        for name, h, o, note in rows:
            if h in s and o in s:
                lines.append(
                    f"| {f.size} × {sessions} | {name} | {describe(s[h])} | {describe(s[o])} | "
                    f"{median(s[o]) / median(s[h]):.3f} | {note} |"
                )
        cpu = {
            k: statistics.median(x.cpu for x in f.samples[k]) for k in ("cold hugo", "cold ours")
        }
        lines.append(
            f"| {f.size} × {sessions} | CPU time (user + system), cold build | "
            f"{cpu['cold hugo']:.3f} | {cpu['cold ours']:.3f} | "
            f"{cpu['cold ours'] / cpu['cold hugo']:.3f} | Hugo uses threads; ours a forked child |"
        )
        lines.append(
            f"| {f.size} × {sessions} | peak memory, cold build | {hugo_rss:.0f} MiB | "
            f"{ours_rss:.0f} MiB | {ours_rss / hugo_rss:.2f} | wait4 ru_maxrss |"
        )
        (files_h, bytes_h), (files_o, bytes_o) = f.written_hugo, f.written_ours
        if files_h:
            lines.append(
                f"| {f.size} × {sessions} | output written | {files_h:,} files, "
                f"{bytes_h / 1e6:.1f} MB | {files_o:,} files, {bytes_o / 1e6:.1f} MB | "
                f"{bytes_o / bytes_h:.2f} | bytes; files {files_o / files_h:.2f}× |"
            )
        lines.append(
            f"| {f.size} × {sessions} | creating a file, before the pairs | – | "
            f"{f.disk_us:.0f} µs | – | waited for {SETTLED_PROBES} probes in a row "
            f"≤ {BUSY_DISK_US:.0f} µs (measure.settled_disk) |"
        )
        if "cold ours with search" in s:
            lines.append(
                f"| {f.size} × {sessions} | cold build with the search index | – | "
                f"{describe(s['cold ours with search'])} | – | Pagefind; one run |"
            )
    return "\n".join(lines) + "\n"


def plot(results: list[Figures], path: Path) -> None:
    """Time against N, both axes logarithmic, as a small hand-written SVG."""
    import math

    series = [
        ("Hugo, cold", "cold hugo", "#444", ""),
        ("ours, cold", "cold ours", "#0b6e4f", ""),
        ("Hugo, edit (server)", "warm edit hugo", "#444", "6 4"),
        ("ours, edit (warm)", "warm edit ours", "#0b6e4f", "6 4"),
        ("ours, no-op", "no-op ours", "#b35900", "2 3"),
    ]
    sizes = [f.size for f in results]
    values = [median(f.seconds[k]) for f in results for _, k, _, _ in series if k in f.seconds]
    low, high = math.log10(min(values) / 1.5), math.log10(max(values) * 1.5)
    left, top, width, height = 70, 20, 520, 300

    def x(n: int) -> float:
        span = math.log10(max(sizes)) - math.log10(min(sizes)) or 1
        return left + width * (math.log10(n) - math.log10(min(sizes))) / span

    def y(v: float) -> float:
        return top + height * (high - math.log10(v)) / (high - low)

    parts = [
        '<svg xmlns="http://www.w3.org/2000/svg" width="820" height="370" font-family="sans-serif" font-size="12">'  # noqa: E501 - SVG markup
    ]
    parts.append(
        f'<rect x="{left}" y="{top}" width="{width}" height="{height}" fill="none" stroke="#999"/>'
    )
    for n in sizes:
        parts.append(
            f'<text x="{x(n):.0f}" y="{top + height + 18}" text-anchor="middle">{n}</text>'
        )
    for e in range(math.floor(low), math.ceil(high) + 1):
        for m in (1, 2, 5):
            v = m * 10**e
            if low <= math.log10(v) <= high:
                parts.append(
                    f'<line x1="{left}" x2="{left + width}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="#eee"/>'  # noqa: E501 - SVG markup
                )
                parts.append(
                    f'<text x="{left - 6}" y="{y(v) + 4:.1f}" text-anchor="end">{v:g} s</text>'
                )
    parts.append(
        f'<text x="{left + width / 2}" y="{top + height + 36}" text-anchor="middle">programmes (10 sessions each)</text>'  # noqa: E501 - SVG markup
    )
    for row, (label, key, colour, dash) in enumerate(series):
        points = [(x(f.size), y(median(f.seconds[key]))) for f in results if key in f.seconds]
        if not points:
            continue
        path_d = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
        parts.append(
            f'<polyline points="{path_d}" fill="none" stroke="{colour}" stroke-width="2" stroke-dasharray="{dash}"/>'  # noqa: E501 - SVG markup
        )
        for px, py in points:
            parts.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3" fill="{colour}"/>')
        ly = top + 14 + row * 18
        parts.append(
            f'<line x1="{left + width + 20}" x2="{left + width + 50}" y1="{ly}" y2="{ly}" stroke="{colour}" stroke-width="2" stroke-dasharray="{dash}"/>'  # noqa: E501 - SVG markup
        )
        parts.append(f'<text x="{left + width + 56}" y="{ly + 4}">{label}</text>')
    parts.append("</svg>")
    path.write_text("\n".join(parts) + "\n", "utf-8")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--sizes", default="100,1000,5000")
    p.add_argument("--sessions", type=int, default=10)
    p.add_argument("--runs", type=int, default=5, help="pairs of cold/no-op/edit builds")
    p.add_argument("--edits", type=int, default=15, help="warm and preview edits")
    p.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = p.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    compile_package()
    hugo = hugo_binary()
    version = subprocess.run([str(hugo), "version"], capture_output=True, text=True, check=True)
    header = (
        f"machine: {machine()}; Hugo {version.stdout.split()[1].split('-')[0]}; "
        f"`{' '.join(['benchmarks/bench_engine.py', *(argv if argv is not None else sys.argv[1:])])}`"  # noqa: E501 - SVG markup
    )
    print(header, flush=True)
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-engine-") as tmp:
        for size in sizes:
            print(f"\n{size} programmes x {args.sessions} sessions", flush=True)
            setup = prepare(size, args.sessions, hugo, Path(tmp) / f"size-{size}")
            git_init(setup.content)
            problem = validate(setup)
            if problem:
                print(f"FAILED: {problem}", file=sys.stderr)
                return 1
            figures = Figures(size)
            measure_cli(setup, figures, args.runs)
            print("  command line done", flush=True)
            measure_warm(setup, figures, args.edits)
            print("  warm engine done", flush=True)
            measure_preview(setup, figures, args.edits)
            print("  preview done", flush=True)
            results.append(figures)
            partial = report(results, args.sessions, header)
            print(partial, flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "RESULTS.md").write_text(report(results, args.sessions, header), "utf-8")
    plot(results, args.out / "engine.svg")
    print(f"written: {args.out / 'RESULTS.md'}, {args.out / 'engine.svg'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
