"""A strict checker for the iCalendar files the site builds: RFC 5545 and RFC 7986 as far as
they concern us, plus the promises our feeds make (README, "Calendar feeds").

Parsers are lenient on purpose, so six parsers agreeing (tests/ics_parsers.py) does not mean a
file is right: most of them unfold a line split inside a UTF-8 character, read a bare LF as a
line end, accept a floating time or skip a missing DTSTAMP. Some clients are not lenient
(Outlook drops a whole subscription over one bad line), so this checker reads the bytes
themselves and lists every rule broken: `findings(data, single_event)` is empty for a good
file.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

MAX_OCTETS = 75  # RFC 5545 3.1, not counting the CRLF
TIMEZONE = "Europe/Tallinn"
DEADLINE = "Tähtaeg"  # the category of deadlines (model.SESSION_KINDS["deadline"])

# Properties of a subscription only; a single-event file for "add to calendar" must not carry
# them, or a client would offer to subscribe to one event or keep refreshing it.
FEED_ONLY = ("NAME", "X-WR-CALNAME", "X-WR-CALDESC", "REFRESH-INTERVAL", "X-PUBLISHED-TTL")
FEED_REQUIRED = (
    "NAME",
    "X-WR-CALNAME",
    "REFRESH-INTERVAL",
    "X-PUBLISHED-TTL",
    "URL",
    "METHOD",
)
CALENDAR_ONCE = (
    "PRODID",
    "VERSION",
    "METHOD",
    "CALSCALE",
    "NAME",
    "X-WR-CALNAME",
    "DESCRIPTION",
    "X-WR-CALDESC",
    "URL",
    "REFRESH-INTERVAL",
    "X-PUBLISHED-TTL",
)
EVENT_REQUIRED = (
    "UID",
    "DTSTAMP",
    "DTSTART",
    "SEQUENCE",
    "LAST-MODIFIED",
    "SUMMARY",
    "URL",
    "DESCRIPTION",
    "STATUS",
)
EVENT_ONCE = (
    *EVENT_REQUIRED,
    "DTEND",
    "DURATION",
    "CREATED",
    "LOCATION",
    "TRANSP",
    "CLASS",
    "CONFERENCE",
)
UTC_ONLY = ("DTSTAMP", "LAST-MODIFIED", "CREATED")  # RFC 5545 3.8.7: always UTC
DATE_OR_TIME = ("DTSTART", "DTEND", "RECURRENCE-ID", "EXDATE", "RDATE")
# TEXT values (RFC 5545 3.3.11): `\`, `,`, `;` and newlines must be escaped. X- properties are
# TEXT unless said otherwise (3.8.8.2), and clients unescape X-WR-CALNAME like NAME.
TEXT = ("SUMMARY", "LOCATION", "DESCRIPTION", "COMMENT", "NAME", "X-WR-CALNAME", "X-WR-CALDESC")
STATUSES = ("TENTATIVE", "CONFIRMED", "CANCELLED")

_NAME = re.compile(r"[A-Za-z0-9-]+")
_PARAM = re.compile(r";([A-Za-z0-9-]+)=")
_UNQUOTED = re.compile(r'[^";:,]*')
_DATE = re.compile(r"\d{8}")
_LOCAL_TIME = re.compile(r"\d{8}T\d{6}")
_UTC_TIME = re.compile(r"\d{8}T\d{6}Z")
_DURATION = re.compile(r"[+-]?P(\d+W|(\d+D)?(T(\d+H)?(\d+M)?(\d+S)?)?)")
_URL = re.compile(r"https?://\S+")
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")  # RFC 5545 CONTROL, all but HTAB
_ESCAPES = frozenset("\\;,nN")


@dataclass
class Line:
    """A content line after unfolding, with where its folds were (byte offsets in `raw`)."""

    number: int  # the physical line it starts on, counted from 1
    raw: bytes
    folds: list[int]
    name: str = ""
    params: dict[str, list[str]] = field(default_factory=dict)
    value: str = ""
    value_offset: int = 0  # where the value starts in `raw`

    def param(self, name: str) -> str | None:
        values = self.params.get(name)
        return values[0] if values else None


@dataclass
class Component:
    name: str
    number: int
    lines: list[Line] = field(default_factory=list)
    children: list[Component] = field(default_factory=list)

    def all(self, name: str) -> list[Line]:
        return [line for line in self.lines if line.name == name]

    def first(self, name: str) -> Line | None:
        found = self.all(name)
        return found[0] if found else None

    def walk(self) -> list[Component]:
        return [self, *(c for child in self.children for c in child.walk())]


def findings(data: bytes, single_event: bool) -> list[str]:
    """Every broken rule in one .ics file, as readable messages; empty when all is well.
    `single_event`: a file for adding one session, not a subscription."""
    out: list[str] = []
    physical = _physical_lines(data, out)
    lines = _unfold(physical, out)
    for line in lines:
        _parse(line, out)
    calendar = _tree([line for line in lines if line.name], out)
    if calendar is not None:
        _check_calendar(calendar, single_event, out)
    return out


# --- bytes and lines -----------------------------------------------------------------------


def _physical_lines(data: bytes, out: list[str]) -> list[tuple[int, bytes]]:
    """Lines as the file holds them: each must end in CRLF, hold no other CR or LF, fit in 75
    octets and be valid UTF-8 on its own (clients decode line by line)."""
    if not data.endswith(b"\r\n"):
        out.append("the file does not end with CRLF")
    pieces = data.split(b"\n")
    if pieces[-1] == b"":
        pieces.pop()
    lines, bare_lf = [], []
    for number, piece in enumerate(pieces, 1):
        if piece.endswith(b"\r"):
            piece = piece[:-1]
        elif number < len(pieces) or data.endswith(b"\n"):
            bare_lf.append(number)
        if b"\r" in piece:
            out.append(f"line {number}: raw CR inside the line")
        if len(piece) > MAX_OCTETS:
            out.append(f"line {number}: {len(piece)} octets, more than {MAX_OCTETS}")
        try:
            piece.decode("utf-8")
        except UnicodeDecodeError:
            out.append(f"line {number}: not valid UTF-8 on its own")
        if not piece:
            out.append(f"line {number}: empty line")
        lines.append((number, piece))
    if bare_lf:
        out.append(f"{len(bare_lf)} lines end in a bare LF, not CRLF (first: line {bare_lf[0]})")
    return lines


def _unfold(physical: list[tuple[int, bytes]], out: list[str]) -> list[Line]:
    """Join continuation lines, checking that no fold falls inside a UTF-8 character."""
    lines: list[Line] = []
    for number, piece in physical:
        if piece[:1] in (b" ", b"\t"):
            if not lines:
                out.append(f"line {number}: continuation line with nothing to continue")
                continue
            line = lines[-1]
            rest = piece[1:]
            if rest and 0x80 <= rest[0] <= 0xBF:
                out.append(f"line {number}: the fold before it splits a UTF-8 character")
            line.folds.append(len(line.raw))
            line.raw += rest
        elif piece:
            lines.append(Line(number, piece, []))
    return lines


def _parse(line: Line, out: list[str]) -> None:
    """Split `name *(;param=value) : value` (RFC 5545 3.1), minding quoted parameter values."""
    try:
        text = line.raw.decode("utf-8")
    except UnicodeDecodeError:
        out.append(f"line {line.number}: the content line is not valid UTF-8")
        return
    name = _NAME.match(text)
    if name is None:
        out.append(f"line {line.number}: no property name: {text[:30]!r}")
        return
    pos, params = name.end(), {}
    while pos < len(text) and text[pos] == ";":
        param = _PARAM.match(text, pos)
        if param is None:
            out.append(f"line {line.number}: malformed parameter in {text[:40]!r}")
            return
        pos, values = param.end(), []
        while True:
            if text.startswith('"', pos):
                close = text.find('"', pos + 1)
                if close < 0:
                    out.append(f"line {line.number}: unterminated quoted parameter value")
                    return
                values.append(text[pos + 1 : close])
                pos = close + 1
            else:
                unquoted = _UNQUOTED.match(text, pos)
                assert unquoted is not None  # the pattern also matches nothing
                values.append(unquoted.group())
                pos = unquoted.end()
            if not text.startswith(",", pos):
                break
            pos += 1
        params[param.group(1).upper()] = values
    if not text.startswith(":", pos):
        out.append(f"line {line.number}: no ':' after the name and parameters")
        return
    line.name, line.params, line.value = name.group().upper(), params, text[pos + 1 :]
    line.value_offset = len(text[: pos + 1].encode("utf-8"))
    if _CONTROL.search(line.value):
        out.append(f"line {line.number}: {line.name}: control character in the value")
    _check_escape_folds(line, out)


def _check_escape_folds(line: Line, out: list[str]) -> None:
    """A fold must not fall between a backslash and what it escapes: clients that unfold
    after unescaping, or line by line, read `\\` + `,` as two separate things."""
    starts, i, value = set(), line.value_offset, line.raw
    while i < len(value):
        if value[i] == 0x5C:
            starts.add(i)
            i += 2
        else:
            i += 1
    for fold in line.folds:
        if fold - 1 in starts:
            escape = value[fold - 1 : fold + 1].decode("utf-8", "replace")
            out.append(f"line {line.number}: {line.name}: a fold splits the escape {escape!r}")


def _tree(lines: list[Line], out: list[str]) -> Component | None:
    """BEGIN/END into components; the file must be exactly one VCALENDAR."""
    roots: list[Component] = []
    stack: list[Component] = []
    for line in lines:
        if line.name == "BEGIN":
            component = Component(line.value.upper(), line.number)
            (stack[-1].children if stack else roots).append(component)
            stack.append(component)
        elif line.name == "END":
            if not stack or stack[-1].name != line.value.upper():
                out.append(f"line {line.number}: END:{line.value} does not close what is open")
                return None
            stack.pop()
        elif stack:
            stack[-1].lines.append(line)
        else:
            out.append(f"line {line.number}: {line.name} outside any component")
    if stack:
        out.append(f"{stack[-1].name} from line {stack[-1].number} is never closed")
        return None
    if [root.name for root in roots] != ["VCALENDAR"]:
        out.append(f"the file must hold exactly one VCALENDAR, not {[r.name for r in roots]}")
        return None
    return roots[0]


# --- the calendar ----------------------------------------------------------------------------


def _check_calendar(calendar: Component, single_event: bool, out: list[str]) -> None:
    _once(calendar, CALENDAR_ONCE, "VCALENDAR", out)
    for name in ("PRODID", "VERSION"):
        if calendar.first(name) is None:
            out.append(f"VCALENDAR: missing {name}")
    version = calendar.first("VERSION")
    if version is not None and version.value != "2.0":
        out.append(f"VCALENDAR: VERSION is {version.value!r}, not 2.0")
    method = calendar.first("METHOD")
    if method is not None and method.value != "PUBLISH":
        out.append(f"VCALENDAR: METHOD is {method.value!r}, not PUBLISH")
    _check_texts(calendar, "VCALENDAR", out)
    if single_event:
        _check_single_event_file(calendar, out)
    else:
        _check_feed(calendar, out)
    for component in calendar.walk():
        if component.name == "VALARM":
            out.append(f"line {component.number}: VALARM: feeds must not set anyone's alarms")
    zones = _check_timezones(calendar, out)
    events = [c for c in calendar.children if c.name == "VEVENT"]
    seen: dict[str, int] = {}
    for event in events:
        uid = _check_event(event, zones, out)
        if uid is not None and uid in seen:
            out.append(
                f"line {event.number}: UID {uid} already used by the event on line {seen[uid]}"
            )
        elif uid is not None:
            seen[uid] = event.number


def _check_feed(calendar: Component, out: list[str]) -> None:
    """A subscription names itself, says how often to look again and where it lives."""
    for name in FEED_REQUIRED:
        if calendar.first(name) is None:
            out.append(f"feed: missing {name}")
    refresh = calendar.first("REFRESH-INTERVAL")
    if refresh is not None:
        if refresh.param("VALUE") != "DURATION":
            out.append("feed: REFRESH-INTERVAL needs VALUE=DURATION (RFC 7986 5.7)")
        if not _DURATION.fullmatch(refresh.value):
            out.append(f"feed: REFRESH-INTERVAL {refresh.value!r} is not a duration")
    ttl = calendar.first("X-PUBLISHED-TTL")
    if ttl is not None and not _DURATION.fullmatch(ttl.value):
        out.append(f"feed: X-PUBLISHED-TTL {ttl.value!r} is not a duration")
    url = calendar.first("URL")
    if url is not None and not _URL.fullmatch(url.value):
        out.append(f"feed: URL {url.value!r} is not a web address")
    for ours, theirs in (("NAME", "X-WR-CALNAME"), ("DESCRIPTION", "X-WR-CALDESC")):
        a, b = calendar.first(ours), calendar.first(theirs)
        if (a is None) != (b is None):
            out.append(f"feed: {ours} and {theirs} must come together")
        elif a is not None and b is not None and _unescape(a.value) != _unescape(b.value):
            out.append(f"feed: {ours} and {theirs} differ")


def _check_single_event_file(calendar: Component, out: list[str]) -> None:
    """One event to add once: not a subscription."""
    for name in FEED_ONLY:
        if calendar.first(name) is not None:
            out.append(f"single-event file: {name} belongs to feeds only")
    events = [c for c in calendar.children if c.name == "VEVENT"]
    if len(events) != 1:
        out.append(f"single-event file: {len(events)} VEVENTs, not exactly one")


def _check_timezones(calendar: Component, out: list[str]) -> set[str]:
    """The TZIDs defined in the file; each definition must be complete enough to use."""
    zones = set()
    for zone in (c for c in calendar.children if c.name == "VTIMEZONE"):
        tzid = zone.first("TZID")
        if tzid is None:
            out.append(f"line {zone.number}: VTIMEZONE without TZID")
            continue
        zones.add(tzid.value)
        rules = [c for c in zone.children if c.name in ("STANDARD", "DAYLIGHT")]
        if not rules:
            out.append(f"line {zone.number}: VTIMEZONE {tzid.value} has no STANDARD/DAYLIGHT")
        for rule in rules:
            for name in ("DTSTART", "TZOFFSETFROM", "TZOFFSETTO"):
                if rule.first(name) is None:
                    out.append(f"line {rule.number}: {rule.name} without {name}")
    return zones


# --- events ----------------------------------------------------------------------------------


def _check_event(event: Component, zones: set[str], out: list[str]) -> str | None:
    uid_line = event.first("UID")
    uid = uid_line.value if uid_line is not None else None
    where = f"VEVENT {uid}" if uid else f"VEVENT on line {event.number}"
    _once(event, EVENT_ONCE, where, out)
    for name in EVENT_REQUIRED:
        if event.first(name) is None:
            out.append(f"{where}: missing {name}")
    for name in UTC_ONLY:
        for line in event.all(name):
            if line.params or not _UTC_TIME.fullmatch(line.value):
                out.append(f"{where}: {name} must be a UTC time (…Z), not {_shown(line)}")
    sequence = event.first("SEQUENCE")
    if sequence is not None and not sequence.value.isdigit():
        out.append(f"{where}: SEQUENCE {sequence.value!r} is not a non-negative integer")
    status = event.first("STATUS")
    if status is not None and status.value not in STATUSES:
        out.append(f"{where}: STATUS {status.value!r} is not one of {', '.join(STATUSES)}")
    url = event.first("URL")
    if url is not None and not _URL.fullmatch(url.value):
        out.append(f"{where}: URL {url.value!r} is not a web address")
    if event.first("DTEND") is not None and event.first("DURATION") is not None:
        out.append(f"{where}: both DTEND and DURATION")
    _check_texts(event, where, out)
    _check_categories(event, where, out)
    _check_times(event, where, zones, out)
    _check_deadline(event, where, out)
    _check_conference(event, where, out)
    return uid


def _check_times(event: Component, where: str, zones: set[str], out: list[str]) -> None:
    """Timed: Tallinn wall-clock time with its VTIMEZONE in the file. All-day: DATE values
    with an exclusive end after the start. Never floating, never mixed."""
    for name in DATE_OR_TIME:
        for line in event.all(name):
            _check_time_value(line, where, zones, out)
    start, end = event.first("DTSTART"), event.first("DTEND")
    if start is None:
        return
    all_day = start.param("VALUE") == "DATE"
    if all_day and end is None:
        out.append(f"{where}: all-day event without DTEND (its exclusive end day)")
    if end is None:
        return
    if (end.param("VALUE") == "DATE") != all_day:
        out.append(f"{where}: DTSTART and DTEND are not both DATE or both DATE-TIME")
    elif end.param("TZID") != start.param("TZID"):
        out.append(f"{where}: DTSTART and DTEND are in different zones")
    elif end.value <= start.value:  # same zone and form: the digits sort as the times do
        out.append(f"{where}: DTEND {end.value} is not after DTSTART {start.value}")


def _check_time_value(line: Line, where: str, zones: set[str], out: list[str]) -> None:
    name, value, tzid = line.name, line.value, line.param("TZID")
    if line.param("VALUE") == "DATE":
        if tzid is not None:
            out.append(f"{where}: {name} is a DATE with a TZID")
        if not _DATE.fullmatch(value) or not _exists(value):
            out.append(f"{where}: {name} {value!r} is not a DATE (YYYYMMDD)")
        return
    if _DATE.fullmatch(value):
        out.append(f"{where}: {name} {value!r} is a date without VALUE=DATE")
        return
    if not (_LOCAL_TIME.fullmatch(value) or _UTC_TIME.fullmatch(value)) or not _exists(value):
        out.append(f"{where}: {name} {value!r} is not a DATE-TIME")
        return
    if value.endswith("Z"):
        out.append(f"{where}: {name} is UTC; timed events are {TIMEZONE} wall-clock times")
    elif tzid is None:
        out.append(f"{where}: {name} {value} is floating (no TZID): the calendar would guess")
    elif tzid != TIMEZONE:
        out.append(f"{where}: {name} has TZID={tzid}, not {TIMEZONE}")
    if tzid is not None and tzid not in zones:
        out.append(f"{where}: {name} uses TZID={tzid} but the file has no VTIMEZONE for it")


def _check_deadline(event: Component, where: str, out: list[str]) -> None:
    """A deadline is a day that makes nobody busy."""
    categories = [c for line in event.all("CATEGORIES") for c in _split_list(line.value)]
    if DEADLINE not in categories:
        return
    start = event.first("DTSTART")
    if start is not None and start.param("VALUE") != "DATE":
        out.append(f"{where}: a deadline must be all-day (VALUE=DATE)")
    transp = event.first("TRANSP")
    if transp is None or transp.value != "TRANSPARENT":
        out.append(f"{where}: a deadline must be TRANSP:TRANSPARENT")


def _check_conference(event: Component, where: str, out: list[str]) -> None:
    """RFC 7986 CONFERENCE: a URI for joining, also in DESCRIPTION for clients without it."""
    for line in event.all("CONFERENCE"):
        if line.param("VALUE") != "URI":
            out.append(f"{where}: CONFERENCE needs VALUE=URI (RFC 7986 5.11)")
        if "VIDEO" not in line.params.get("FEATURE", []):
            out.append(f"{where}: CONFERENCE without FEATURE=VIDEO")
        if not line.param("LABEL"):
            out.append(f"{where}: CONFERENCE without a LABEL")
        if not _URL.fullmatch(line.value):
            out.append(f"{where}: CONFERENCE {line.value!r} is not a web address")
        description = event.first("DESCRIPTION")
        if description is None or line.value not in _unescape(description.value):
            out.append(f"{where}: the CONFERENCE link is not in DESCRIPTION")


# --- text ------------------------------------------------------------------------------------


def _check_texts(component: Component, where: str, out: list[str]) -> None:
    for name in TEXT:
        for line in component.all(name):
            for problem in _text_problems(line.value, list_separator=False):
                out.append(f"{where}: {name}: {problem}")


def _check_categories(event: Component, where: str, out: list[str]) -> None:
    for line in event.all("CATEGORIES"):
        for problem in _text_problems(line.value, list_separator=True):
            out.append(f"{where}: CATEGORIES: {problem}")


def _text_problems(value: str, list_separator: bool) -> list[str]:
    """What is wrong with a TEXT value's escaping (RFC 5545 3.3.11), one message per kind of
    mistake with the first place it happens."""
    found: dict[str, tuple[int, int]] = {}  # mistake -> (count, first index)

    def note(mistake: str, at: int) -> None:
        count, first = found.get(mistake, (0, at))
        found[mistake] = (count + 1, first)

    i = 0
    while i < len(value):
        char = value[i]
        if char == "\\":
            if not value[i + 1 : i + 2] or value[i + 1] not in _ESCAPES:
                note("backslash that starts no escape", i)
            i += 2
            continue
        if char == ";" or (char == "," and not list_separator):
            note(f"unescaped {char!r}", i)
        i += 1
    return [
        f"{mistake} ({count}×), first at {value[max(0, at - 12) : at + 12]!r}"
        for mistake, (count, at) in found.items()
    ]


def _unescape(value: str) -> str:
    return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) in "nN" else m.group(1), value)


def _split_list(value: str) -> list[str]:
    """A list of TEXT values: split at commas that are not escaped, then unescape each."""
    parts, current, i = [], "", 0
    while i < len(value):
        if value[i] == "\\":
            current += value[i : i + 2]
            i += 2
        elif value[i] == ",":
            parts.append(current)
            current, i = "", i + 1
        else:
            current += value[i]
            i += 1
    return [_unescape(part) for part in [*parts, current]]


# --- helpers ---------------------------------------------------------------------------------


def _once(component: Component, names: tuple[str, ...], where: str, out: list[str]) -> None:
    for name in names:
        count = len(component.all(name))
        if count > 1:
            out.append(f"{where}: {name} {count} times, allowed once")


def _exists(value: str) -> bool:
    """A DATE or DATE-TIME that is well formed can still name no real day or time."""
    try:
        dt.datetime.strptime(value.removesuffix("Z"), "%Y%m%dT%H%M%S" if "T" in value else "%Y%m%d")
    except ValueError:
        return False
    return True


def _shown(line: Line) -> str:
    params = "".join(f";{k}={','.join(v)}" for k, v in line.params.items())
    return f"{line.name}{params}:{line.value}"
