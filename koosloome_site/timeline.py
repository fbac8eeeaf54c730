"""A programme's months and sessions as a picture: an SVG file made at build time.

The picture is an image beside the session list, which stays the source of truth; its text
alternative (`describe`) says in words what it shows. Marks differ by shape, not colour only:
a dot for a session (a bar for several days), a diamond for a deadline, a cross over the mark
for a cancelled session, a dashed box across the month for a session known only to the month.
Served as an image, the SVG may carry presentation attributes (fill=...): no CSS is needed.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
from collections.abc import Iterable
from html import escape

from . import urls
from .dates import month_abbreviation, month_name
from .model import Programme, Session

MONTH_WIDTH = 72
MARGIN = 12
AXIS_Y = 52  # year and month labels above, marks below
LANE_HEIGHT = 22
MARK_RADIUS = 6
INK, FAINT, BAND = "#1a1a1a", "#6b6b6b", "#eef1f5"
FONT = 'font-family="system-ui, sans-serif" font-size="12"'


def months(programme: Programme) -> list[tuple[int, int]]:
    """Every (year, month) from the first to the last the programme is active in."""
    days = [programme.start.first_day, programme.end.last_day]
    for s in programme.sessions:
        if s.date:
            days += [s.date.first_day, (s.end_date or s.date).last_day]
    first, last = min(days), max(days)
    return [
        (year, month)
        for year in range(first.year, last.year + 1)
        for month in range(1, 13)
        if (first.year, first.month) <= (year, month) <= (last.year, last.month)
    ]


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def describe(programme: Programme) -> str:
    """The picture in words, month by month, for its `alt`."""
    span = months(programme)
    per_month: dict[tuple[int, int], list[Session]] = {m: [] for m in span}
    undated = 0
    for s in programme.sessions:
        if s.date is None:
            undated += 1
        else:
            per_month[(s.date.year, s.date.month)].append(s)
    (y1, m1), (y2, m2) = span[0], span[-1]
    parts = [f"Ajajoon: {month_name(m1)} {y1} – {month_name(m2)} {y2}."]
    for (year, month), sessions in per_month.items():
        if not sessions:
            continue
        deadlines = sum(s.kind == "deadline" for s in sessions)
        events = len(sessions) - deadlines
        counts = [
            *([_count(events, "toimumine", "toimumist")] if events else []),
            *([_count(deadlines, "tähtaeg", "tähtaega")] if deadlines else []),
        ]
        cancelled = sum(s.status == "cancelled" for s in sessions)
        note = f" (neist {cancelled} ära jäetud)" if cancelled else ""
        parts.append(f"{month_name(month).capitalize()} {year}: {' ja '.join(counts)}{note}.")
    if undated:
        parts.append(f"Aeg täpsustamisel: {_count(undated, 'toimumine', 'toimumist')}.")
    parts.append("Kõik toimumised on loetletud ajakavas.")
    return " ".join(parts)


def _x(day: dt.date, span: list[tuple[int, int]], end: bool = False) -> float:
    """Where a day starts (or, with `end`, ends) on the axis."""
    column = span.index((day.year, day.month))
    length = calendar.monthrange(day.year, day.month)[1]
    return MARGIN + MONTH_WIDTH * (column + (day.day - (0 if end else 1)) / length)


def _mark(session: Session, span: list[tuple[int, int]], lanes: list[float]) -> str:
    """One <g class="mark"> for a dated session, in the first lane where it does not touch
    the mark before it (`lanes` holds each lane's right edge so far)."""
    assert session.date is not None
    month_only = session.date.day is None
    start = _x(session.date.first_day, span)
    if month_only or session.end_date:
        end = _x((session.end_date or session.date).last_day, span, end=True)
    else:
        start = end = start + MONTH_WIDTH / 60  # a dot near the day's place
    left, right = start - MARK_RADIUS, end + MARK_RADIUS
    lane = next((i for i, edge in enumerate(lanes) if edge + 2 <= left), len(lanes))
    if lane == len(lanes):
        lanes.append(right)
    lanes[lane] = right
    y = AXIS_Y + 18 + lane * LANE_HEIGHT
    r = MARK_RADIUS
    if session.kind == "deadline":
        cx = (start + end) / 2
        d = r + 1
        shape = f'<path d="M{cx:.1f} {y - d}l{d} {d}l{-d} {d}l{-d} {-d}z"'
    elif month_only:
        shape = (
            f'<rect x="{left:.1f}" y="{y - r}" width="{right - left:.1f}" height="{2 * r}" '
            f'rx="3" fill="none" stroke-dasharray="4 3"'
        )
    elif start == end:
        shape = f'<circle cx="{start:.1f}" cy="{y}" r="{r}"'
    else:
        shape = (
            f'<rect x="{left:.1f}" y="{y - r}" width="{right - left:.1f}" height="{2 * r}" rx="{r}"'
        )
    cancelled = session.status == "cancelled"
    fill = "#fff" if cancelled or month_only else INK
    if not month_only:
        shape += f' fill="{fill}"'
    body = f'{shape} stroke="{INK}" stroke-width="1.5"/>'
    if cancelled:
        cx = (start + end) / 2
        body += (
            f'<path d="M{cx - r - 2:.1f} {y - r - 2}l{2 * r + 4} {2 * r + 4}'
            f'M{cx - r - 2:.1f} {y + r + 2}l{2 * r + 4} {-2 * r - 4}" stroke="{INK}" '
            f'stroke-width="2"/>'
        )
    title = escape(session.title or session.id, quote=False)
    return f'<g class="mark" data-session="{escape(session.id)}"><title>{title}</title>{body}</g>'


@functools.lru_cache(maxsize=64)  # the same for most of a thousand programmes' pictures
def _legend(y: float) -> str:
    items = [
        f'<circle cx="6" cy="0" r="{MARK_RADIUS}" fill="{INK}"/>',
        f'<path d="M6 -7l7 7l-7 7l-7 -7z" fill="{INK}"/>',
        f'<circle cx="6" cy="0" r="{MARK_RADIUS}" fill="#fff" stroke="{INK}" stroke-width="1.5"/>'
        f'<path d="M-2 -8l16 16M-2 8l16 -16" stroke="{INK}" stroke-width="2"/>',
        f'<rect x="-4" y="-6" width="20" height="12" rx="3" fill="none" stroke="{INK}" '
        f'stroke-width="1.5" stroke-dasharray="4 3"/>',
    ]
    labels = ["toimumine", "tähtaeg", "ära jäetud", "kuu täpsusega"]
    out, x = [], MARGIN + 4.0
    for shape, label in zip(items, labels, strict=True):
        out.append(
            f'<g transform="translate({x:.0f} {y})">{shape}'
            f'<text x="22" y="4" {FONT} fill="{INK}">{label}</text></g>'
        )
        x += 36 + 7.5 * len(label)
    return "".join(out)


def svg(programme: Programme) -> bytes:
    span = months(programme)
    lanes: list[float] = []
    dated = sorted(
        (s for s in programme.sessions if s.date),
        key=lambda s: (s.date.first_day if s.date else dt.date.min, s.id),
    )
    marks = [_mark(s, span, lanes) for s in dated]
    legend_y = AXIS_Y + 18 + max(len(lanes), 1) * LANE_HEIGHT + 10
    width = max(2 * MARGIN + MONTH_WIDTH * len(span), 480)
    height = legend_y + 20
    bands = []
    for i, (year, month) in enumerate(span):
        x = MARGIN + i * MONTH_WIDTH
        if i % 2 == 0:
            bands.append(
                f'<rect x="{x}" y="{AXIS_Y}" width="{MONTH_WIDTH}" '
                f'height="{legend_y - AXIS_Y - 14}" fill="{BAND}"/>'
            )
        if i == 0 or month == 1:
            bands.append(
                f'<text x="{x + 4}" y="{AXIS_Y - 26}" {FONT} font-weight="bold" fill="{INK}">'
                f"{year}</text>"
            )
        bands.append(
            f'<text x="{x + 4}" y="{AXIS_Y - 8}" {FONT} fill="{INK}">'
            f"{month_abbreviation(month)}</text>"
        )
    for i in range(len(span) + 1):  # month borders, the last one closing the axis
        x = MARGIN + i * MONTH_WIDTH
        bands.append(f'<path d="M{x} {AXIS_Y - 22}v{legend_y - AXIS_Y + 8}" stroke="{FAINT}"/>')
    text = "".join([*bands, *marks, _legend(legend_y)])
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}"><title>{escape(describe(programme), quote=False)}</title>'
        f'<rect width="{width}" height="{height}" fill="#fff"/>{text}</svg>\n'
    ).encode()


def timelines(programmes: Iterable[Programme]) -> dict[str, bytes]:
    """{path: bytes}: every programme's picture, beside its page."""
    return {urls.programme_timeline(p.slug): svg(p) for p in programmes}
