"""Read what grantees say about availability: 'remind me Friday', 'away until 1 Dec', mute."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from conversations.schedule import WEEKDAYS

MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
MAX_AHEAD = timedelta(days=366)

_REMIND = re.compile(
    r"^(?:please\s+)?remind\s+me\s+(?:again\s+)?(?:on\s+|until\s+)?(?P<when>.+)$", re.I
)
_LATER = re.compile(r"^(?:later|pause)\s+(?:on\s+|until\s+|till\s+)?(?P<when>.+)$", re.I)
_AWAY = re.compile(
    r"^(?:i\s*['\u2019]?\s*a?m\s+|i\s+will\s+be\s+|i'?ll\s+be\s+)?(?:away|on\s+leave|out\s+of\s+"
    r"(?:the\s+)?office|off)\s+(?:until|till|til|to|through)\s+(?P<when>.+?)[\s.!]*$",
    re.IGNORECASE,
)
_MUTE = re.compile(
    r"^(?:mute(?:\s+reminders)?|no\s+more\s+reminders|stop\s+(?:the\s+)?reminders|"
    r"reminders\s+off|don'?t\s+remind\s+me)[\s.!]*$",
    re.IGNORECASE,
)
_UNMUTE = re.compile(r"^(?:unmute(?:\s+reminders)?|reminders\s+on)[\s.!]*$", re.IGNORECASE)
_IN = re.compile(r"^in\s+(?P<n>\d+|a|an|one|two|three)\s+(?P<unit>days?|weeks?)$", re.I)
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_DAY_MONTH = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?\s+([a-z]+)\.?(?:,?\s+(\d{4}))?$", re.I)
_MONTH_DAY = re.compile(r"^([a-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?(?:,?\s+(\d{4}))?$", re.I)
_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3}


@dataclass(frozen=True)
class Snooze:
    """No reminders before this day; the next one comes that day at the usual send time."""

    until: date


@dataclass(frozen=True)
class Away:
    """Away until this day (inclusive): not asked, not reminded, not counted as missing."""

    until: date


@dataclass(frozen=True)
class Mute:
    muted: bool


@dataclass(frozen=True)
class NotUnderstood:
    """A request about availability whose date could not be used; says what to write instead."""

    reason: str


AvailabilityRequest = Snooze | Away | Mute | NotUnderstood


def read_availability(text: str, today: date) -> AvailabilityRequest | None:
    """The availability request in `text`, or None when it is not one (plain `later` included)."""
    text = " ".join(text.strip().split())
    if _MUTE.match(text):
        return Mute(True)
    if _UNMUTE.match(text):
        return Mute(False)
    away = _AWAY.match(text)
    if away:
        return _request(away["when"], today, Away)
    remind = _REMIND.match(text)
    if remind:  # unmistakably a request: a day it cannot read gets a hint
        return _request(remind["when"], today, Snooze)
    later = _LATER.match(text)
    when = later["when"] if later else (text if _IN.match(text.rstrip(".!")) else None)
    if when is not None and not isinstance(read_day(when, today), str):
        # 'later friday' is a request; 'later' with anything else is left to the engine
        return _request(when, today, Snooze)
    return None


def _request(when: str, today: date, kind: type[Snooze] | type[Away]) -> AvailabilityRequest:
    day = read_day(when, today)
    return NotUnderstood(day) if isinstance(day, str) else _check(day, today, kind)


def _check(day: date, today: date, kind: type[Snooze] | type[Away]) -> AvailabilityRequest:
    if day <= today and kind is Snooze:
        return NotUnderstood(f"{day:%A} {day.day} {day:%B %Y} has already come; give a later day")
    if day < today:
        return NotUnderstood(f"{day.day} {day:%B %Y} is in the past; give the day you are back")
    if day - today > MAX_AHEAD:
        return NotUnderstood("that is more than a year away; give a day within the next year")
    return kind(day)


def read_day(text: str, today: date) -> date | str:
    """A day from 'friday', 'tomorrow', 'next week', 'in 3 days', '2026-12-01', '1 December'.

    Returns the reason in words when the text is not a day this understands.
    """
    words = text.strip().lower().rstrip(".!")
    if words in ("tomorrow", "tmrw"):
        return today + timedelta(days=1)
    if words == "next week":
        return today + timedelta(days=7 - today.weekday())
    bare = words.removeprefix("next ").removeprefix("on ")
    if bare in WEEKDAYS or (len(bare) == 3 and bare in {w[:3] for w in WEEKDAYS}):
        wanted = next(i for i, w in enumerate(WEEKDAYS) if w.startswith(bare[:3]))
        return today + timedelta(days=(wanted - today.weekday() - 1) % 7 + 1)
    relative = _IN.match(words)
    if relative:
        n = int(relative["n"]) if relative["n"].isdigit() else _WORDS[relative["n"].lower()]
        return today + timedelta(days=n * (7 if relative["unit"].startswith("week") else 1))
    return _calendar_day(words, today)


def _calendar_day(words: str, today: date) -> date | str:
    hint = (
        f"I couldn't read {words!r} as a day; write a date like 2026-12-01 or 1 December, "
        "a weekday such as Friday, or 'in 3 days'"
    )
    iso = _ISO.match(words)
    if iso:
        return _make(int(iso[1]), int(iso[2]), int(iso[3])) or hint
    named = _DAY_MONTH.match(words) or _MONTH_DAY.match(words)
    if named is None:
        return hint
    first, second, year_text = named.groups()
    day_text, month_text = (first, second) if first.isdigit() else (second, first)
    abbreviation = month_text[:3].lower()
    if len(month_text) < 3 or abbreviation not in MONTH_NAMES:
        return hint
    month = MONTH_NAMES.index(abbreviation) + 1
    if year_text:
        return _make(int(year_text), month, int(day_text)) or hint
    # no year: the next such day, so '3 January' said in December means next January
    this_year = _make(today.year, month, int(day_text))
    if this_year is None:
        return hint
    if this_year >= today:
        return this_year
    return _make(today.year + 1, month, int(day_text)) or hint


def _make(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None
