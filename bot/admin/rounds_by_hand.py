"""Use cases behind the scheduling commands: show the schedule, open and close rounds, away."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import storage
from bot.admin import operations as admin
from bot.conversation.dispatcher import Dispatcher
from bot.scheduling.jobs import Jobs, read_schedule
from conversations.schedule import PlannedSend, RoundSlot, Schedule, rounds_between, send_plan
from storage.records import Grantee, OpenedRound, Programme, Round
from storage.schedule import ScheduleLine


@dataclass(frozen=True)
class PlannedLine:
    grantee: Grantee
    channel: str
    sends: tuple[PlannedSend, ...]


@dataclass(frozen=True)
class Overview:
    programme: Programme
    schedule: Schedule | None
    upcoming: list[RoundSlot]
    next_plan: list[PlannedLine]  # each grantee's sends in the first upcoming round
    current: Round | None
    lines: list[ScheduleLine]  # the open round's schedule, per grantee
    events: dict[str, datetime]


def _jobs(zone: str) -> Jobs:
    # planning and closing touch no channel: a dispatcher without any is enough
    return Jobs(Dispatcher({}), timezone=zone)


def likely_channel(grantee: Grantee, chosen: str | None) -> str:
    return chosen or ("slack" if grantee.slack_user_id else "email")


async def overview(slug: str, *, now: datetime, zone: str, rounds: int = 3) -> Overview:
    programme = await admin.programme(slug)
    schedule = read_schedule(programme)
    today = now.astimezone(ZoneInfo(zone)).date()
    upcoming: list[RoundSlot] = []
    if schedule is not None:
        found = rounds_between(schedule, today, today + timedelta(days=3 * 366))
        upcoming = [s for s in found if await storage.get_round(programme.id, s.period) is None]
        upcoming = upcoming[:rounds]
    grantees = await storage.list_grantees(programme.id)
    prefs = await storage.preferences([g.id for g in grantees])
    next_plan = []
    if schedule is not None and upcoming:
        for grantee in grantees:
            chosen = prefs.get(grantee.id, (None, False))[0]
            sends = send_plan(schedule, upcoming[0], ZoneInfo(grantee.timezone))
            next_plan.append(PlannedLine(grantee, likely_channel(grantee, chosen), sends))
    current = await storage.current_round(programme.id)
    lines = await storage.schedule_lines(current.id) if current else []
    events = await storage.round_events(current.id) if current else {}
    return Overview(programme, schedule, upcoming, next_plan, current, lines, events)


async def open_round_now(
    slug: str, period: str, *, now: datetime, zone: str, due: date | None
) -> tuple[OpenedRound, int]:
    """Open a round by hand; its first messages are due straight away, reminders as planned."""
    opened = await admin.open_round(slug, period, now=now, timezone=zone, due=due)
    programme = await admin.programme(slug)
    if not opened.round.is_open:
        return opened, 0
    scheduled = await _jobs(zone).schedule_round(programme, opened.round, first_at=now)
    return opened, scheduled


async def close_round(slug: str, period: str | None, *, now: datetime, zone: str) -> Round:
    report = await admin.round_status(slug, period)
    if not report.round.is_open:
        raise admin.AdminError(f"{report.round.period} is already closed")
    return await _jobs(zone).close(report.round, now=now)
