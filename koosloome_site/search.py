"""The static search index (Pagefind), made from the rendered pages in memory.

Only pages that mark their content with `data-pagefind-body` (programmes, topics) are indexed;
the index files join the site's other outputs, so the write stays one atomic step.

We speak Pagefind's service protocol (`pagefind --service`: base64 JSON messages, each ended
by a comma, on stdin and stdout) directly, with the binary from the `pagefind_bin` package.
Pagefind's own Python client does the same over asyncio but polls its pipe with a 0.1 s
sleep per answer: 24 pages took 2.7 s with it and 0.05 s like this, and a 1,000-programme
site would spend minutes waiting. Each page goes to Pagefind as soon as it is rendered,
without waiting for the answer, so that Pagefind indexes it on the other core meanwhile;
only the index itself (`GetFiles`) is made after the last page.
"""

from __future__ import annotations

import base64
import contextlib
import importlib.util
import json
import os
import queue
import re
import shutil
import subprocess
import threading
from collections.abc import Mapping
from typing import Any

from . import urls
from .errors import BuildError
from .model import SiteConfig

MARKER = b"data-pagefind-body"
# Cut before indexing what Pagefind would skip anyway: structured data and the elements our
# templates mark data-pagefind-ignore (never nested in one another: "add to calendar" blocks,
# the subscribe box, the timeline). A programme page of 53 KB becomes about 14 KB, and the
# indexing time shrinks with it. Where such an element starts; it ends at its end tag.
_SKIPPED_START = re.compile(
    rb'<(?:script type="application/ld\+json"'
    rb"|(details|section|figure)\b[^>]*\bdata-pagefind-ignore\b[^>]*)>"
)


def without_skipped(html: bytes) -> bytes:
    """`html` without the elements Pagefind would skip. Each is found by its start tag and
    cut at its end tag, found with `bytes.find`: one regular expression matching the whole
    element took eight times as long (0.7 s at 1,000 programmes, on the core that renders)."""
    parts, kept_from = [], 0
    for start in _SKIPPED_START.finditer(html):
        if start.start() < kept_from:  # within an element already cut
            continue
        end_tag = b"</" + (start.group(1) or b"script") + b">"
        end = html.find(end_tag, start.end())
        if end < 0:  # not closed: left to Pagefind
            continue
        parts.append(html[kept_from : start.start()])
        kept_from = end + len(end_tag)
    parts.append(html[kept_from:])
    return b"".join(parts)


# What the browser needs: the loader, its worker and the index. Pagefind's ready-made UI
# bundles are left out; templates/assets/search.js draws the results in our own markup.
UI_BUNDLES = ("pagefind-ui", "pagefind-modular-ui", "pagefind-component-ui", "pagefind-highlight")


def pagefind_executable() -> str | None:
    """Pagefind's binary, looked for as its Python client's `get_executable` looks
    (PAGEFIND_BINARY_PATH, the packages pagefind_bin_extended and pagefind_bin, then the PATH),
    but without importing that client or those packages: the client imports asyncio and
    logging, which took 40-45 ms of every build with the search index (a tenth of the real
    content's whole build on a slow day)."""
    given = os.environ.get("PAGEFIND_BINARY_PATH")
    if given:
        return given
    for package in ("pagefind_bin_extended", "pagefind_bin"):
        spec = importlib.util.find_spec(package)
        for folder in (spec and spec.submodule_search_locations) or ():
            for name in ("pagefind_extended", "pagefind"):
                for path in (f"{folder}/{name}", f"{folder}/{name}.exe"):
                    if os.path.isfile(path):  # noqa: PTH113 - strings, as given
                        return path
    return shutil.which("pagefind_extended") or shutil.which("pagefind")


class _Service:
    """One `pagefind --service` process. Requests are written as they come; a thread reads
    the answers, so that Pagefind indexes pages in its own process while the build renders
    the next ones (and neither side can block the other on a full pipe)."""

    def __init__(self) -> None:
        executable = pagefind_executable()
        if executable is None:
            raise BuildError("Pagefindi programmi ei leitud: paigalda pakett pagefind[bin]")
        self._process = subprocess.Popen(
            [str(executable), "--service"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self._message_id = 0
        self._answers: queue.SimpleQueue[dict[str, Any] | None] = queue.SimpleQueue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self._process.stdout is not None
        pending = b""
        while chunk := os.read(self._process.stdout.fileno(), 1 << 20):
            *answers, pending = (pending + chunk).split(b",")  # base64 has no commas
            for answer in answers:
                self._answers.put(json.loads(base64.b64decode(answer)))
        self._answers.put(None)  # the service ended

    def send(self, payload: Mapping[str, Any]) -> int:
        """Write a request without waiting for its answer; its message id."""
        self._message_id += 1
        message = {"message_id": self._message_id, "payload": payload}
        assert self._process.stdin is not None
        try:
            self._process.stdin.write(base64.b64encode(json.dumps(message).encode()) + b",")
            self._process.stdin.flush()
        except BrokenPipeError:
            raise BuildError("Pagefind lõpetas töö ootamatult") from None
        return self._message_id

    def answer(self, message_id: int) -> dict[str, Any]:
        """The answer to request `message_id`; the answers before it are checked on the way
        (they come in order)."""
        while True:
            message = self._answers.get()
            if message is None:
                raise BuildError("Pagefind lõpetas töö ootamatult")
            response: dict[str, Any] = message["payload"]
            if response["type"] == "Error":
                raise BuildError(f"Pagefind: {response['message']}")
            if message["message_id"] == message_id:
                return response

    def close(self) -> None:
        assert self._process.stdin is not None and self._process.stdout is not None
        with contextlib.suppress(BrokenPipeError):
            self._process.stdin.close()  # the service ends when its input does
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._reader.join()
        self._process.stdout.close()


class Indexer:
    """The index of the marked pages, given one at a time as they are rendered; `files`
    gives the index under `pagefind/`, whose results link to the pages' addresses under the
    site's base URL. Use it as a context manager: the service is stopped either way."""

    def __init__(self, config: SiteConfig) -> None:
        self._base_path = "/" + config.base_url.split("://", 1)[1].partition("/")[2]
        self._service = _Service()
        new_index = {"type": "NewIndex", "config": {"force_language": config.language}}
        self._index_id = self._service.answer(self._service.send(new_index))["index_id"]
        self._files_asked: int | None = None  # the message id of GetFiles, once sent

    def __enter__(self) -> Indexer:
        return self

    def __exit__(self, *_: object) -> None:
        self._service.close()

    def add(self, name: str, html: bytes) -> None:
        if not name.endswith(".html") or MARKER not in html:
            return
        self._service.send(
            {
                "type": "AddFile",
                "index_id": self._index_id,
                "url": self._base_path + name.removesuffix("index.html"),
                "file_path": None,
                "file_contents": without_skipped(html).decode("utf-8"),
            }
        )

    def finish(self) -> None:
        """Every page is in: Pagefind makes the index now, while the build goes on."""
        if self._files_asked is None:
            get_files = {"type": "GetFiles", "index_id": self._index_id}
            self._files_asked = self._service.send(get_files)

    def files(self) -> dict[str, bytes]:
        self.finish()
        assert self._files_asked is not None
        files = self._service.answer(self._files_asked)["files"]
        return {
            urls.SEARCH_INDEX + file["path"]: base64.b64decode(file["content"])
            for file in files
            if not file["path"].startswith(UI_BUNDLES)
        }
