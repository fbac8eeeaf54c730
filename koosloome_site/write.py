"""Write the site as a whole: a new tree beside the old one, swapped in at the end.

If anything fails before the swap, the previous output folder is untouched; readers of the
folder (a preview server, rsync) see either the old site or the new one.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path, PurePosixPath

from .errors import BuildError


def check_output_folder(output: Path, protected: list[Path]) -> None:
    """Refuse an output folder whose replacement would delete content or the project."""
    target = output.resolve()
    for folder in protected:
        folder = folder.resolve()
        if target == folder or folder.is_relative_to(target):
            raise BuildError(f"väljundkaust {output} sisaldab kausta {folder}; vali teine kaust")
    if output.exists() and not output.is_dir():
        raise BuildError(f"väljund {output} on fail, mitte kaust")


def write_site(files: dict[str, bytes], output: Path) -> None:
    output = output.absolute()
    staging = output.with_name(f".{output.name}.new-{os.getpid()}")
    retired = output.with_name(f".{output.name}.old-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    try:
        for name, data in sorted(files.items()):
            target = staging / _safe(name)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        if output.exists():
            output.rename(retired)
        staging.rename(output)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        if retired.exists() and not output.exists():
            retired.rename(output)
        raise
    shutil.rmtree(retired, ignore_errors=True)


def _safe(name: str) -> PurePosixPath:
    """Only plain relative paths inside the output folder."""
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise BuildError(f"keelatud väljunditee: {name!r}")
    return path
