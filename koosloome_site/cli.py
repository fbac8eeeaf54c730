"""Command line: `build` (default), `check` and `serve`. Holds no logic beyond argument handling.

Exit status: 0 success, 1 content or build errors, 2 usage errors.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from . import uptodate
from .messages import ENV_VAR, LANGUAGES, language, translate

if TYPE_CHECKING:
    from .pipeline import BuildReport

# Where the templates are, without importing the build (pipeline.TEMPLATES is the same).
TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def _now(text: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} ei ole ISO 8601 aeg") from None
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError(
            f"{text!r}: lisa ajavööndi nihe, nt 2023-03-01T12:00:00+02:00"
        )
    return value


def _base_url(text: str) -> str:
    from .fields import is_web_address

    if not is_web_address(text):
        raise argparse.ArgumentTypeError(
            f"{text!r} ei ole veebiaadress; kirjuta nt http://localhost:8000/"
        )
    return text


def _say(message: str) -> None:
    print(message, flush=True)  # the preview runs for long; show each line as it happens


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="build.py",
        description="Ehitab programmide lehed kaustast content/ kausta output/.",
    )
    p.add_argument(
        "command",
        nargs="?",
        choices=("build", "check", "serve", "new"),
        default="build",
        help="build: ehita sait (vaikimisi); check: ainult kontrolli sisu; "
        "serve: eelvaade aadressil http://127.0.0.1:PORT/, uueneb iga salvestusega; "
        "new programme TUNNUS | new session PROGRAMM: uus programm või toimumine",
    )
    p.add_argument(
        "new", nargs="*", metavar="programme TUNNUS | session PROGRAMM", help="new jaoks"
    )
    p.add_argument(
        "--lang",
        choices=LANGUAGES,
        help=f"veateadete keel: et (vaikimisi) või en; ka keskkonnamuutuja {ENV_VAR}",
    )
    p.add_argument(
        "--format",
        choices=("text", "github"),
        default="text",
        help="veateadete kuju: text (vaikimisi) või github (GitHub Actionsi märkused ridadel)",
    )
    p.add_argument(
        "--content",
        type=Path,
        default=Path("content"),
        metavar="KAUST",
        help="sisukaust (vaikimisi content)",
    )
    p.add_argument(
        "--output",
        type=Path,
        default=Path("output"),
        metavar="KAUST",
        help="väljundkaust (vaikimisi output)",
    )
    p.add_argument(
        "--base-url",
        type=_base_url,
        metavar="URL",
        help="saidi aadress, nt http://localhost:8000/ (vaikimisi site.yaml-ist)",
    )
    p.add_argument(
        "--port", type=int, default=8000, help="eelvaate port (vaikimisi 8000; 0: vaba port)"
    )
    p.add_argument(
        "--now",
        type=_now,
        metavar="AEG",
        help="ehituse hetk, nt 2023-03-01T12:00:00+02:00 (vaikimisi SOURCE_DATE_EPOCH, "
        "kui see on antud, muidu praegu)",
    )
    p.add_argument(
        "--no-search",
        dest="search",
        action="store_false",
        help="jäta otsinguindeks tegemata (ehitusaja mõõtmiseks)",
    )
    return p


def _inputs(args: argparse.Namespace) -> tuple[object, ...]:
    options = (args.base_url, str(args.output.resolve()), args.search)
    return uptodate.inputs(args.content, TEMPLATES, options)


def _up_to_date(args: argparse.Namespace, found: tuple[object, ...]) -> bool:
    """Whether the output already holds what this build would write (uptodate.py), answered
    before anything heavy is imported. Any doubt (an odd SOURCE_DATE_EPOCH) means build."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    if args.now is not None:
        now = args.now
    elif epoch:
        if not epoch.isdigit():
            return False  # the build explains what is wrong with it
        now = dt.datetime.fromtimestamp(int(epoch), dt.UTC)
    else:
        now = dt.datetime.now(dt.UTC)
    return uptodate.up_to_date(args.output, uptodate.state_folder(args.output), found, now)


def _build(
    args: argparse.Namespace, now: dt.datetime | None, found: tuple[object, ...]
) -> BuildReport:
    """Build, keeping the loaded content in the output's state folder for the next build
    (memo.py) and the record of what the build was made from (uptodate.py)."""
    from . import memo
    from .pipeline import build

    state = uptodate.state_folder(args.output)
    code = found[2]  # the program's own files
    kept = memo.load(state, code)
    report = build(
        args.content,
        args.output,
        now=now,
        base_url=args.base_url,
        search_index=args.search,
        memo=kept,
        loaded=lambda used: memo.save(used, state, code),
    )
    assert report.now is not None and report.true_until is not None
    uptodate.remember(args.output, state, found, report.now, report.true_until)
    return report


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    started = time.perf_counter()
    lang = language(args.lang)
    if args.command == "new" or args.new:
        return _new(args.command, args.new, args.content, lang)
    found = _inputs(args) if args.command == "build" else ()
    if found and _up_to_date(args, found):
        print(f"Muudatusi pole: {args.output} on ajakohane.")
        return 0
    from .errors import BuildError, ContentError
    from .history import build_time

    try:
        if args.command == "check":
            from .pipeline import check

            content = check(args.content)
            print(
                f"Sisu korras: {len(content.programmes)} programmi, {len(content.topics)} teemat."
            )
            return 0
        # Reproducible builds (reproducible-builds.org): without --now, SOURCE_DATE_EPOCH is
        # the build's moment when set; only without both is it the clock.
        now = args.now or build_time()
        if args.command == "serve":
            from .serve import serve_forever  # watchdog is only needed here; keep builds quick

            gc.enable()  # build.py turns it off for one-off builds; the preview runs for hours
            try:
                serve_forever(args.content, args.port, now, _say)
            except OSError as error:  # most often: the port is taken by another program
                print(
                    f"viga: porti {args.port} ei saa kasutada ({error.strerror}); "
                    f"proovi teist, nt --port {args.port + 1}",
                    file=sys.stderr,
                )
                return 2
            return 0
        report = _build(args, now, found)
    except ContentError as error:
        if args.format == "github":  # annotations on the changed lines of a pull request
            print(error.github(lang))
        print(error.report(lang), file=sys.stderr)
        return 1
    except BuildError as error:
        print(f"viga: {error}", file=sys.stderr)
        return 1
    elapsed = time.perf_counter() - started
    print(
        f"Valmis: {report.pages} lehte, {report.files} faili kaustas {args.output} "
        f"({elapsed:.2f} s)."
    )
    return 0


def _new(command: str, words: list[str], content: Path, lang: str) -> int:
    """`new programme SLUG` or `new session PROGRAMME`."""
    from .scaffold import ScaffoldError, new_programme, new_session

    if command != "new" or len(words) != 2 or words[0] not in ("programme", "session"):
        print(
            "kasutus: build.py new programme TUNNUS | build.py new session PROGRAMM",
            file=sys.stderr,
        )
        return 2
    try:
        if words[0] == "programme":
            path = new_programme(content, words[1])
            print(f"Loodud: {path.as_posix()} (mustand; vt python build.py serve)")
        else:
            session_id = new_session(content, words[1])
            print(f"Lisatud toimumine '{session_id}' programmi {words[1]} lõppu.")
    except ScaffoldError as error:
        print(f"viga: {translate(error.args[0], lang)}", file=sys.stderr)
        return 2
    return 0
