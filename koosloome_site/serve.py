"""Live preview for editors: build, serve on localhost, rebuild when content or templates change.

A failed rebuild keeps serving the last good site, but every page then shows the error
report instead, so the editor sees at once what to fix; the next good build replaces it.
Open pages reload themselves after each build: the preview adds one external script,
`/__preview/reload.js` (so a strict Content-Security-Policy still holds), that long-polls
`/__preview/wait` and reloads as soon as a new build is served. Only the preview server knows
that address; a published build contains no trace of it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import html
import http.server
import mimetypes
import os
import re
import socket
import socketserver
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver

from . import uptodate, urls
from .errors import BuildError, ContentError, Diagnostic
from .memo import BuildMemo
from .messages import language
from .pipeline import TEMPLATES, build
from .write import fill_spare

DEBOUNCE_SECONDS = 0.05  # editors' tools save in bursts of a few ms (temp file, rename, chmod)
REQUEST_TIMEOUT = 10.0  # seconds a client has to send its request line and headers
VERSION_PATH = "/__preview/version"
WAIT_PATH = "/__preview/wait"  # ?seen=N: answers once the version is not N (or after a while)
RELOAD_PATH = "/__preview/reload.js"
WAIT_SECONDS = 20.0  # a long poll is answered at the latest after this, and asked again
# The page's own version rides on the script address, so a build finishing between the page
# and its script loading still reloads it.
RELOAD_JS = f"""// Live preview only: reload this page as soon as the site is rebuilt.
(async () => {{
  let seen = new URL(document.currentScript.src).searchParams.get("v");
  for (;;) {{
    try {{
      const answer = await fetch("{WAIT_PATH}?seen=" + seen, {{ cache: "no-store" }});
      const version = (await answer.text()).trim();
      if (answer.ok && version !== seen) {{
        location.reload();
        return;
      }}
    }} catch (error) {{
      await new Promise((resume) => setTimeout(resume, 500));  // the server restarts
    }}
  }}
}})();
""".encode()


def reload_tag(version: int) -> str:
    return f'<script src="{RELOAD_PATH}?v={version}" defer></script>'


@dataclass
class PreviewState:
    """What the server shows: the folder of the last good build and the last error, if any."""

    output: Path
    version: int = 0
    error: str | None = None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    closing: bool = False

    def __post_init__(self) -> None:
        self.changed = threading.Condition(self.lock)  # notified after each build

    def wait(self, seen: str, seconds: float) -> int:
        """The version once it differs from `seen`, or after `seconds`."""
        with self.changed:
            self.changed.wait_for(
                lambda: str(self.version) != seen or self.closing, timeout=seconds
            )
            return self.version


def rebuild(state: PreviewState, run_build: Callable[[], object], lang: str = "et") -> bool:
    """Run a build and publish its outcome to the browsers; whether it succeeded."""
    diagnostics: list[Diagnostic] = []
    try:
        run_build()
        error = None
    except ContentError as failure:
        error, diagnostics = failure.report(lang), failure.diagnostics
    except BuildError as failure:
        error = f"viga: {failure}"
    with state.lock:
        state.error, state.diagnostics = error, diagnostics
        state.version += 1
        state.changed.notify_all()
    return error is None


class _Changes(FileSystemEventHandler):
    """What the watcher saw: the files created, changed, deleted or renamed since `take`."""

    def __init__(self, changed: threading.Event) -> None:
        self.changed = changed
        self._lock = threading.Lock()
        self._paths: set[str] = set()
        self._everything = False

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in ("opened", "closed_no_write"):
            return
        with self._lock:
            if event.is_directory:
                # A folder's own "modified" comes with the events of the files in it; a
                # folder made, deleted or renamed whole may hold files no event named.
                self._everything = self._everything or event.event_type != "modified"
            else:
                self._paths.add(os.fsdecode(event.src_path))
                if getattr(event, "dest_path", ""):  # renamed: both names
                    self._paths.add(os.fsdecode(event.dest_path))
        self.changed.set()

    def take(self) -> frozenset[str] | None:
        """The files touched since the last call (None: any may have been), and forget them."""
        with self._lock:
            touched = None if self._everything else frozenset(self._paths)
            self._paths, self._everything = set(), False
        return touched


class _Server(http.server.ThreadingHTTPServer):
    """A thread per connection, so one slow or stalled client holds up no one else."""

    daemon_threads = True
    request_queue_size = 128  # the default 5 refuses connections while a page loads its files

    def __init__(self, address: tuple[str, int], handler: type[_Handler]) -> None:
        super().__init__(address, handler)
        self.failures = 0  # handler errors other than clients going away: bugs, counted by tests
        self._failures_lock = threading.Lock()

    def server_bind(self) -> None:
        # HTTPServer.server_bind asks DNS for the host's full name, which only slows start-up.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = str(self.server_address[0]), self.server_address[1]

    def handle_error(self, request: object, client_address: object) -> None:
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return  # the client hung up or stalled: nothing to fix here
        with self._failures_lock:
            self.failures += 1
        super().handle_error(request, client_address)  # type: ignore[arg-type]


class _Handler(http.server.BaseHTTPRequestHandler):
    """Serves files of the output folder and nothing else, to local addresses only.

    Fail closed: a request target that is not a plain path (absolute URLs, `*`, raw non-ASCII,
    malformed or overlong %-escapes, NUL and other control characters, backslashes, `.` or
    `..` segments, once decoded) gets 400; a Host other than localhost, 127.0.0.1 or [::1]
    with this port gets 403, so a web page cannot reach the preview through a name of its
    own (DNS rebinding); a file whose real path (symlinks resolved) is outside the output
    folder gets 403. The request line and headers must arrive within `request_timeout`.
    """

    state: PreviewState
    timeout = REQUEST_TIMEOUT  # for each read (StreamRequestHandler applies it) ...
    server_version = "koosloome-eelvaade"
    sys_version = ""
    default_request_version = "HTTP/1.0"  # even an answer to a garbled request line has a status
    _deadline: threading.Timer | None = None

    def setup(self) -> None:
        super().setup()
        # ... and for the whole request head: a client sending a byte now and then (slowloris)
        # never trips a per-read timeout.
        self._deadline = threading.Timer(self.timeout or REQUEST_TIMEOUT, self._drop)
        self._deadline.daemon = True
        self._deadline.start()

    def _drop(self) -> None:
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def parse_request(self) -> bool:
        parsed = super().parse_request()  # reads the headers
        if self._deadline is not None:
            self._deadline.cancel()
        if not parsed:
            return False
        words = self.requestline.split()
        if len(words) != 3 or self.request_version not in ("HTTP/1.0", "HTTP/1.1"):
            self.request_version = "HTTP/1.0"
            self.send_error(400, "Ainult HTTP/1.0 ja HTTP/1.1")
            return False
        return True

    def finish(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        super().finish()

    def log_message(self, format: str, *args: object) -> None:
        pass  # the terminal is for build reports

    def do_GET(self) -> None:
        self._answer(with_body=True)

    def do_HEAD(self) -> None:
        self._answer(with_body=False)

    def _answer(self, with_body: bool) -> None:
        port = int(self.connection.getsockname()[1])
        if not _local_host(self.headers.get_all("Host"), port):
            text = f"Eelvaade vastab ainult aadressil http://127.0.0.1:{port}/\n"
            return self._send(403, "text/plain; charset=utf-8", text.encode(), with_body)
        path = request_path(self.path)
        if path is None:
            return self._send(400, "text/plain; charset=utf-8", b"Vigane aadress\n", with_body)
        state = self.state
        with state.lock:
            version, error, diagnostics = state.version, state.error, state.diagnostics
        if path == VERSION_PATH:
            return self._send(200, "text/plain", str(version).encode(), with_body)
        if path == WAIT_PATH:
            seen = urllib.parse.parse_qs(self.path.partition("?")[2]).get("seen", [""])[0]
            current = state.wait(seen[:20], WAIT_SECONDS)
            return self._send(200, "text/plain", str(current).encode(), with_body)
        if path == RELOAD_PATH:
            return self._send(200, "text/javascript; charset=utf-8", RELOAD_JS, with_body)
        status, file = find_file(state.output, path)
        if status == 403:
            outside = "Keelatud: see fail on eelvaate kaustast väljas\n".encode()
            return self._send(403, "text/plain; charset=utf-8", outside, with_body)
        if error is not None and (file is None or file.suffix == ".html"):
            page = _error_page(error, diagnostics, version)
            return self._send(500, "text/html; charset=utf-8", page, with_body)
        if file is None:
            file = find_file(state.output, "/" + urls.NOT_FOUND)[1]
        try:
            data = file.read_bytes() if file is not None else b"Lehte ei leitud\n"
        except OSError:  # a rebuild swapped the folder in between
            status, data = 404, b"Lehte ei leitud\n"
        if file is not None and file.suffix == ".html":
            text = data.decode("utf-8").replace("</body>", reload_tag(version) + "</body>")
            return self._send(status, "text/html; charset=utf-8", text.encode(), with_body)
        kind = mimetypes.guess_type(file.name)[0] if file is not None else None
        return self._send(status, kind or "application/octet-stream", data, with_body)

    def _send(self, status: int, kind: str, body: bytes, with_body: bool = True) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        if with_body:
            self.wfile.write(body)


def _handler(state: PreviewState, request_timeout: float) -> type[_Handler]:
    class Handler(_Handler):
        pass

    Handler.state, Handler.timeout = state, request_timeout
    return Handler


_LOCAL_NAMES = ("localhost", "127.0.0.1", "[::1]")
# What RFC 3986 allows in a path (unreserved, sub-delims, ":", "@", "/") and "%" for escapes.
_NOT_PATH = re.compile(r"[^A-Za-z0-9\-._~!$&'()*+,;=:@/%]")
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")


def _local_host(hosts: list[str] | None, port: int) -> bool:
    """Exactly one Host header naming this machine's loopback, with the port."""
    if not hosts or len(hosts) != 1:
        return False
    host = hosts[0].strip().lower()
    allowed = {f"{name}:{port}" for name in _LOCAL_NAMES}
    if port == 80:
        allowed.update(_LOCAL_NAMES)
    return host in allowed


