#!/usr/bin/env python3
"""Instructions a warm one-file edit (or, with --cold, a cold build) costs, counted by
callgrind: the same count for the same code and content whatever else the machine does, where
a change worth a few percent of a build is lost in the seconds (see "Instructions counted" in
README.md).

usage: .venv/bin/python benchmarks/warm_instructions.py CONTENT TREE [TREE ...] [--edits N]
           [--cold]

CONTENT is a content folder in git (bench_engine.py's converted corpus, say). For each TREE
(a checkout of this project: a worktree of another commit, or `.`), side by side, one
process each under `valgrind --tool=callgrind`, on a copy of CONTENT: the build of
warm_edits.py with its memo, in one process (the forked children would count their parent's
work), two edits to settle, then N edits (warm_edits.edit_one's) counted. Prints each tree's
instructions per edit and its ratio to the first tree's. Needs Debian's valgrind.

--cold counts a command-line build into a new folder instead (cli._build's: no state, the
loaded content saved for the next build), in one process: what a cold build's two cores
share between them, without what running on two costs (the forks' copy-on-write, the
loading child's answer pickled and unpickled).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def counted(tree: Path, content: Path, output: Path, edits: int) -> None:
    """In the process under callgrind: warm up, zero the counters, edit, dump them."""
    sys.path[:0] = [str(tree), str(HERE)]
    from koosloome_site import pipeline, validate
    from koosloome_site.memo import BuildMemo

    # isort: split
    # (after the tree's modules: warm_edits puts this checkout first on sys.path)
    from warm_edits import NOW, edit_one, fill

    pipeline.PARALLEL_FROM_SESSIONS = validate.PARALLEL_FROM_FILES = sys.maxsize
    memo = BuildMemo()
    memo.writer.private = True
    files = sorted((content / "programmes").glob("*.yaml"))
    originals: dict[Path, str] = {}

    def build(touched: set[str] | None = None) -> None:
        pipeline.build(
            content, output, now=NOW, memo=memo, trusted_output=True, search_index=False,
            touched=touched,
        )  # fmt: skip
        fill(output, memo)

    build()
    for i in (edits, edits + 1):  # the first edits settle the memo's entries
        build({str(edit_one(files, i, originals))})
    _callgrind("--zero")
    for i in range(edits):
        build({str(edit_one(files, i, originals))})
    _callgrind("--dump")


def counted_cold(tree: Path, content: Path, output: Path) -> None:
    """In the process under callgrind: one cold build, as the command line makes it."""
    sys.path[:0] = [str(tree), str(HERE)]
    from koosloome_site import memo, pipeline, uptodate, validate

    # isort: split
    from warm_edits import NOW

    pipeline.PARALLEL_FROM_SESSIONS = validate.PARALLEL_FROM_FILES = sys.maxsize
    state, code = uptodate.state_folder(output), ("cold",)
    _callgrind("--zero")
    pipeline.build(
        content, output, now=NOW, search_index=False, memo=memo.load(state, code),
        loaded=lambda used: memo.save(used, state, code),
    )  # fmt: skip
    _callgrind("--dump")


def _callgrind(command: str) -> None:
    """Zero or dump this process's counters (it runs under callgrind)."""
    subprocess.run(
        ["callgrind_control", command, str(os.getpid())], check=True, capture_output=True
    )


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("content", type=Path)
    p.add_argument("trees", type=Path, nargs="*")
    p.add_argument("--edits", type=int, default=8)
    p.add_argument("--cold", action="store_true", help="count a cold build instead")
    # the process under callgrind: its tree and output folder
    p.add_argument("--counted", type=Path, nargs=2, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.counted:
        tree, output = args.counted
        if args.cold:
            counted_cold(tree, args.content, output)
        else:
            counted(tree, args.content, output, args.edits)
        return 0
    if not args.trees:
        p.error("name at least one TREE")
    with tempfile.TemporaryDirectory(prefix="warm-instructions-") as tmp:
        running = []
        for n, tree in enumerate(args.trees):
            place = Path(tmp) / str(n)
            shutil.copytree(args.content, place / "content", symlinks=True)
            argv = [
                "valgrind", "--tool=callgrind", f"--callgrind-out-file={place}/cg.out",
                sys.executable, __file__, str(place / "content"), "--edits", str(args.edits),
                "--counted", str(tree.resolve()), str(place / "out"),
                *(["--cold"] if args.cold else []),
            ]  # fmt: skip
            log = (place / "valgrind.log").open("w")
            running.append((tree, place, subprocess.Popen(argv, stdout=log, stderr=log)))
        first = None
        for tree, place, process in running:
            if process.wait() != 0:
                print((place / "valgrind.log").read_text(), file=sys.stderr)
                return 1
            # The dump asked for after the edits: cg.out.1 (cg.out is what came after it).
            totals = (place / "cg.out.1").read_text().split("\ntotals: ")[1].split()[0]
            if args.cold:
                count, what = int(totals), "a cold build"
            else:
                count, what = int(totals) / args.edits, "an edit"
            first = first or count
            print(f"{tree}: {count / 1e6:.1f}M instructions {what} ({count / first:.3f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
