"""Save-to-reload time of the live preview on the real content.

Each run changes one session's date in a programme file (as an editor saving in their editor)
and measures until a browser's reload signal arrives: the answer to the long poll that
`/__preview/reload.js` keeps open (`/__preview/wait?seen=N`), which is what makes the page
call `location.reload()`. That includes the file watcher, the debounce, the full rebuild and
the HTTP answer. Target: median under 300 ms.

    .venv/bin/python benchmarks/bench_preview.py [--runs 15]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from koosloome_site.serve import DEBOUNCE_SECONDS, WAIT_PATH, Preview  # noqa: E402

PROGRAMME = "programmes/kogukonna-koosloome-labor-2023.yaml"
DATES = ('date: "2023-05-18"', 'date: "2023-05-19"')
TARGET = 0.300


def long_poll(url: str, seen: str, answers: list[tuple[float, str]]) -> None:
    with urllib.request.urlopen(f"{url}{WAIT_PATH.lstrip('/')}?seen={seen}", timeout=30) as r:
        answers.append((time.perf_counter(), r.read().decode()))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-preview-") as tmp:
        content = Path(tmp) / "content"
        shutil.copytree(REPO / "content", content)
        source = content / PROGRAMME
        original = source.read_text(encoding="utf-8")
        assert DATES[0] in original
        preview = Preview(content, port=0)
        preview.start()
        try:
            times = []
            for run in range(args.runs + 1):  # the first is a warm-up
                with preview.state.lock:
                    seen = str(preview.state.version)
                answers: list[tuple[float, str]] = []
                client = threading.Thread(target=long_poll, args=(preview.url, seen, answers))
                client.start()
                time.sleep(0.3)  # the poll is waiting, the watcher is quiet
                old, new = DATES if run % 2 == 0 else DATES[::-1]
                text = source.read_text(encoding="utf-8").replace(old, new)
                saved = time.perf_counter()
                source.write_text(text, encoding="utf-8")
                client.join()
                ((answered, version),) = answers
                assert version != seen, "no rebuild"
                assert preview.state.error is None, preview.state.error
                if run:
                    times.append(answered - saved)
                time.sleep(0.2)
        finally:
            preview.stop()
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    median = statistics.median(times)
    print(f"Save-to-reload signal, real content ({args.runs} runs, load average {load})")
    print(f"debounce {DEBOUNCE_SECONDS * 1000:.0f} ms included")
    print("                 median    min    max")
    print(f"seconds           {median:.3f}  {min(times):.3f}  {max(times):.3f}")
    verdict = "met" if median < TARGET else "MISSED"
    print(f"target: median under {TARGET:.3f} s -> {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
