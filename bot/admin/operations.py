"""Use cases behind the operator's commands: programmes, grantees, rounds and their status."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import storage
from bot.admin.grantee_import import read_grantees_csv
from bot.admin.programme_file import load_programme_file
from bot.conversation.frameworks import framework_for
from bot.errors import BotError
from conversations import engine
from storage import web_links
from storage.records import (
    CheckInContext,
    GranteeStatus,
    ImportResult,
    OpenedRound,
    Programme,
    Round,
)

DEFAULT_DUE_DAYS = 14
DEFAULT_GRACE_DAYS = 14


class AdminError(BotError):
    """An operator asked for something that cannot be done; the message says what to do instead."""


async def load_programme(path: Path) -> Programme:
    return await storage.upsert_programme(load_programme_file(path))


async def programme(slug: str) -> Programme:
    found = await storage.get_programme(slug)
    if found is None:
        known = ", ".join(p.slug for p in await storage.list_programmes()) or "none yet"
        raise AdminError(
            f"no programme {slug!r} (known: {known}); load one with `checkins programme load FILE`"
        )
    return found


async def import_grantees(path: Path, programme_slug: str) -> ImportResult:
    target = await programme(programme_slug)
    specs = read_grantees_csv(path, target.activity_types)
    return await storage.upsert_grantees(target.id, specs)


def _deadline(day: date, zone: str) -> datetime:
    """End of a day in the programme's timezone, so 'due 1 March' means all of 1 March there."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=ZoneInfo(zone))


async def open_round(
    programme_slug: str,
    period: str,
    *,
    now: datetime,
    timezone: str,
    due: date | None = None,
) -> OpenedRound:
    """Open a round now with one check-in per active grantee; running it again creates nothing."""
    period = period.strip()
    if not period:
        raise AdminError("the period label is empty; give one such as --period '2026 Q4'")
    target = await programme(programme_slug)
    schedule = target.schedule
    due_days = int(schedule.get("due_after_days", DEFAULT_DUE_DAYS))
    grace_days = int(schedule.get("grace_days", DEFAULT_GRACE_DAYS))
    due_day = due or (now.astimezone(ZoneInfo(timezone)) + timedelta(days=due_days)).date()
    if due_day < now.astimezone(ZoneInfo(timezone)).date():
        raise AdminError(f"the due date {due_day} is in the past; give a later --due")
    due_at = _deadline(due_day, timezone)
    initial = engine.new_state(framework_for(target)).to_json()
    return await storage.open_round(
        target.id,
        period,
        now=now,
        initial_state=initial,
        due_at=due_at,
        closes_at=due_at + timedelta(days=grace_days),
    )


@dataclass(frozen=True)
class RoundReport:
    programme: Programme
    round: Round
    rows: list[GranteeStatus]
    questions: int


async def round_status(programme_slug: str, period: str | None = None) -> RoundReport:
    target = await programme(programme_slug)
    chosen = (
        await storage.get_round(target.id, period)
        if period
        else await storage.current_round(target.id)
    )
    if chosen is None:
        which = f"period {period!r}" if period else "open round"
        raise AdminError(
            f"{target.slug} has no {which}; open one with "
            f"`checkins round open --programme {target.slug} --period LABEL`"
        )
    rows = await storage.round_status(chosen.id)
    return RoundReport(target, chosen, rows, len(framework_for(target).questions))


async def checkin_for_chat(email: str, programme_slug: str | None = None) -> CheckInContext:
    """The one open check-in a grantee means when they ask to chat."""
    found = await storage.open_checkins_for_email(email)
    if programme_slug:
        found = [c for c in found if c.programme.slug == programme_slug]
    if not found:
        grantees = await storage.find_grantees_by_email(email)
        if not grantees:
            raise AdminError(
                f"no grantee has the email {email!r}; check the spelling or import them with "
                "`checkins grantees import FILE --programme SLUG`"
            )
        raise AdminError(f"{email} has no open check-in; a round must be opened first")
    programmes = {c.programme.slug for c in found}
    if len(programmes) > 1:
        raise AdminError(
            f"{email} has open check-ins in several programmes ({', '.join(sorted(programmes))}); "
            "choose one with --programme"
        )
    return found[0]


async def revoke_web_links(
    grantee: str | None, checkin: int | None, *, now: datetime
) -> tuple[int, int]:
    """Switch off the private links of a grantee's check-ins (or of one check-in): how many
    links, and of how many check-ins."""
    ids = await web_links.checkin_ids_for(email=grantee, checkin_id=checkin)
    if not ids:
        return 0, 0
    return await web_links.revoke_links(checkin_ids=ids, now=now), len(ids)
