"""Compiled templates, kept as Python keeps compiled modules: in memory for the process's
later builds (the live preview) and on disk for later processes.

Compiling the page templates took 80-145 ms of every `build.py` run on this machine, a fifth
of the real content's build; loading them compiled takes 5 ms. The files live in the user's
cache folder (`$XDG_CACHE_HOME/koosloome-site/templates/`, by default under `~/.cache/`), not
beside the templates, whose every file the no-op check and the pages' memo compare. Jinja
checks each template's source checksum on loading, so an edited template is compiled again;
the file name also takes in the template's path, the Jinja and Python versions and the
environment's options, which change what the same source compiles to. The folder can be
deleted at any time, and a build that cannot write there simply compiles: the output is
the same either way.
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
from pathlib import Path

import jinja2
from jinja2.bccache import Bucket


def default_folder() -> Path | None:
    """The user's cache folder for compiled templates; None when there is no home."""
    try:
        cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    except RuntimeError:  # no home directory to be found
        return None
    return Path(cache) / "koosloome-site" / "templates"


class TemplateCache(jinja2.BytecodeCache):
    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder
        self.code: dict[str, bytes] = {}

    def get_bucket(
        self, environment: jinja2.Environment, name: str, filename: str | None, source: str
    ) -> Bucket:
        # What else makes the same source compile differently (Jinja's own header of the
        # cached code holds its bytecode format and Python's major and minor version).
        flavour = (
            self.get_cache_key(name, filename),
            jinja2.__version__,
            sys.version,
            environment.autoescape,
            environment.trim_blocks,
            environment.lstrip_blocks,
            environment.keep_trailing_newline,
            environment.newline_sequence,
            sorted(environment.extensions),
            getattr(environment, "code_form", None),  # what our own compile step changes
        )
        key = hashlib.sha256(repr(flavour).encode()).hexdigest()
        bucket = Bucket(environment, key, self.get_source_checksum(source))
        self.load_bytecode(bucket)
        return bucket

    def load_bytecode(self, bucket: Bucket) -> None:
        code = self.code.get(bucket.key)
        if code is None and self.folder is not None:
            try:
                code = self.code[bucket.key] = (self.folder / bucket.key).read_bytes()
            except OSError:  # not cached yet, or no cache folder
                return
        if code is not None:
            bucket.bytecode_from_string(code)  # Jinja ignores it if the source changed (and
            # dump_bytecode replaces it)

    def dump_bytecode(self, bucket: Bucket) -> None:
        code = self.code[bucket.key] = bucket.bytecode_to_string()
        if self.folder is None:
            return
        # Written whole, then renamed into place: another build may be reading it. A
        # read-only home or a full disk only means compiling again next time.
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(dir=self.folder)
        except OSError:
            return
        written = Path(name)
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(code)
            written.replace(self.folder / bucket.key)
        except OSError:
            written.unlink(missing_ok=True)


TEMPLATE_CACHE = TemplateCache(default_folder())
