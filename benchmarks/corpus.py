#!/usr/bin/env python3
"""Convert the peer benchmark's neutral corpus into koosloome-site's content format.

usage: .venv/bin/python benchmarks/corpus.py NEUTRAL_DIR CONTENT_DIR

NEUTRAL_DIR is what `../shared/bench/gen_corpus.py N SESSIONS OUTDIR` writes
(programmes/<slug>.yaml and topics.yaml); CONTENT_DIR receives site.yaml, programmes/<slug>.yaml
and topics/<slug>.yaml as `build.py --content` reads them (see koosloome_site/validate.py).

Mapping, field by field:
  programme  slug (file name), title, summary, description (Markdown) and topics as they are;
             period: start = earliest session date, end = latest session date.
  session    id: `<kind>-<date>-<nn>`, the converted kind, the date and the 1-based position in
             the programme, e.g. `workshop-2025-03-04-02`: unique within the programme and the
             same on every conversion of the same corpus.
             date -> date, start/end -> start_time/end_time ("10.00", the style editors write),
             title -> title.
  kind       loeng -> seminar (no lecture kind; a taught group session is nearest to seminar)
             seminar -> seminar
             töötuba -> workshop
             praktikum -> practical_training
             veebiseminar -> virtual_meeting (the online group-session kind)
             eksam -> other (there is no exam kind, and it is not a `deadline`)
             konsultatsioon -> counselling ("Nõustamine")
  location   "Veebis (Zoom)" -> online: {platform: Zoom}; likewise "Veebis (Teams)" -> Teams.
             Anything else -> place: city before the first comma, address after it, e.g.
             "Tartu, Ülikooli 18, auditoorium 101" -> city Tartu, address "Ülikooli 18,
             auditoorium 101". The kind and the location are drawn independently by the
             generator, so a virtual_meeting can have a place: it is converted as given.
  topic      topics.yaml entries -> topics/<slug>.yaml with title and description.
Dates and times are written as quoted strings, as the content format asks.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

KINDS: dict[str, str] = {
    "loeng": "seminar",
    "seminar": "seminar",
    "töötuba": "workshop",
    "praktikum": "practical_training",
    "veebiseminar": "virtual_meeting",
    "eksam": "other",
    "konsultatsioon": "counselling",
}

ONLINE = re.compile(r"Veebis \((?P<platform>[^)]+)\)")

SITE: dict[str, str] = {
    "title": "Koolitusprogrammid (sünteetiline võrdluskorpus)",
    "description": "Sünteetiline sisu ehituskiiruse võrdlemiseks Hugoga.",
    "base_url": "https://koolitused.example.ee/",
    "language": "et",
    "timezone": "Europe/Tallinn",
}


class _Dumper(yaml.SafeDumper):
    """Multi-line text as literal blocks, so the converted files read like hand-written ones."""


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)


def _dump(data: object, path: Path) -> None:
    text = yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100)
    path.write_text(text, encoding="utf-8")


def _date(value: object) -> dt.date:
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def _time(value: object) -> str:
    """'10:00' -> '10.00'; kept as a string, so the YAML writer quotes it."""
    return str(value).replace(":", ".")


def location(text: str) -> dict[str, Any]:
    """The `online` or `place` field for a neutral `location` string."""
    if m := ONLINE.fullmatch(text.strip()):
        return {"online": {"platform": m["platform"]}}
    city, _, address = (part.strip() for part in text.partition(","))
    place: dict[str, str] = {"city": city}
    if address:
        place["address"] = address
    return {"place": place}


def session(item: Mapping[str, Any], position: int) -> dict[str, Any]:
    kind = KINDS[str(item["kind"])]
    date = _date(item["date"])
    out: dict[str, Any] = {
        "id": f"{kind.replace('_', '-')}-{date.isoformat()}-{position:02d}",
        "kind": kind,
        "title": str(item["title"]),
        "date": date.isoformat(),
    }
    if "start" in item:
        out["start_time"] = _time(item["start"])
    if "end" in item:
        out["end_time"] = _time(item["end"])
    out.update(location(str(item["location"])))
    return out


def programme(doc: Mapping[str, Any]) -> dict[str, Any]:
    sessions = [session(item, i) for i, item in enumerate(doc["sessions"], start=1)]
    dates = [dt.date.fromisoformat(s["date"]) for s in sessions]
    if not dates:
        raise ValueError(f"{doc['slug']}: no sessions, so no period")
    return {
        "title": str(doc["title"]),
        "summary": str(doc["summary"]),
        "description": str(doc["description"]),
        "period": {"start": min(dates).isoformat(), "end": max(dates).isoformat()},
        "topics": [str(t) for t in doc["topics"]],
        "sessions": sessions,
    }


def convert(neutral: Path, content: Path) -> tuple[int, int]:
    """Write the converted corpus; return (programmes, topics) written."""
    (content / "programmes").mkdir(parents=True, exist_ok=True)
    (content / "topics").mkdir(parents=True, exist_ok=True)
    _dump(SITE, content / "site.yaml")

    topics = yaml.safe_load((neutral / "topics.yaml").read_text(encoding="utf-8"))
    for topic in topics:
        data = {"title": str(topic["title"]), "description": str(topic["description"])}
        _dump(data, content / "topics" / f"{topic['slug']}.yaml")

    count = 0
    for path in sorted((neutral / "programmes").glob("*.yaml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        _dump(programme(doc), content / "programmes" / f"{doc['slug']}.yaml")
        count += 1
    return count, len(topics)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Convert the neutral peer corpus to content/.")
    p.add_argument("neutral", type=Path, help="folder written by gen_corpus.py")
    p.add_argument("content", type=Path, help="content folder to write (created)")
    args = p.parse_args(argv)
    programmes, topics = convert(args.neutral, args.content)
    print(f"{programmes} programmes and {topics} topics written to {args.content}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
