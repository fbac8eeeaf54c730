"""The static search index (Pagefind), made from the rendered pages in memory.

Only pages that mark their content with `data-pagefind-body` (programmes, topics) are indexed;
the index files join the site's other outputs, so the write stays one atomic step.

We speak Pagefind's service protocol (`pagefind --service`: base64 JSON messages, each ended
by a comma, on stdin and stdout) directly, one request and its answer at a time, with the
binary from the `pagefind_bin` package. Pagefind's own Python client does the same over
asyncio but polls its pipe with a 0.1 s sleep per answer: 24 pages took 2.7 s with it and
0.05 s like this, and a 1,000-programme site would spend minutes waiting.
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
from collections.abc import Mapping
from typing import Any

from pagefind.service import get_executable

from . import urls
from .errors import BuildError
from .model import SiteConfig

MARKER = b"data-pagefind-body"
# Cut before indexing what Pagefind would skip anyway: structured data and the elements our
# templates mark data-pagefind-ignore (never nested in one another: "add to calendar" blocks,
# the subscribe box, the timeline). A programme page of 53 KB becomes about 14 KB, and the
# indexing time shrinks with it. A non-greedy match can only cut less than the element.
SKIPPED = re.compile(
    rb'<script type="application/ld\+json">.*?</script>'
    rb"|<(details|section|figure)\b[^>]*\bdata-pagefind-ignore\b[^>]*>.*?</\1>",
    re.DOTALL,
)
# What the browser needs: the loader, its worker and the index. Pagefind's ready-made UI
# bundles are left out; templates/assets/search.js draws the results in our own markup.
UI_BUNDLES = ("pagefind-ui", "pagefind-modular-ui", "pagefind-component-ui", "pagefind-highlight")


class _Service:
    """One `pagefind --service` process, spoken to synchronously."""

    def __init__(self) -> None:
        executable = get_executable()
        if executable is None:
            raise BuildError("Pagefindi programmi ei leitud: paigalda pakett pagefind[bin]")
        self._process = subprocess.Popen(
            [str(executable), "--service"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self._message_id = 0
        self._pending = b""

    def request(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        self._message_id += 1
        message = {"message_id": self._message_id, "payload": payload}
        assert self._process.stdin is not None and self._process.stdout is not None
        self._process.stdin.write(base64.b64encode(json.dumps(message).encode()) + b",")
        self._process.stdin.flush()
        while b"," not in self._pending:  # base64 never contains a comma
            chunk = os.read(self._process.stdout.fileno(), 1 << 20)
            if not chunk:
                raise BuildError("Pagefind lõpetas töö ootamatult")
            self._pending += chunk
        answer, _, self._pending = self._pending.partition(b",")
        response: dict[str, Any] = json.loads(base64.b64decode(answer))["payload"]
        if response["type"] == "Error":
            raise BuildError(f"Pagefind: {response['message']}")
        return response

    def close(self) -> None:
        assert self._process.stdin is not None and self._process.stdout is not None
        self._process.stdin.close()  # the service ends when its input does
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._process.stdout.close()


def search_index(pages: Mapping[str, bytes], config: SiteConfig) -> dict[str, bytes]:
    """{path: bytes} of the index under `pagefind/` for the marked pages among `pages`
    ({output file: HTML}); results link to the pages' addresses under the site's base URL."""
    base_path = "/" + config.base_url.split("://", 1)[1].partition("/")[2]
    language = config.language
    service = _Service()
    try:
        index_id = service.request({"type": "NewIndex", "config": {"force_language": language}})[
            "index_id"
        ]
        for name in sorted(pages):
            html = pages[name]
            if not name.endswith(".html") or MARKER not in html:
                continue
            address = name.removesuffix("index.html")
            service.request(
                {
                    "type": "AddFile",
                    "index_id": index_id,
                    "url": base_path + address,
                    "file_path": None,
                    "file_contents": SKIPPED.sub(b"", html).decode("utf-8"),
                }
            )
        files = service.request({"type": "GetFiles", "index_id": index_id})["files"]
    finally:
        service.close()
    return {
        urls.SEARCH_INDEX + file["path"]: base64.b64decode(file["content"])
        for file in files
        if not file["path"].startswith(UI_BUNDLES)
    }
