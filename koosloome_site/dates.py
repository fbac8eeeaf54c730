"""Dates as precise as the content says, and their Estonian wording.

A programme may be known only to the month ("detsember 2023"), a session only to the day, a
deadline as "before" or "until" a day. `PartialDate` keeps exactly that precision so that pages
and feeds never invent more. Wording follows EKI usage through Babel's Estonian locale data:
"neljapäev, 23. märts 2023, kell 15.00–16.30".
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import re
from dataclasses import dataclass
from operator import attrgetter
from typing import TYPE_CHECKING

from .messages import msg

if TYPE_CHECKING:
    from types import ModuleType

LOCALE = "et"
_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_MONTH = re.compile(r"(\d{4})-(\d{2})")
_TIME = re.compile(r"(\d{1,2})[.:](\d{2})")


@dataclass(frozen=True, order=True)
class PartialDate:
    """A calendar day, or a whole month when `day` is None."""

    year: int
    month: int
    day: int | None = None

    # Kept once asked for (in the instance's __dict__, which equality, hashing and order do
    # not look at): sorting, the feeds, the links and the pages ask about twenty times per
    # session.
    @functools.cached_property
    def first_day(self) -> dt.date:
        return dt.date(self.year, self.month, self.day or 1)

    @functools.cached_property
    def last_day(self) -> dt.date:
        if self.day is not None:
            return dt.date(self.year, self.month, self.day)
        return dt.date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    @property
    def iso(self) -> str:
        """ISO 8601 at the known precision, for `<time datetime>`."""
        month = f"{self.year:04d}-{self.month:02d}"
        return month if self.day is None else f"{month}-{self.day:02d}"


class DateFormatError(ValueError):
    """Raised with an Estonian message explaining what is wrong with a date or time."""


# Dates and times are parsed once per distinct text (a big site writes the same few hundred
# tens of thousands of times): loading 1,000 programmes in one process went from 1.74 to
# 1.55 s, and the loading child's answer, in which every shared value is pickled once, from
# 165 to 120 ms to pickle and unpickle.
# What they return cannot change, so every session may share it.
@functools.lru_cache(maxsize=4096)
def parse_partial_date(text: str) -> PartialDate:
    """`2023-03-23` or `2023-03`; anything else, or a day that does not exist, is an error."""
    if m := _DAY.fullmatch(text):
        year, month, day = (int(g) for g in m.groups())
        _check_month(year, month)
        last = calendar.monthrange(year, month)[1]
        if not 1 <= day <= last:
            raise DateFormatError(
                msg(
                    "kuupäeva {text} ei ole olemas: {month} {year} on {last} päeva",
                    text=text,
                    month=month_name(month),
                    year=year,
                    last=last,
                )
            )
        return PartialDate(year, month, day)
    if m := _MONTH.fullmatch(text):
        year, month = (int(g) for g in m.groups())
        _check_month(year, month)
        return PartialDate(year, month)
    raise DateFormatError(msg("{text!r} ei ole kuupäev", text=text))


def _check_month(year: int, month: int) -> None:
    if not 1 <= month <= 12:
        raise DateFormatError(msg("kuud {month} ei ole olemas (kuud on 01–12)", month=month))
    if year < 1900:
        raise DateFormatError(msg("aasta {year} ei ole usutav", year=year))


@functools.lru_cache(maxsize=4096)  # as parse_partial_date
def parse_time(text: str) -> dt.time:
    """`15.00` (Estonian style) or `15:00`."""
    m = _TIME.fullmatch(text)
    if not m:
        raise DateFormatError(msg("{text!r} ei ole kellaaeg", text=text))
    hour, minute = int(m.group(1)), int(m.group(2))
    if hour > 23 or minute > 59:
        raise DateFormatError(msg("kellaaega {text} ei ole olemas", text=text))
    return dt.time(hour, minute)


@functools.cache
def month_name(month: int) -> str:
    return str(_babel().get_month_names("wide", "format", LOCALE)[month])


@functools.cache  # each month of each programme's timeline: Babel looks the locale up each time
def month_abbreviation(month: int) -> str:
    """`jaan`, `veebr`, `märts`: where space is short (the timeline picture)."""
    return str(_babel().get_month_names("abbreviated", "format", LOCALE)[month])


def _genitive(month: int) -> str:
    """The genitive of Babel's month name: märts -> märtsi, mai -> mai, and the -ber months
    lose their e: september -> septembri."""
    name = month_name(month)
    if name.endswith("ber"):
        return name[:-3] + "bri"
    return name if name[-1] in "aeiouõäöü" else name + "i"


def format_time(value: dt.time) -> str:
    """`9.05`, `15.00`: EKI writes the hour without a leading zero and a dot before minutes."""
    return f"{value.hour}.{value.minute:02d}"


def format_time_range(start: dt.time | None, end: dt.time | None) -> str:
    """`kell 15.00–16.30`, `kell 15.00`, or '' when no time is known."""
    if start is None:
        return ""
    if end is None:
        return f"kell {format_time(start)}"
    return f"kell {format_time(start)}–{format_time(end)}"


@functools.lru_cache(maxsize=4096)  # sessions repeat the same days; Babel is not free
def format_partial(value: PartialDate, weekday: bool = True) -> str:
    """`neljapäev, 23. märts 2023` (or without the weekday); `detsember 2023`."""
    if value.day is None:
        return str(_babel().format_skeleton("yMMMM", value.first_day, locale=LOCALE))
    return str(_babel().format_date(value.first_day, "full" if weekday else "long", locale=LOCALE))


@functools.lru_cache(maxsize=1 << 15)  # every programme's span and session's days (Babel)
def format_span(start: PartialDate, end: PartialDate | None) -> str:
    """A date or a range at the precision the content gives: `8.–16. juuni 2023`,
    `märts–mai 2022`, `20. aprill – detsember 2023`."""
    if end is None or end == start:
        return format_partial(start)
    same_precision = (start.day is None) == (end.day is None)
    if same_precision:
        skeleton = _interval_skeleton("yMMMM" if start.day is None else "yMMMMd")
        text = format_interval(start.first_day, end.first_day, skeleton)
        # CLDR puts thin spaces around the dash between months; use the plain spaces that
        # the mixed-precision ranges below use too, so all ranges read alike.
        return text.replace("\u2009", " ")
    if start.year == end.year:
        head = format_partial(start, weekday=False).removesuffix(f" {start.year}")
        return f"{head} – {format_partial(end, weekday=False)}"
    return f"{format_partial(start, weekday=False)} – {format_partial(end, weekday=False)}"


def format_interval(start: dt.date, end: dt.date, skeleton: str) -> str:
    """Babel's `format_interval` of two different days, by the locale's own patterns but
    filled in here when they word only the day, month and year: Babel's took 40 µs a span,
    in which it looks the locale up again for every field (a big site words a thousand
    programmes' spans and every session that lasts days)."""
    patterns = _interval_patterns(skeleton)
    for field, first, second in patterns or ():
        if _CALENDAR_FIELD[field](start) != _CALENDAR_FIELD[field](end):
            return first % _day_words(start) + second % _day_words(end)
    return str(_babel().format_interval(start, end, skeleton, locale=LOCALE))


_CALENDAR_FIELD = {
    "y": attrgetter("year"),
    "M": attrgetter("month"),
    "d": attrgetter("day"),
}
_PATTERN_FIELD = re.compile(r"%\((\w+)\)s")  # a field in Babel's parsed pattern


def _day_words(day: dt.date) -> dict[str, str]:
    """A day's fields as Babel words them in the patterns `_interval_patterns` keeps."""
    return {
        "d": str(day.day),
        "MMM": month_abbreviation(day.month),
        "MMMM": month_name(day.month),
        "y": str(day.year),
    }


@functools.cache
def _interval_patterns(skeleton: str) -> tuple[tuple[str, str, str], ...] | None:
    """The locale's interval patterns for `skeleton`, largest calendar field first, as
    (field that differs, %-format of the start, of the end); None when a pattern words
    anything `_day_words` does not (then Babel formats the interval)."""
    from babel import Locale
    from babel.dates import PATTERN_CHAR_ORDER, parse_pattern

    formats = Locale.parse(LOCALE).interval_formats[skeleton]
    patterns = []
    for field in PATTERN_CHAR_ORDER:  # (Babel's order: the largest first)
        if field not in formats:
            continue
        first, second = (str(parse_pattern(pattern).format) for pattern in formats[field])
        words = set(_PATTERN_FIELD.findall(first + second))
        if field not in _CALENDAR_FIELD or not words <= _day_words(dt.date(2000, 1, 1)).keys():
            return None
        patterns.append((field, first, second))
    return tuple(patterns)


@functools.cache
def _interval_skeleton(skeleton: str) -> str:
    """The skeleton of the locale's interval formats that format_interval picks for
    `skeleton`: it searches for it on every call otherwise, three quarters of its time (a
    big site formats a thousand programme spans)."""
    from babel import Locale  # when first needed, as `_babel`

    formats = Locale.parse(LOCALE).interval_formats
    return (
        skeleton if skeleton in formats else _babel().match_skeleton(skeleton, formats) or skeleton
    )


@functools.cache
def _babel() -> ModuleType:
    """Babel's dates, imported when a date is first worded: loading the content words none,
    and the import (20-30 ms: it asks for the machine's time zone) then waits for the
    moment a big build's other core is loading, instead of delaying the start of both."""
    import babel.dates

    return babel.dates


def load_locale_data() -> None:
    """Babel reads the locale's data the first time a date is worded (20 ms); a big build
    has it read before its processes part, so that both have it."""
    for skeleton in ("yMMMMd", "yMMMM"):
        _interval_patterns(_interval_skeleton(skeleton))


def format_deadline(day: PartialDate, bound: str) -> str:
    """`enne 30. märtsi 2023` or `kuni 14. veebruarini 2022`, as the content words it."""
    assert day.day is not None, "deadlines are validated to name a day"
    if bound == "before":
        return f"enne {day.day}. {_genitive(day.month)} {day.year}"
    return f"kuni {day.day}. {_genitive(day.month)}ni {day.year}"


@functools.lru_cache(maxsize=4096)  # every page says when it was updated and built
def format_day(value: dt.date) -> str:
    """`25. november 2026`, for "last updated" lines."""
    return str(_babel().format_date(value, "long", locale=LOCALE))
