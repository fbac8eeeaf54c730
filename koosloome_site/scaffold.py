"""`build.py new programme SLUG` and `build.py new session PROGRAMME`: a valid, commented
starting point for an editor, never overwriting anything.

A new programme is a draft (`draft: true`) so it cannot be published by accident; a new
session has no date yet (shown as "Aeg täpsustamisel") until the editor writes one. Both
validate as written, so the preview shows them at once.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from .fields import SLUG, _slug_hint
from .messages import msg
from .schema import modeline


class ScaffoldError(Exception):
    """A request the editor can fix (a bad slug, an existing file); the message says how."""


_PROGRAMME = """\
{modeline}
# Uus programm. Täida väljad ja kustuta kommentaarid, mida enam vaja ei ole.
# Juhend: docs/toimetaja-juhend.md. Kontrolli: python build.py check
title: {title}
summary: >-
  Üks lõik lihttekstina: kellele programm on ja mida see annab.
# description: |
#   Pikem kirjeldus Markdownis.
period:
  start: "{month}"  # "AAAA-KK-PP" või, kui on teada ainult kuu, "AAAA-KK"
  end: "{month}"
# topics:
#   - kogukonna-arendamine  # failinimi kaustas topics/
# organisers:
#   - silab  # failinimi kaustas organisations/
# Mustand ei ilmu avalikule saidile (eelvaade näitab seda). Kustuta rida, kui oled valmis.
draft: true
sessions:
{session}"""

_SESSION = """\
- id: {id}  # püsiv tunnus: ära muuda pärast avaldamist
  kind: info_day  # info_day, workshop, seminar, deadline, ... (vt juhendit)
  title: Infopäev
  # date: "2027-03-23"  # kuupäev jutumärkides; ilma kuupäevata: "Aeg täpsustamisel"
  # start_time: "15.00"  # kellaaeg jutumärkides, ainult koos päevaga
  # end_time: "16.30"
  # place:
  #   city: Tallinn
  #   venue: Tallinna Ülikool
  # online:
  #   platform: Zoom
  #   url: https://zoom.us/j/123
"""


def new_programme(content: Path, slug: str, today: dt.date | None = None) -> Path:
    """Write programmes/<slug>.yaml; refuse a bad slug or an existing file."""
    if not SLUG.fullmatch(slug):
        raise ScaffoldError(
            msg("'{slug}' ei sobi programmi tunnuseks: {hint}", slug=slug, hint=_slug_hint(slug))
        )
    path = content / "programmes" / f"{slug}.yaml"
    if path.exists():
        raise ScaffoldError(
            msg("fail {path} on juba olemas; vali teine tunnus", path=path.as_posix())
        )
    month = (today or dt.date.today()).strftime("%Y-%m")
    text = _PROGRAMME.format(
        modeline=modeline("programmes", 2),
        title=slug.replace("-", " ").capitalize(),
        month=month,
        session=_indent(_SESSION.format(id="infopaev"), "  "),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("x", encoding="utf-8") as file:  # "x": never overwrite, even in a race
        file.write(text)
    return path


def new_session(content: Path, programme: str) -> str:
    """Add a session to the end of programmes/<programme>.yaml's sessions; return its id."""
    path = content / "programmes" / f"{programme}.yaml"
    if not SLUG.fullmatch(programme) or not path.is_file():
        known = sorted(p.stem for p in (content / "programmes").glob("*.yaml"))
        raise ScaffoldError(
            msg(
                "programmi '{programme}' ei ole (kaustas {folder} on: {known})",
                programme=programme,
                folder=(content / "programmes").as_posix(),
                known=", ".join(known) or "-",
            )
        )
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    start = next(
        (i for i, line in enumerate(lines) if re.match(r"sessions:\s*(#.*)?$", line)), None
    )
    if start is None:
        raise ScaffoldError(msg("failis {path} ei ole välja 'sessions:'", path=path.as_posix()))
    end = start + 1  # the block ends at the next top-level key
    while end < len(lines) and (not lines[end].strip() or lines[end][0] in " -#"):
        end += 1
    while end > start + 1 and not lines[end - 1].strip():  # keep blank lines after the block
        end -= 1
    items = [line for line in lines[start + 1 : end] if line.lstrip().startswith("- ")]
    indent = items[0][: len(items[0]) - len(items[0].lstrip())] if items else "  "
    used = set(re.findall(r"^\s*-?\s*id:\s*['\"]?([a-z0-9-]+)", "".join(lines), re.MULTILINE))
    session_id, n = "uus-toimumine", 1
    while session_id in used:
        n += 1
        session_id = f"uus-toimumine-{n}"
    if end > 0 and not lines[end - 1].endswith("\n"):
        lines[end - 1] += "\n"
    block = _indent(_SESSION.format(id=session_id), indent)
    lines.insert(end, block)
    path.write_text("".join(lines), encoding="utf-8")
    return session_id


def _indent(text: str, indent: str) -> str:
    return "".join(indent + line if line.strip() else line for line in text.splitlines(True))