def request_path(target: str) -> str | None:
    """The path of a request target, %-decoded exactly once; None unless a plain local path."""
    path = target.partition("?")[0]
    if not path.startswith("/") or _NOT_PATH.search(path) or _BAD_ESCAPE.search(path):
        return None
    try:
        # Strict UTF-8: overlong forms such as %c0%ae ("." in disguise) are not UTF-8.
        decoded = urllib.parse.unquote_to_bytes(path).decode("utf-8")
    except UnicodeDecodeError:
        return None
    if any(c < " " or "\x7f" <= c <= "\x9f" or c == "\\" for c in decoded):
        return None
    if any(segment in (".", "..") for segment in decoded.split("/")):
        return None
    return decoded


def find_file(root: Path, path: str) -> tuple[int, Path | None]:
    """The file that serves `path` (a decoded request path): 200 and its real path inside
    `root`; 403 when its real path (symlinks resolved) is outside; 404 when there is none."""
    try:
        real_root = Path(os.path.realpath(root))
        real = Path(os.path.realpath(real_root.joinpath(*filter(None, path.split("/")))))
        if real.is_relative_to(real_root) and real.is_dir():
            real = Path(os.path.realpath(real / "index.html"))
        if not real.is_relative_to(real_root):
            return 403, None
        return (200, real) if real.is_file() else (404, None)
    except (OSError, ValueError):  # a name too long for the file system, ...
        return 404, None


