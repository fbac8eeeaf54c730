"""Live preview for editors: build, serve on localhost, rebuild when content or templates change.

A failed rebuild keeps serving the last good site, but every page then shows the error
report instead, so the editor sees at once what to fix; the next good build replaces it.
Open pages reload themselves after each build (a small script, injected only here: the
published site needs no JavaScript).
"""

from __future__ import annotations

import datetime as dt
import html
import http.server
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from .errors import BuildError, ContentError
from .pipeline import TEMPLATES, build

DEBOUNCE_SECONDS = 0.2  # editors' tools save in bursts (temp file, rename, chmod)
VERSION_PATH = "/__preview/version"
RELOAD_SCRIPT = f"""<script>
(() => {{
  let seen = null;
  setInterval(async () => {{
    const version = await fetch("{VERSION_PATH}").then(r => r.text()).catch(() => seen);
    if (seen !== null && version !== seen) location.reload();
    seen = version;
  }}, 700);
}})();
</script>
"""


@dataclass
class PreviewState:
    """What the server shows: the folder of the last good build and the last error, if any."""

    output: Path
    version: int = 0
    error: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


def rebuild(state: PreviewState, run_build: Callable[[], object]) -> None:
    try:
        run_build()
        error = None
    except ContentError as failure:
        error = failure.report()
    except BuildError as failure:
        error = f"viga: {failure}"
    with state.lock:
        state.error = error
        state.version += 1


class _Changes(FileSystemEventHandler):
    def __init__(self, changed: threading.Event) -> None:
        self.changed = changed

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type not in ("opened", "closed_no_write"):
            self.changed.set()


def _handler(state: PreviewState) -> type[http.server.SimpleHTTPRequestHandler]:
    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, directory=str(state.output), **kwargs)  # type: ignore[arg-type]

        def log_message(self, format: str, *args: object) -> None:
            pass  # the terminal is for build reports

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            with state.lock:
                version, error = state.version, state.error
            if path == VERSION_PATH:
                return self._send(200, "text/plain", str(version).encode())
            target = state.output / path.lstrip("/")
            if target.is_dir():
                target = target / "index.html"
            if error is not None and target.suffix in (".html", ""):
                return self._send(500, "text/html; charset=utf-8", _error_page(error))
            if not target.is_file() or not target.resolve().is_relative_to(state.output):
                target, status = state.output / "404.html", 404
            else:
                status = 200
            if target.suffix == ".html":
                page = target.read_text("utf-8").replace("</body>", RELOAD_SCRIPT + "</body>")
                return self._send(status, "text/html; charset=utf-8", page.encode())
            return super().do_GET()

        def _send(self, status: int, kind: str, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

    return Handler


def _error_page(report: str) -> bytes:
    return (
        '<!doctype html><html lang="et"><meta charset="utf-8"><title>Ehitus ebaõnnestus</title>'
        '<body style="font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto">'
        "<h1>Sisus on vigu</h1><p>Paranda need ja salvesta; leht uueneb ise.</p>"
        f"<pre style='white-space: pre-wrap'>{html.escape(report)}</pre>"
        f"{RELOAD_SCRIPT}</body></html>"
    ).encode()


class Preview:
    """The preview server with its watcher; `start()` builds once and serves in threads."""

    def __init__(
        self,
        content: Path,
        port: int = 8000,
        now: dt.datetime | None = None,
        templates: Path = TEMPLATES,
    ) -> None:
        self.content, self.templates, self.now = content, templates, now
        self._folder = tempfile.TemporaryDirectory(prefix="koosloome-preview-")
        self.state = PreviewState(Path(self._folder.name).resolve() / "site")
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), _handler(self.state))
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self._changed = threading.Event()
        self._stopping = threading.Event()
        self._observer = Observer()

    def build(self) -> None:
        rebuild(
            self.state,
            lambda: build(
                self.content,
                self.state.output,
                now=self.now,
                base_url=self.url,
                templates_dir=self.templates,
            ),
        )

    def start(self) -> None:
        self.build()
        handler = _Changes(self._changed)
        for folder in (self.content, self.templates):
            self._observer.schedule(handler, str(folder), recursive=True)
        self._observer.start()
        threading.Thread(target=self._watch, daemon=True).start()
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def _watch(self) -> None:
        while not self._stopping.is_set():
            if not self._changed.wait(0.5):
                continue
            while self._changed.wait(DEBOUNCE_SECONDS):  # wait for a quiet moment
                self._changed.clear()
            self.build()

    def stop(self) -> None:
        self._stopping.set()
        self._observer.stop()
        self._observer.join()
        self.server.shutdown()
        self.server.server_close()
        self._folder.cleanup()


def serve_forever(
    content: Path, port: int, now: dt.datetime | None, report: Callable[[str], None]
) -> None:
    preview = Preview(content, port, now)
    preview.start()
    report(f"Eelvaade: {preview.url} (muudatused ehitatakse uuesti; lõpetamiseks Ctrl+C)")
    if preview.state.error:
        report(preview.state.error)
    seen = preview.state.version
    try:
        while True:
            time.sleep(0.3)
            with preview.state.lock:
                version, error = preview.state.version, preview.state.error
            if version != seen:
                seen = version
                report(error or time.strftime("%H:%M:%S ehitatud uuesti"))
    except KeyboardInterrupt:
        pass
    finally:
        preview.stop()
