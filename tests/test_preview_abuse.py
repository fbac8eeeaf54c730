"""The preview server under abuse: a real Preview of the real site on a free port, with a secret
file beside its output folder and symlinks inside it pointing out.

Nothing outside the output folder may be served, whatever the encoding of the path; only
requests for localhost, 127.0.0.1 or [::1] (with the port) are answered; and ten thousand
malformed, huge, truncated or stalled requests over raw sockets leave it answering normally.
`pytest -s tests/test_preview_abuse.py` prints the figures.
"""

from __future__ import annotations

import random
import shutil
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import CONTENT
from tests.tools import REPO

SECRET = b"SALAJANE-0f3c9a7e5d2b41c8-AJANELAS"
STALL_TIMEOUT = 1.0  # the server's request time limit in these tests (seconds)
REQUESTS = 10_000


# The Preview runs in its own process, as `build.py serve` does, so the clients here do not
# compete with it for the interpreter. It answers "status" on stdin with its handler errors
# (exceptions other than clients hanging up: bugs) and whether its server thread still runs.
SERVER = """
import sys
from pathlib import Path
from koosloome_site.serve import Preview

preview = Preview(Path(sys.argv[1]), port=0, request_timeout=float(sys.argv[2]))
preview.start()
address = preview.server.server_address
print(address[0], address[1], preview.state.output, preview.state.error is None, flush=True)
for line in sys.stdin:
    print(preview.server.failures, preview.serving.is_alive(), flush=True)
preview.stop()
"""


@dataclass
class Target:
    server: subprocess.Popen[str]
    port: int
    secret: Path  # beside (outside) the output folder
    home: bytes  # the home page's body as served before the abuse

    def status(self) -> tuple[int, bool]:
        """The server's handler errors so far, and whether it is still serving."""
        assert self.server.stdin is not None and self.server.stdout is not None
        self.server.stdin.write("status\n")
        self.server.stdin.flush()
        failures, alive = self.server.stdout.readline().split()
        return int(failures), alive == "True"


@dataclass
class Answer:
    status: int | None  # None: no status line (connection closed, HTTP/0.9 body, ...)
    data: bytes


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    root = tmp_path_factory.mktemp("abuse")
    content = root / "content"
    shutil.copytree(CONTENT, content)
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(content), str(STALL_TIMEOUT)],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        host, port_text, folder, built = server.stdout.readline().split()
        assert built == "True", "the real content builds"
        assert host == "127.0.0.1", "binds the loopback only"
        output = Path(folder)
        # The secret beside the output folder, a folder outside with the secret as its index,
        # and symlinks inside the output pointing at both (the next rebuild would remove them;
        # nothing here rebuilds).
        secret = output.parent / "secret.txt"
        secret.write_bytes(SECRET)
        outside = output.parent / "outside"
        outside.mkdir()
        (outside / "index.html").write_bytes(b"<html><body>" + SECRET + b"</body></html>")
        (outside / "secret.txt").write_bytes(SECRET)
        (output / "leak.txt").symlink_to(secret)
        (output / "leak.html").symlink_to(secret)
        (output / "leakdir").symlink_to(outside, target_is_directory=True)
        (output / "teemad" / "leak").symlink_to(outside, target_is_directory=True)
        (output / "absolute.ics").symlink_to("/etc/passwd")
        port = int(port_text)
        home = request(port, get("/", port))
        assert home.status == 200, home
        yield Target(server, port, secret, body(home))
    finally:
        assert server.stdin is not None and server.stdout is not None
        server.stdin.close()
        assert server.wait(timeout=30) == 0
        server.stdout.close()


def get(path: str, port: int, host: str | None = None, method: str = "GET") -> bytes:
    host = f"127.0.0.1:{port}" if host is None else host
    return f"{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode(
        "utf-8", "surrogateescape"
    )


