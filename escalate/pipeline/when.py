"""When it happened: reading what a person types, and saying it back in words.

"14:05", "yesterday 9:05", "about an hour ago", "10 minutes ago", "now" or ISO 8601 are
read in the report's timezone, which is settled before the time is read. The answer is
said back with its date and UTC ("= yesterday, Mon 30 Nov, 14:05 CST, 20:05 UTC"), so a
time silently read as yesterday is seen, and a hedged answer is kept as approximate.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from escalate.errors import InvalidAnswer
from escalate.text import shorten

_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
_CLOCK = re.compile(
    r"(?:(?P<day>today|yesterday)\s+(?:at\s+)?)?(?:at\s+)?(?P<h>\d{1,2})(?::(?P<m>\d{2}))?"
    r"(?::(?P<s>\d{2}))?\s*(?P<ampm>[ap]\.?m\.?)?",
    re.IGNORECASE,
)
_RELATIVE = re.compile(
    r"(?P<n>\d{1,4}|an?|one|a\s+few|a\s+couple\s+of|a\s+couple|half\s+an?)\s*"
    r"(?P<unit>s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?)\s+ago",
    re.IGNORECASE,
)
# Words that make an answer approximate; they are dropped before the time is read.
_HEDGE = re.compile(
    r"^(?:about|around|approx(?:imately|\.)?|roughly|circa|ca\.?|~|maybe|probably|"
    r"some\s?time\s+(?:around|about))\s*|\s*(?:or\s+so|-?ish|\?)$",
    re.IGNORECASE,
)
_COUNTS = {"a": 1, "an": 1, "one": 1, "a few": 3, "a couple of": 2, "a couple": 2}
EXAMPLES = "e.g. 14:32, yesterday 9:05, about an hour ago, 10 minutes ago, or now"
FUTURE_TOLERANCE = timedelta(minutes=5)


def is_approximate(raw: object) -> bool:
    """Whether the answer hedges ("about 14:00", "an hour ago or so", "a few minutes ago")."""
    text = " ".join(str(raw).split())
    if _HEDGE.search(text):
        return True
    m = _RELATIVE.fullmatch(text.lower())
    # "an hour ago" is a guess; "12 minutes ago" is a reading of the clock
    return m is not None and not m["n"].isdigit()


def parse_occurred_at(raw: object, now: datetime, tz: str) -> str:
    """The answer as an ISO string: wall-clock time in ``tz``, or with the offset given."""
    text = " ".join(str(raw).split())
    zone = ZoneInfo(tz)
    local_now = now.astimezone(zone)
    when = _parse_when(_unhedged(text), local_now)
    if when is None:
        raise InvalidAnswer(
            "occurred_at", f"cannot read {shorten(text, 60)!r} as a time", f"type {EXAMPLES}"
        )
    aware = when if when.tzinfo else when.replace(tzinfo=zone)
    if aware > local_now + FUTURE_TOLERANCE:
        raise InvalidAnswer(
            "occurred_at",
            f"{shorten(text, 60)!r} is in the future ({describe(aware, tz, now)})",
            "give the time the error happened, " + EXAMPLES,
        )
    return when.isoformat(timespec="seconds")


def resolve(iso: str, tz: str) -> datetime:
    """An answer from :func:`parse_occurred_at` as an aware time in ``tz``."""
    when = datetime.fromisoformat(iso)
    zone = ZoneInfo(tz)
    return when.replace(tzinfo=zone) if when.tzinfo is None else when.astimezone(zone)


def describe(when: datetime, tz: str, now: datetime) -> str:
    """``"yesterday, Mon 30 Nov, 14:05 CST, 20:05 UTC"``: the day in words, then UTC."""
    zone = ZoneInfo(tz)
    local = when.astimezone(zone)
    today = now.astimezone(zone).date()
    days = (today - local.date()).days
    day = {0: "today", 1: "yesterday"}.get(days)
    year = "" if local.year == today.year else f" {local.year}"
    date = f"{local:%a} {local.day} {local:%b}{year}"
    clock = f"{local:%H:%M} {zone_label(local)}"
    utc = when.astimezone(UTC)
    in_utc = "" if local.utcoffset() == timedelta(0) else f", {utc:%H:%M} UTC"
    if utc.date() != local.date() and in_utc:
        in_utc = f", {utc:%a} {utc.day} {utc:%b} {utc:%H:%M} UTC"
    return f"{day + ', ' if day else ''}{date}, {clock}{in_utc}"


def zone_label(local: datetime) -> str:
    """``"CST"``, or ``"UTC+05:30"`` for zones without a letter abbreviation."""
    abbrev = local.tzname() or ""
    if abbrev and not abbrev.lstrip("+-").isdigit():
        return abbrev
    offset = local.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _unhedged(text: str) -> str:
    previous = None
    while previous != text:
        previous, text = text, _HEDGE.sub("", text).strip()
    return text


def _parse_when(text: str, local_now: datetime) -> datetime | None:
    lowered = text.lower()
    if lowered in {"now", "just now", "right now", "a moment ago"}:
        return local_now.replace(microsecond=0, tzinfo=None)
    if m := _RELATIVE.fullmatch(lowered):
        count = m["n"]
        n: float = int(count) if count.isdigit() else _COUNTS.get(" ".join(count.split()), 0.5)
        unit = _UNITS[m["unit"][0]]
        return (local_now - timedelta(**{unit: n})).replace(microsecond=0, tzinfo=None)
    if (m := _CLOCK.fullmatch(lowered)) and (m["m"] is not None or m["ampm"] is not None):
        return _clock_time(m, local_now)
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def _clock_time(m: re.Match[str], local_now: datetime) -> datetime | None:
    hour, minute, second = int(m["h"]), int(m["m"] or 0), int(m["s"] or 0)
    if m["ampm"]:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if m["ampm"].startswith("p") else 0)
    if hour > 23 or minute > 59 or second > 59:
        return None
    naive_now = local_now.replace(tzinfo=None)
    when = naive_now.replace(hour=hour, minute=minute, second=second, microsecond=0)
    # "14:05" that is still ahead today means yesterday; it is said back, never silent
    if m["day"] == "yesterday" or (m["day"] is None and when > naive_now + FUTURE_TOLERANCE):
        when -= timedelta(days=1)
    return when
