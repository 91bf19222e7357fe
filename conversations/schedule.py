"""A programme's schedule as data: cadence rules to rounds, and each grantee's local send times."""

from __future__ import annotations

import enum
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import ErrorDetails

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
ORDINALS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4}
ORDINALS |= {"4th": 4, "last": -1}
MONTHS_FOR = {
    "monthly": tuple(range(1, 13)),
    "quarterly": (1, 4, 7, 10),
    "half-yearly": (1, 7),
    "yearly": (1,),
}
# The first moment anywhere on Earth that a calendar day begins (UTC+14, Line Islands): a
# round is created then, so every grantee's local send time on its opening day is still ahead.
EARLIEST_ZONE = timezone(timedelta(hours=14))
_DAY = re.compile(r"^(?:(?P<n>\d{1,2})|(?P<last_day>last day)|(?P<ord>\w+) (?P<weekday>[a-z]+))$")

Cadence = Literal["weekly", "monthly", "quarterly", "half-yearly", "yearly"]


class Schedule(BaseModel):
    """The [schedule] table of a programme file: when rounds open and who is reminded when."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    cadence: Cadence = "quarterly"
    months: tuple[int, ...] | None = Field(None, description="Months a round opens in.")
    day: str = Field("1", description="'1'..'28', 'last day', 'first monday', 'last friday'.")
    send_time: time = Field(time(10, 0), description="Local time in each grantee's zone.")
    weekdays_only: bool = True
    due_after_days: int = Field(14, ge=1, le=366)
    reminders_after_days: tuple[int, ...] = (3, 7)
    remind_on_due_date: bool = True
    max_reminders: int | None = Field(None, ge=0, le=20)
    grace_days: int = Field(14, ge=0, le=366)
    digest_every: Literal["round", "week", "month"] = Field(
        "round", description="Funder digests: at each round's close, and also weekly or monthly."
    )
    starts: date | None = Field(None, description="No round opens before this day.")
    ends: date | None = Field(None, description="No round opens after this day.")

    @field_validator("send_time", mode="before")
    @classmethod
    def _clock_time(cls, value: object) -> object:
        if isinstance(value, str):
            match = re.fullmatch(r"(\d{1,2}):(\d{2})", value.strip())
            if match is None or int(match[1]) > 23 or int(match[2]) > 59:
                raise ValueError(f"{value!r} is not a time of day; write it as HH:MM, e.g. '10:00'")
            return time(int(match[1]), int(match[2]))
        return value

    @field_validator("day")
    @classmethod
    def _day_rule(cls, value: str) -> str:
        value = " ".join(value.lower().split())
        match = _DAY.match(value)
        ok = value in WEEKDAYS or (
            match is not None
            and (
                (match["n"] is not None and 1 <= int(match["n"]) <= 28)
                or match["last_day"] is not None
                or (match["ord"] in ORDINALS and match["weekday"] in WEEKDAYS)
            )
        )
        if not ok:
            raise ValueError(
                f"{value!r} is not a day rule; use a day of the month from 1 to 28, 'last day', "
                "or a weekday such as 'first monday', 'second tuesday' or 'last friday'"
            )
        return value

    @field_validator("reminders_after_days")
    @classmethod
    def _reminder_days(cls, days: tuple[int, ...]) -> tuple[int, ...]:
        if any(d < 1 for d in days):
            raise ValueError("reminder days count from the opening day, so each must be 1 or more")
        if len(set(days)) != len(days):
            raise ValueError("a reminder day is listed more than once")
        return tuple(sorted(days))

    @model_validator(mode="after")
    def _consistent(self) -> Schedule:
        if self.cadence == "weekly":
            if self.months is not None:
                raise ValueError("a weekly cadence opens every week: leave out 'months'")
            if self.day not in WEEKDAYS:
                raise ValueError("for a weekly cadence, 'day' is a weekday such as 'monday'")
        else:
            months = self.months or MONTHS_FOR[self.cadence]
            if any(not 1 <= m <= 12 for m in months) or len(set(months)) != len(months):
                raise ValueError("'months' lists distinct month numbers from 1 to 12")
            wanted = {"quarterly": 4, "half-yearly": 2, "yearly": 1}.get(self.cadence)
            if wanted is not None and len(months) != wanted:
                raise ValueError(f"a {self.cadence} cadence opens in {wanted} month(s) a year")
            if self.day in WEEKDAYS:
                raise ValueError(f"for a {self.cadence} cadence, say which one: 'first {self.day}'")
        late = [d for d in self.reminders_after_days if d > self.due_after_days + self.grace_days]
        if late:
            raise ValueError(f"reminders after {late} days would come after the round has closed")
        if self.starts and self.ends and self.ends < self.starts:
            raise ValueError("'ends' is before 'starts'")
        return self

    @property
    def opening_months(self) -> tuple[int, ...]:
        return tuple(sorted(self.months or MONTHS_FOR.get(self.cadence, ())))

    def last_digest_day(self, today: date) -> date | None:
        """The latest day up to `today` when a periodic digest is due (a Monday, or the 1st)."""
        if self.digest_every == "week":
            return today - timedelta(days=today.weekday())
        if self.digest_every == "month":
            return today.replace(day=1)
        return None

    @property
    def reminder_limit(self) -> int:
        planned = len(self.reminders_after_days) + int(self.remind_on_due_date)
        return planned if self.max_reminders is None else min(planned, self.max_reminders)


@dataclass(frozen=True)
class RoundSlot:
    """One round a schedule opens: its label and its days (in the programme's calendar)."""

    period: str
    opens_on: date
    due_on: date
    closes_on: date


class SendKind(enum.StrEnum):
    FIRST = "first"
    REMINDER = "reminder"


@dataclass(frozen=True)
class PlannedSend:
    kind: SendKind
    at: datetime  # UTC
    number: int  # 0 for the first message; reminders count from 1


def nth_weekday(year: int, month: int, rule: str) -> date:
    """The day a 'first monday' / 'last friday' / '15' / 'last day' rule names in a month."""
    if rule.isdigit():
        return date(year, month, int(rule))
    following = date(year + month // 12, month % 12 + 1, 1)
    if rule == "last day":
        return following - timedelta(days=1)
    ordinal, weekday = rule.split()
    wanted = WEEKDAYS.index(weekday)
    if ORDINALS[ordinal] == -1:
        last = following - timedelta(days=1)
        return last - timedelta(days=(last.weekday() - wanted) % 7)
    first = date(year, month, 1)
    return first + timedelta(days=(wanted - first.weekday()) % 7 + 7 * (ORDINALS[ordinal] - 1))


def next_weekday(day: date) -> date:
    """The day itself if Monday to Friday, else the Monday after."""
    return day + timedelta(days=max(0, 7 - day.weekday())) if day.weekday() >= 5 else day


def previous_weekday(day: date) -> date:
    return day - timedelta(days=day.weekday() - 4) if day.weekday() >= 5 else day


def period_label(schedule: Schedule, opens_on: date) -> str:
    if schedule.cadence == "weekly":
        year, week, _ = opens_on.isocalendar()
        return f"{year}-W{week:02d}"
    if schedule.cadence == "quarterly":
        return f"{opens_on.year} Q{(opens_on.month - 1) // 3 + 1}"
    if schedule.cadence == "half-yearly":
        return f"{opens_on.year} H{1 if opens_on.month <= 6 else 2}"
    if schedule.cadence == "yearly":
        return str(opens_on.year)
    return f"{opens_on:%B %Y}"


def _opening_days(schedule: Schedule, start: date) -> Iterator[date]:
    """Opening days on or after `start` (before the weekday shift), in order, forever."""
    if schedule.cadence == "weekly":
        day = start + timedelta(days=(WEEKDAYS.index(schedule.day) - start.weekday()) % 7)
        while True:
            yield day
            day += timedelta(days=7)
    year = start.year
    while True:
        for month in schedule.opening_months:
            day = nth_weekday(year, month, schedule.day)
            if day >= start:
                yield day
        year += 1


def _slot(schedule: Schedule, raw: date) -> RoundSlot:
    opens = next_weekday(raw) if schedule.weekdays_only else raw
    due = opens + timedelta(days=schedule.due_after_days)
    due = next_weekday(due) if schedule.weekdays_only else due
    return RoundSlot(
        period_label(schedule, raw), opens, due, due + timedelta(days=schedule.grace_days)
    )


def rounds_between(schedule: Schedule, start: date, end: date) -> list[RoundSlot]:
    """Rounds whose opening day falls in [start, end], within the schedule's own limits."""
    if schedule.starts and schedule.starts > start:
        start = schedule.starts
    if schedule.ends and schedule.ends < end:
        end = schedule.ends
    # an opening day moved off a weekend may land after `start` although its rule day did not
    slots: list[RoundSlot] = []
    for raw in _opening_days(schedule, start - timedelta(days=2)):
        slot = _slot(schedule, raw)
        if slot.opens_on > end:
            return slots
        if slot.opens_on >= start:
            slots.append(slot)
    return slots  # not reached: the opening days never run out


def latest_round(schedule: Schedule, today: date) -> RoundSlot | None:
    """The round that opened most recently on or before `today` (None if none has yet)."""
    found = rounds_between(schedule, today - timedelta(days=400), today)
    return found[-1] if found else None


def round_created_at(slot: RoundSlot) -> datetime:
    """When the round's check-ins are made: its opening day's first moment anywhere."""
    return datetime.combine(slot.opens_on, time(0, 0), tzinfo=EARLIEST_ZONE).astimezone(UTC)


def local_moment(day: date, at: time, zone: ZoneInfo) -> datetime:
    """`at` o'clock on `day` in `zone`, in UTC.

    A time that a spring-forward skips (01:30 in London on the last Sunday of March) comes out
    as the same moment on the clock's old offset, i.e. an hour later by the new clock; a time
    that happens twice in autumn means its first occurrence (fold=0).
    """
    local = datetime.combine(day, at, tzinfo=zone)
    return local.astimezone(UTC)


def send_plan(schedule: Schedule, slot: RoundSlot, zone: ZoneInfo) -> tuple[PlannedSend, ...]:
    """The first message and every reminder for a grantee in `zone`, at their local send time."""
    shift = next_weekday if schedule.weekdays_only else (lambda d: d)
    sends = [PlannedSend(SendKind.FIRST, local_moment(slot.opens_on, schedule.send_time, zone), 0)]
    days = [shift(slot.opens_on + timedelta(days=n)) for n in schedule.reminders_after_days]
    if schedule.remind_on_due_date:
        # a due-date reminder on a weekend comes on the Friday before, not after the deadline
        days.append(previous_weekday(slot.due_on) if schedule.weekdays_only else slot.due_on)
    distinct = sorted({d for d in days if d > slot.opens_on})
    for number, day in enumerate(distinct[: schedule.reminder_limit], start=1):
        sends.append(
            PlannedSend(SendKind.REMINDER, local_moment(day, schedule.send_time, zone), number)
        )
    return tuple(sends)


def deadline(day: date, zone: ZoneInfo) -> datetime:
    """The end of `day` in `zone`, in UTC: 'due 1 March' means all of 1 March there."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=zone).astimezone(UTC)


def schedule_problems(table: Mapping[str, object]) -> list[str]:
    """Each problem in a [schedule] table as 'schedule.KEY: what to write'; [] when usable."""
    try:
        Schedule.model_validate(dict(table))
    except ValidationError as exc:
        return [_explain(err) for err in exc.errors()]
    return []


def _explain(err: ErrorDetails) -> str:
    where = ".".join(["schedule", *(str(p) for p in err["loc"] if not isinstance(p, int))])
    given = err.get("input")
    if err["type"] == "extra_forbidden":
        return f"{where}: unknown key; the keys are {', '.join(Schedule.model_fields)}"
    if err["type"] == "value_error":
        return f"{where}: {(err.get('ctx') or {}).get('error', err['msg'])}"
    if err["type"] == "literal_error":
        cadences = ", ".join(repr(c) for c in ("weekly", *MONTHS_FOR))
        return f"{where}: {given!r} is not a cadence; use one of {cadences}"
    return f"{where}: {err['msg'].lower()}, got {given!r}"