def request(
    port: int, payload: bytes, *, shut: bool = True, timeout: float = 5.0, stall: float = 0.0
) -> Answer:
    """Send raw bytes on a new connection and read the answer until the server closes it."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        try:
            s.sendall(payload)
            if stall:
                time.sleep(stall)
            if shut:
                s.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # the server may answer and close before reading everything: fine
        chunks: list[bytes] = []
        try:
            while chunk := s.recv(65536):
                chunks.append(chunk)
        except OSError:
            pass
    data = b"".join(chunks)
    status = None
    if data.startswith(b"HTTP/"):
        parts = data.split(b"\r\n", 1)[0].split(b" ")
        if len(parts) > 1 and parts[1].isdigit():
            status = int(parts[1])
    return Answer(status, data)


def body(answer: Answer) -> bytes:
    return answer.data.partition(b"\r\n\r\n")[2]


def leaked(answer: Answer) -> int:
    """Bytes of the secret (or of /etc/passwd) in an answer."""
    return answer.data.count(SECRET) * len(SECRET) + answer.data.count(b"root:x:0:0") * 10


# --- (a) path traversal ------------------------------------------------------------------

# Ways of writing "../" (one level up) that servers have been fooled by.
UP = [
    "../",
    "..%2f",
    "..%2F",
    "%2e%2e/",
    "%2e%2e%2f",
    "%2E%2E%2F",
    "%2e%2E/",
    ".%2e/",
    "%2e./",
    "%252e%252e%252f",
    "%252e%252e/",
    "..%252f",
    "%25%32%65%25%32%65/",
    "..\\",
    "..%5c",
    "..%5C",
    "%2e%2e%5c",
    "%252e%252e%255c",
    "%c0%ae%c0%ae/",
    "%c0%ae%c0%ae%c0%af",
    "..%c0%af",
    "..%c1%9c",
    "..%c1%1c",
    "%e0%80%ae%e0%80%ae/",
    "%f0%80%80%ae%f0%80%80%ae/",
    "..%e0%80%af",
    "\uff0e\uff0e\uff0f",
    "%ef%bc%8e%ef%bc%8e%ef%bc%8f",
    "..%e2%88%95",
    "..%e2%81%84",
    "%u002e%u002e%u2215",
    "..%u2216",
    "..%00/",
    "%00../",
    "..%2500/",
    "..;/",
    "..%3b/",
    ";/../",
    "....//",
    "..../",
    ".../",
    "..././",
    "./../",
    "..//",
    "..///",
    "%2e%2e//",
    ".%2e%2f",
    "..%20/",
    ".. /",
    "..%09/",
    "..%0a/",
    "..%0d%0a/",
    "../.",
    "..%ff/",
    "..%c0%2f",
    "%2e%2e%2f%2e%2f",
    "..%2f%2f",
    "%2E%2e%5C",
    "..\t/",
]


def traversal_paths(secret: Path) -> list[str]:
    paths = []
    for up in UP:
        paths.append("/" + up + "secret.txt")  # output/../secret.txt
        paths.append("/" + up + "outside/index.html")
        paths.append("/teemad/" + up + up + "secret.txt")  # from a real subfolder, two up
        paths.append("/programmid/x/" + up * 3 + "secret.txt")
        paths.append("/" + up * 12 + "etc/passwd")
    absolute = secret.as_posix()
    paths += [
        absolute,
        "/" + absolute,
        "//" + absolute.lstrip("/"),
        "///" + absolute.lstrip("/"),
        absolute.replace("/", "%2f"),
        absolute.replace("/", "%2F"),
        absolute.replace("/", "\\"),
        absolute.replace("/", "%5c"),
        "file://" + absolute,
        "file:" + absolute,
        "file:///etc/passwd",
        "http://127.0.0.1/../secret.txt",
        "http://evil.example/" + absolute,
        "//evil.example/secret.txt",
        "/%2f%2fevil.example/secret.txt",
        "/etc/passwd",
        "//etc/passwd",
        "/%2fetc%2fpasswd",
        "\\etc\\passwd",
        "/..",
        "/../",
        "/.",
        "/%2e",
        "/%2e%2e",
        "/secret.txt",
        "/outside/",
        "/#/../secret.txt",
        "/index.html%00.ics",
        "/index.html%00",
        "/secret.txt.",
        "/secret.txt ",
        "/secret.txt%20",
        "/secret.txt::$DATA",
        "/SECRET.TXT",
        "/teemad/../../secret.txt",
        "/teemad/./../../secret.txt",
        "*",
        "",
    ]
    return paths


def test_no_traversal_encoding_reaches_a_file_outside_the_output(target: Target) -> None:
    paths = traversal_paths(target.secret)
    answers = [request(target.port, get(path, target.port)) for path in paths]
    bad = [(p, a.status) for p, a in zip(paths, answers, strict=True) if leaked(a)]
    assert bad == []
    wrong = [(p, a.status) for p, a in zip(paths, answers, strict=True)]
    wrong = [(p, s) for p, s in wrong if s not in (400, 403, 404)]
    assert wrong == []
    # A query is not part of the path: these are the home page.
    for path in ("/?../secret.txt", "/index.html?/../../secret.txt", "/?%00"):
        answer = request(target.port, get(path, target.port))
        assert answer.status == 200 and body(answer) == target.home, path
    print(
        f"\ntraversal: {len(paths)} requests ({len(UP)} encodings of ../ in 5 placements and "
        f"{len(paths) - 5 * len(UP)} absolute or odd paths), statuses "
        f"{dict(Counter(a.status for a in answers))}, bytes of the secret served "
        f"{sum(leaked(a) for a in answers)}"
    )


def test_symlinks_out_of_the_output_are_not_followed(target: Target) -> None:
    port = target.port
    for path in (
        "/leak.txt",
        "/leak.html",
        "/leakdir",
        "/leakdir/",
        "/leakdir/index.html",
        "/leakdir/secret.txt",
        "/teemad/leak/",
        "/teemad/leak/secret.txt",
        "/leakdir/../secret.txt",
        "/absolute.ics",
        "/%6ceak.txt",
        "/leak%2etxt",
    ):
        for method in ("GET", "HEAD"):
            answer = request(port, get(path, port, method=method))
            assert answer.status in (400, 403, 404), (method, path, answer.status)
            assert not leaked(answer), (method, path)


def test_site_files_are_still_served(target: Target) -> None:
    port = target.port
    page = request(port, get("/programmid/kogukonna-koosloome-labor-2023/", port))
    assert page.status == 200 and b"Kogukonna koosloome labor" in page.data
    assert request(port, get("/programmid/kogukonna-koosloome-labor-2023", port)).status == 200
    css = request(port, get("/style.css?v=1", port))
    assert css.status == 200 and b"Content-Type: text/css" in css.data
    feed = request(port, get("/kalender.ics", port))
    assert feed.status == 200 and body(feed).startswith(b"BEGIN:VCALENDAR")
    encoded = request(port, get("/programmid/kogukonna-koosloome-labor-2023/%69ndex.html", port))
    assert encoded.status == 200, "percent-encoded letters are decoded once"
    missing = request(port, get("/ei-ole-sellist/", port))
    assert missing.status == 404 and b"Lehte ei leitud" in body(missing)
    head = request(port, get("/", port, method="HEAD"))
    assert head.status == 200 and body(head) == b""


# --- Host header ---------------------------------------------------------------------------


def test_only_local_host_names_with_the_port_are_answered(target: Target) -> None:
    port = target.port
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}", f"LocalHost:{port}"):
        assert request(port, get("/", port, host=host)).status == 200, host
    for host in (
        "evil.example",
        f"evil.example:{port}",
        f"127.0.0.1.evil.example:{port}",
        f"localhost.evil.example:{port}",
        f"localhost.:{port}",
        "127.0.0.1",
        "localhost",
        f"127.0.0.1:{port + 1}",
        f"127.0.0.1:{port}0",
        f"user@127.0.0.1:{port}",
        f"127.0.0.1:{port}/x",
        f"127.0.0.2:{port}",
        f"0.0.0.0:{port}",
        f"2130706433:{port}",
        f"[::ffff:127.0.0.1]:{port}",
        "",
        " ",
    ):
        answer = request(port, get("/", port, host=host))
        assert answer.status in (400, 403, 421), (host, answer.status)
        assert b"Programmid" not in body(answer), host
    no_host = request(port, b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n")
    assert no_host.status in (400, 403, 421)
    two = f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nHost: evil.example\r\n\r\n".encode()
    assert request(port, two).status in (400, 403, 421)
    http10 = request(port, b"GET / HTTP/1.0\r\n\r\n")
    assert http10.status in (400, 403, 421)
    version = request(port, get("/__preview/version", port, host="evil.example"))
    assert version.status in (400, 403, 421), "DNS rebinding must not reach anything"


# --- (c) malformed requests ----------------------------------------------------------------


def malformed(rng: random.Random, port: int, count: int) -> list[tuple[str, bytes]]:
    """`count` malformed requests of many kinds, reproducible from the seed."""
    host = f"Host: 127.0.0.1:{port}\r\n".encode()
    good = get("/", port)
    methods = [b"POST", b"PUT", b"DELETE", b"OPTIONS", b"TRACE", b"CONNECT"]
    methods += [b"PATCH", b"get", b"G\x00ET", b"GE T", b"\xff\xfe", b"PROPFIND", b"X" * 300]
    versions = [b"HTTP/9.9", b"HTTP/1.1.1", b"HTTP/abc", b"http/1.1", b"HTTP/2.0", b"HTTP/1"]
    versions += [b"HTTP/0.9", b"HTTP/1.10", b"HTTP/-1.1", b"HTTP/\xff", b"FTP/1.0", b""]
    bad_escapes = ["%", "%2", "%zz", "%%", "%u0041", "%c0", "%e2%82", "%ff%fe", "%G1", "%0"]

    def random_bytes(n: int) -> bytes:
        return rng.randbytes(n)

    kinds = {
        "random request line": lambda: random_bytes(rng.randint(1, 300)) + b"\r\n\r\n",
        "random bytes, no line end": lambda: random_bytes(rng.randint(1, 2000)),
        "random printable line": lambda: (
            bytes(rng.choices(range(32, 127), k=rng.randint(1, 400))) + b"\r\n\r\n"
        ),
        "huge header line": lambda: (
            b"GET / HTTP/1.1\r\n"
            + host
            + b"X-Big: "
            + b"a" * rng.randint(65_536, 80_000)
            + b"\r\n\r\n"
        ),
        "too many headers": lambda: (
            b"GET / HTTP/1.1\r\n"
            + host
            + b"".join(b"X-%d: y\r\n" % i for i in range(rng.randint(101, 300)))
            + b"\r\n"
        ),
        "missing version": lambda: (
            rng.choice([b"GET /\r\n\r\n", b"GET\r\n\r\n", b"/\r\n\r\n"]) + rng.choice([b"", host])
        ),
        "bad version": lambda: b"GET / " + rng.choice(versions) + b"\r\n" + host + b"\r\n",
        "bad method": lambda: (
            rng.choice(methods) + b" / HTTP/1.1\r\n" + host + b"Content-Length: 5\r\n\r\nhello"
        ),
        "truncated": lambda: good[: rng.randint(0, len(good) - 1)],
        "invalid percent-encoding": lambda: get(
            "/" + "".join(rng.choice([*bad_escapes, "a", "/", ".."]) for _ in range(8)), port
        ),
        "over-long URL": lambda: get(
            "/" + rng.choice(["a", "%2e", "../", "x/", "%c0%ae"]) * rng.randint(300, 12_000), port
        ),
        "bad header syntax": lambda: (
            b"GET / HTTP/1.1\r\n"
            + host
            + rng.choice(
                [
                    b"NoColon\r\n",
                    b" folded: x\r\n",
                    b"X: a\rb\r\n",
                    b"X\x00: y\r\n",
                    b": empty\r\n",
                    b"X: \xff\xfe\r\n",
                    b"Content-Length: -1\r\n",
                    b"Content-Length: 99999999999999999999\r\n",
                ]
            )
            + b"\r\n"
        ),
        "line ends and spaces": lambda: rng.choice(
            [
                b"\r\n" * rng.randint(1, 50),
                b"\n\n",
                b"GET  /  HTTP/1.1\r\n" + host + b"\r\n",
                b"GET\t/\tHTTP/1.1\r\n" + host + b"\r\n",
                b"GET / HTTP/1.1\n" + host + b"\n",
                b" GET / HTTP/1.1\r\n" + host + b"\r\n",
                b"",
            ]
        ),
        "bad Host": lambda: get(
            "/", port, host=rng.choice(["evil", f"x:{port}", "127.0.0.1:1", "\x7f", "[::1]"])
        ),
    }
    names = list(kinds)
    return [(name, kinds[name]()) for name in (rng.choice(names) for _ in range(count))]


def test_ten_thousand_malformed_requests_leave_the_server_answering(target: Target) -> None:
    port = target.port
    rng = random.Random(20261125)
    requests = malformed(rng, port, REQUESTS - 60)
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=60) as stallers, ThreadPoolExecutor(4) as pool:
        # Stalled clients, all at once: half a request, then nothing (slowloris), or a byte at a
        # time, slower than a request may take. The server must drop each within its limit.
        stalled = [
            stallers.submit(stall, port, trickle=i % 2 == 1, limit=STALL_TIMEOUT) for i in range(60)
        ]
        answers = list(pool.map(lambda item: request(port, item[1], timeout=10.0), requests))
        stall_times = [future.result() for future in stalled]
    elapsed = time.monotonic() - started

    sent = len(requests) + len(stalled)
    secret_bytes = sum(leaked(a) for a in answers)
    crashes, alive = target.status()
    statuses = Counter(a.status for a in answers)
    print(
        f"\nmalformed: {sent} requests in {elapsed:.1f} s; bytes of the secret served "
        f"{secret_bytes}; server crashes (unhandled handler errors) {crashes}; "
        f"stalled connections dropped after {min(stall_times):.2f}-{max(stall_times):.2f} s; "
        f"statuses {dict(sorted(statuses.items(), key=lambda kv: str(kv[0])))}"
    )
    assert sent == REQUESTS
    assert secret_bytes == 0
    assert crashes == 0
    assert max(stall_times) < STALL_TIMEOUT + 1.5, "a stalled request held its connection"
    assert alive
    # Some are only odd (a header without a colon, a folded header line), and common servers
    # answer them; whatever was answered with 200 is the home page and nothing else.
    assert all(body(a) == target.home for a in answers if a.status == 200)
    after = request(port, get("/", port))
    assert after.status == 200 and body(after) == target.home
    assert b"Sotsiaalse Innovatsiooni Labori programmid" in after.data


def stall(port: int, trickle: bool, limit: float) -> float:
    """Seconds until the server closes a connection whose request never completes."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=limit + 5) as s:
        s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nX-Slow: " % port)
        try:
            if trickle:  # a byte every quarter of the limit: each read is quick, the whole is not
                for _ in range(int(4 * (limit + 5))):
                    time.sleep(limit / 4)
                    s.sendall(b"a")
            while s.recv(4096):
                pass
        except OSError:
            pass
    return time.monotonic() - started
