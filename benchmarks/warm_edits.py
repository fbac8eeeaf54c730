#!/usr/bin/env python3
"""The build engine kept warm, as the preview keeps it: one-file edits timed in one process.

usage: .venv/bin/python benchmarks/warm_edits.py CONTENT OUTPUT EDITS

Builds CONTENT once with a memo (koosloome_site/memo.py), then EDITS times: changes one
session title in one programme file (a different file each time, as an editor moves on) and
builds again with the same memo into the same output folder, told which file was saved, as
the preview's file watcher tells it. After each build, untimed, the writer's spare tree is
filled as the preview fills it while the editor reads (write.fill_spare). Prints one JSON
line: the first build's seconds, each fill's seconds, and each edit's build seconds and
files written. bench_engine.py runs it.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from koosloome_site import pipeline, write
from koosloome_site.memo import BuildMemo

NOW = dt.datetime.fromisoformat("2023-03-01T12:00:00+02:00")


def main() -> int:
    content, output, edits = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
    memo = BuildMemo()
    memo.writer.private = True  # as the preview's (serve.py): its output folder is its own
    started = time.perf_counter()
    pipeline.build(content, output, now=NOW, memo=memo, trusted_output=True, search_index=False)
    first = time.perf_counter() - started
    fills = [fill(output, memo)]
    files = sorted((content / "programmes").glob("*.yaml"))
    times: list[float] = []
    written: list[int] = []
    originals: dict[Path, str] = {}
    for i in range(edits):
        path = edit_one(files, i, originals)
        started = time.perf_counter()
        report = pipeline.build(
            content,
            output,
            now=NOW,
            memo=memo,
            trusted_output=True,
            search_index=False,
            touched={str(path)},  # as the preview's file watcher reports the save
        )
        times.append(time.perf_counter() - started)
        written.append(report.written)
        fills.append(fill(output, memo))
    for path, text in originals.items():
        path.write_text(text, "utf-8")
    print(json.dumps({"first": first, "fills": fills, "edits": times, "written": written}))
    return 0


def edit_one(files: list[Path], i: int, originals: dict[Path, str]) -> Path:
    """The i-th edit: one session title in one file (a different one each time, as an
    editor moves on); `originals` keeps each file's text as it was, to put back."""
    path = files[(i * 7919) % len(files)]
    text = originals.setdefault(path, path.read_text("utf-8"))
    path.write_text(text.replace("  title: ", f"  title: Muudetud {i} ", 1), "utf-8")
    return path


def fill(output: Path, memo: BuildMemo) -> float:
    started = time.perf_counter()
    write.fill_spare(output, memo.writer, lambda: False)
    return time.perf_counter() - started


if __name__ == "__main__":
    sys.exit(main())
