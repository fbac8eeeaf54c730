"""Whole-process measurements shared by the benchmark scripts.

Each command runs as a fresh child process started with `os.posix_spawn` and reaped with
`os.wait4`, which returns that one child's own resource usage: its peak resident set size
(`ru_maxrss`, which on Linux also covers the grandchildren it waited for, such as `git`) and its
CPU time. `resource.getrusage(RUSAGE_CHILDREN)` cannot give this: its `ru_maxrss` is the maximum
over every child ever reaped, so a delta between two calls says nothing about one run.
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Sample:
    """One run of one command."""

    wall: float  # seconds, from spawn to reaped
    maxrss_kib: int  # peak resident set size of the child, KiB (Linux unit)
    cpu: float  # user + system seconds of the child (and the children it reaped)
    exit_code: int
    log: Path  # stdout and stderr of the run


def compile_package() -> None:
    """Write the package's bytecode, as an installed Python program has it. Python writes
    it itself on the first run, unless PYTHONDONTWRITEBYTECODE is set (as on the machines
    these figures come from); then every measured run would compile the whole package from
    source again (40-60 ms) and measure the environment, not the build."""
    import compileall

    compileall.compile_dir(ROOT / "koosloome_site", quiet=1)


# Creating an empty file, microseconds, above which the disk is taken to be still busy with
# files deleted minutes ago (ext4 without a journal steps over each of them, 100-650 us a
# file in the minutes after a benchmark deleted its outputs: see benchmarks/README.md).
# Settled, this machine's ext4 takes 11-35 us, tmpfs 5-10; on a slower day (2026-11-27, Hugo's
# cold build 2.7 times as long) it took 40-54 us settled.
BUSY_DISK_US = 60.0
# A probe can pass inside the busy minutes: after 268,000 files were deleted (2026-11-28),
# probes of 2,000 files took 28-86 us for the first 90 s, then 118-404 us until about 6 min,
# then 11-24 us. So the disk counts as settled only when this many probes in a row, PROBE_GAP
# seconds apart, each pass.
SETTLED_PROBES = 4
PROBE_GAP = 15.0


def settled_disk(folder: Path, patience: float = 900.0, files: int = 2000) -> float:
    """Wait until creating files in `folder` is as quick as it gets on this disk; returns
    the median microseconds per file of the passing probes. Each probe makes `files` empty
    files in a new subfolder, left for the caller's cleanup (deleting them would be what it
    waits out). Gives up, saying so, after `patience` seconds."""
    started, attempt = time.monotonic(), 0
    passed: list[float] = []
    while True:
        attempt += 1
        probe = folder / f"disk-probe-{attempt}"
        probe.mkdir(parents=True)
        start = time.perf_counter()
        for i in range(files):
            os.close(os.open(probe / str(i), os.O_WRONLY | os.O_CREAT, 0o644))
        per_file = (time.perf_counter() - start) / files * 1e6
        passed = [*passed, per_file] if per_file <= BUSY_DISK_US else []
        if len(passed) == SETTLED_PROBES:
            return statistics.median(passed)
        waited = time.monotonic() - started
        if waited >= patience:
            print(f"  disk still busy after {waited:.0f} s ({per_file:.0f} us a file)", flush=True)
            return per_file
        if not passed:
            print(f"  disk busy: {per_file:.0f} us a file; waiting", flush=True)
        time.sleep(PROBE_GAP)


class CommandError(RuntimeError):
    """A measured command exited non-zero; the message quotes its output."""


def run(
    argv: Sequence[str],
    log: Path,
    cwd: Path = ROOT,
    env: Mapping[str, str] | None = None,
) -> Sample:
    """Run `argv` once as a new process and measure it. Output goes to `log`."""
    executable = shutil.which(argv[0]) if os.sep not in argv[0] else argv[0]
    if executable is None:
        raise FileNotFoundError(argv[0])
    log.parent.mkdir(parents=True, exist_ok=True)
    actions = [
        (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
        (os.POSIX_SPAWN_OPEN, 1, str(log), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644),
        (os.POSIX_SPAWN_DUP2, 1, 2),
    ]
    previous = Path.cwd()
    os.chdir(cwd)  # posix_spawn has no cwd argument on Python 3.11
    try:
        started = time.perf_counter()
        pid = os.posix_spawn(
            executable, list(argv), dict(os.environ if env is None else env), file_actions=actions
        )
        _, status, usage = os.wait4(pid, 0)
        wall = time.perf_counter() - started
    finally:
        os.chdir(previous)
    return Sample(
        wall=wall,
        maxrss_kib=usage.ru_maxrss,
        cpu=usage.ru_utime + usage.ru_stime,
        exit_code=os.waitstatus_to_exitcode(status),
        log=log,
    )


def run_checked(
    argv: Sequence[str],
    log: Path,
    cwd: Path = ROOT,
    env: Mapping[str, str] | None = None,
) -> Sample:
    """`run`, raising CommandError with the command's output when it exits non-zero."""
    sample = run(argv, log, cwd, env)
    if sample.exit_code != 0:
        output = log.read_text(encoding="utf-8", errors="replace").strip()
        raise CommandError(
            f"exit {sample.exit_code}: {' '.join(argv)}\n(cwd {cwd})\n{output or '(no output)'}"
        )
    return sample


@dataclass(frozen=True)
class Summary:
    runs: int
    median: float
    minimum: float
    maximum: float
    median_rss_mib: float
    median_cpu: float


def summarise(samples: Sequence[Sample]) -> Summary:
    walls = [s.wall for s in samples]
    return Summary(
        runs=len(samples),
        median=statistics.median(walls),
        minimum=min(walls),
        maximum=max(walls),
        median_rss_mib=statistics.median(s.maxrss_kib for s in samples) / 1024,
        median_cpu=statistics.median(s.cpu for s in samples),
    )


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A plain-text table, first column left-aligned, the rest right-aligned."""
    widths = [max(len(str(c)) for c in column) for column in zip(headers, *rows, strict=True)]

    def line(cells: Sequence[str]) -> str:
        parts = [
            cell.ljust(width) if i == 0 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(headers), rule, *(line(r) for r in rows)])


def machine() -> str:
    """One line describing where the figures come from."""
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    py = ".".join(str(v) for v in sys.version_info[:3])
    return f"{os.cpu_count()} CPUs, load average {load}, Python {py}, {sys.platform}"
