"""Whether the output folder already holds what a build would write, without building.

A successful command-line build records, in the output's state folder (write.py), what it was
made from: every file under the content folder (but hidden ones, which the loader skips: a
`.git` folder, an editor's swap file), the templates folder and this program (name,
size, modification and change time, inode), git's HEAD, the options and SOURCE_DATE_EPOCH,
and the window of "now" in which its pages stay true (pipeline.py: until the next midnight
or the next end of a session, whichever is first). The next build with the same record and a
"now" inside that window has nothing to do, and says so after reading a few thousand file
times: no YAML, templates or git. Anything else, or any doubt, builds.

This module imports only a few standard modules, so that the answer comes before the build's
heavy imports (a no-op build takes about as long as Python's own start-up).
"""

from __future__ import annotations

import datetime as dt
import os
import pickle
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
RECORD = "inputs.pickle"


def state_folder(output: Path) -> Path:
    """Beside the output folder: its spare tree, its record and the cache (write.py)."""
    return output.absolute().with_name(f".{output.name}.koosloome")


def inputs(content: Path, templates: Path, options: tuple[object, ...]) -> tuple[object, ...]:
    """Everything a build reads, as cheaply comparable values."""
    return (
        _files(content, hidden=False),  # the loader skips hidden files: .git, .DS_Store
        _files(templates),
        _files(PACKAGE),
        head_key(content),
        os.environ.get("SOURCE_DATE_EPOCH", ""),
        str(content.resolve()),
        options,
    )


def up_to_date(output: Path, state: Path, found: tuple[object, ...], now: dt.datetime) -> bool:
    try:
        with (state / RECORD).open("rb") as file:
            record = pickle.load(file)
        here = output.lstat()
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ValueError):
        return False
    # {"inputs", "output": (device, inode) of the folder it wrote, "from", "until"}
    return (
        isinstance(record, dict)
        and record.get("inputs") == found
        and record.get("output") == (here.st_dev, here.st_ino)
        and record["from"] <= now < record["until"]
    )


def remember(
    output: Path, state: Path, found: tuple[object, ...], now: dt.datetime, until: dt.datetime
) -> None:
    here = output.lstat()
    record = {"inputs": found, "output": (here.st_dev, here.st_ino), "from": now, "until": until}
    scratch = state / f"{RECORD}.{os.getpid()}"
    scratch.write_bytes(pickle.dumps(record, protocol=pickle.HIGHEST_PROTOCOL))
    scratch.replace(state / RECORD)


def forget(state: Path) -> None:
    """Drop the record: the output folder is about to change (write.Writer.commit)."""
    (state / RECORD).unlink(missing_ok=True)


def head_key(root: Path) -> tuple[str, ...] | None:
    """Where git's HEAD is for `root`, read from the repository's own files (no process): it
    changes with every commit, checkout, merge or reset. None outside a repository."""
    here = root.resolve()
    for folder in (here, *here.parents):
        dotgit = folder / ".git"
        if dotgit.exists():
            break
    else:
        return None
    try:
        if dotgit.is_file():  # a worktree or submodule: "gitdir: <path>"
            gitdir = (folder / dotgit.read_text().partition("gitdir:")[2].strip()).resolve()
            common = gitdir / "commondir"
            common = (gitdir / common.read_text().strip()).resolve() if common.exists() else gitdir
        else:
            gitdir = common = dotgit
        head = (gitdir / "HEAD").read_text().strip()
        target = ""
        if head.startswith("ref: "):
            name = head.removeprefix("ref: ")
            ref = common / name
            if ref.exists():
                target = ref.read_text().strip()
            else:
                packed = (common / "packed-refs").read_text()
                target = next((line for line in packed.splitlines() if line.endswith(name)), "")
    except OSError:
        return None
    return str(gitdir), head, target


def _files(folder: Path, hidden: bool = True) -> tuple[tuple[str, int, int, int, int], ...]:
    found = []
    for root, folders, names in os.walk(folder):
        folders[:] = sorted(
            f for f in folders if f != "__pycache__" and (hidden or not f.startswith("."))
        )
        for name in sorted(names):
            if not hidden and name.startswith("."):
                continue
            path = os.path.join(root, name)  # noqa: PTH118 - os.walk gives strings; kept fast
            stat = os.lstat(path)
            found.append((path, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino))
    return tuple(found)