def source_lines(diagnostic: Diagnostic, before: int = 2, after: int = 1) -> str:
    """The YAML lines around a problem, numbered, with a caret under its column; '' when the
    file cannot be read (a folder, a file too large)."""
    p = diagnostic.position
    try:
        path = Path(p.path)
        if not path.is_file() or path.stat().st_size > 1 << 20:
            return ""
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return ""
    if not 1 <= p.line <= len(lines):
        return ""
    first, last = max(1, p.line - before), min(len(lines), p.line + after)
    width = len(str(last))
    out = []
    for number in range(first, last + 1):
        mark = ">" if number == p.line else " "
        out.append(f"{mark} {number:>{width}} | {lines[number - 1]}")
        if number == p.line:
            out.append(f"  {' ' * width} | {' ' * (p.column - 1)}^")
    return "\n".join(out)


def _error_page(report: str, diagnostics: list[Diagnostic], version: int) -> bytes:
    """Every problem with its place, message, hint and the YAML lines it is on."""
    items = []
    for diagnostic in diagnostics:
        excerpt = source_lines(diagnostic)
        items.append(
            "<li><pre class='where'>"
            f"{html.escape(diagnostic.format(language()))}</pre>"
            + (f"<pre class='source'>{html.escape(excerpt)}</pre>" if excerpt else "")
            + "</li>"
        )
    summary = report.splitlines()[-1] if diagnostics else report
    body = (
        f"<ol>{''.join(items)}</ol><p>{html.escape(summary)}</p>"
        if items
        else (f"<pre class='where'>{html.escape(report)}</pre>")
    )
    style = (
        "body{font-family:system-ui,sans-serif;max-width:70rem;margin:2rem auto;padding:0 1rem}"
        "pre{white-space:pre-wrap;margin:.3rem 0}.source{background:#f4f4f4;padding:.5rem;"
        "border-left:4px solid #b00020;overflow-x:auto}li{margin-bottom:1.2rem}"
    )
    return (
        '<!doctype html><html lang="et"><meta charset="utf-8"><title>Ehitus ebaõnnestus</title>'
        f"<style>{style}</style><body>"
        "<h1>Sisus on vigu</h1><p>Paranda need ja salvesta; leht uueneb ise. Kuni vead on "
        "parandamata, näitab eelvaade seda lehte; viimane korras sait on alles.</p>"
        f"{body}{reload_tag(version)}</body></html>"
    ).encode()


class Preview:
    """The preview server with its watcher; `start()` builds once and serves in threads."""

    def __init__(
        self,
        content: Path,
        port: int = 8000,
        now: dt.datetime | None = None,
        templates: Path = TEMPLATES,
        request_timeout: float = REQUEST_TIMEOUT,
    ) -> None:
        self.content, self.templates, self.now = content, templates, now
        self._folder = tempfile.TemporaryDirectory(prefix="koosloome-preview-")
        self.state = PreviewState(Path(self._folder.name).resolve() / "site")
        # The loopback address only: the preview is for the editor's own browser.
        self.server = _Server(("127.0.0.1", port), _handler(self.state, request_timeout))
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self.memo = BuildMemo()
        self.memo.writer.private = True  # the temporary folder is ours alone, and goes with us
        self._failed = False  # the last build
        self.serving: threading.Thread | None = None  # (from `start`)
        self._changed = threading.Event()
        self._changes = _Changes(self._changed)
        self._stopping = threading.Event()
        self._observer: BaseObserver | None = None  # made after the first build: it starts a thread
        self._watcher = threading.Thread(target=self._watch, daemon=True)

    def build(self, touched: frozenset[str] | None = None) -> None:
        """Build into the preview's folder. `touched`: the watcher's account of the content
        files changed since the last build (None: check every file's size and times). After
        a build that failed, every file is checked: it may have stopped before reading the
        files it was told of, and the watcher has forgotten them."""
        if self._failed:
            touched = None
        self._failed = not rebuild(
            self.state,
            lambda: build(
                self.content,
                self.state.output,
                now=self.now,
                base_url=self.url,
                templates_dir=self.templates,
                drafts=True,  # editors see drafts and scheduled programmes, marked as such
                # Pagefind indexes every page again after any change: seconds on big sites.
                search_index=False,
                memo=self.memo,  # each rebuild redoes only what the saved files changed
                trusted_output=True,  # the folder is ours alone
                touched=touched,
            ),
            language(),
        )

    def start(self) -> None:
        # The first build before any thread starts: a build hands work to a forked process on
        # the other core only while this one has a single thread (background.start), which
        # at 1,000 programmes makes the first page ready in 2.0 s instead of 2.7.
        before = self._inputs()
        self.build()
        self._observer = Observer()
        for folder in (self.content, self.templates):
            self._observer.schedule(self._changes, str(folder), recursive=True)
        self._observer.start()
        if self._inputs() != before:  # saved while the first build ran, before watching
            self.build()
        self._watcher.start()
        self.serving = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.serving.start()

    def _inputs(self) -> tuple[object, ...]:
        """The content and template files' names, sizes and times, and git's HEAD."""
        return uptodate.inputs(self.content, self.templates, ())

    def _watch(self) -> None:
        filled = False  # the spare tree holds the site as served (fill_spare)
        while True:
            changed = self._changed.wait(0.5)
            if self._stopping.is_set():
                return
            if not changed:  # a quiet moment: builds and this take turns on this thread
                filled = filled or self.fill_spare()
                continue
            while self._changed.wait(DEBOUNCE_SECONDS):  # wait for a quiet moment
                self._changed.clear()
            self.build(self._changes.take())
            filled = False

    def fill_spare(self) -> bool:
        """Copy what the writer's spare tree lacks of the site (write.fill_spare), until a
        file is saved; whether it is done (or not worth trying again before the next build)."""
        try:
            return fill_spare(
                self.state.output,
                self.memo.writer,
                lambda: self._changed.is_set() or self._stopping.is_set(),
            )
        except (OSError, BuildError):  # the next build writes what is missing, as without
            return True

    def stop(self) -> None:
        self._stopping.set()
        self._changed.set()  # the watcher stops now, not after its next wait, before the
        if self._watcher.is_alive():  # folder it fills goes (a build still finishes)
            self._watcher.join(timeout=60)
        with self.state.changed:  # answer the long polls now, not after WAIT_SECONDS
            self.state.closing = True
            self.state.changed.notify_all()
        if self._observer is not None:
            self._observer.stop()
            self._observer.join()
        if self.serving is not None:  # (shutdown waits for serving to stop: it must have begun)
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
