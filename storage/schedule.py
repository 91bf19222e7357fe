"""The schedule as rows: next send per check-in, claims on due sends, once-only round events."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import cast

from tortoise.expressions import F, Q
from tortoise.transactions import in_transaction

from storage import mapping
from storage import models as m
from storage.common import insert_once, utc, utc_or_none
from storage.records import CheckInStatus, Grantee, Round


@dataclass(frozen=True)
class DueSend:
    """A claimed scheduled send, with what the sender needs to decide and address it."""

    schedule_id: int
    checkin_id: int
    checkin_status: str
    number: int  # 0: the first message; n: reminder n
    due_at: datetime  # when it was meant to go
    plan: tuple[datetime, ...]
    reminders_sent: int
    grantee: Grantee
    round: Round
    channel: str | None  # the grantee's chosen channel, None for automatic
    muted: bool


@dataclass(frozen=True)
class ScheduleLine:
    """One check-in's schedule, for `checkins schedule show`."""

    grantee: Grantee
    checkin_status: str
    next_at: datetime | None
    number: int
    reminders_sent: int
    missed: int
    last_outcome: str
    snoozed_until: datetime | None
    channel: str | None
    muted: bool


def _due(now: datetime) -> Q:
    return Q(next_at__lte=now) & (Q(claimed_until__isnull=True) | Q(claimed_until__lte=now))


_ADD_SQL = """
INSERT INTO checkin_schedule
    (checkin_id, round_id, plan, next_at, next_number, reminders_sent, missed, last_outcome)
SELECT c.id, c.round_id, {plan}, {next_at}, 0, 0, 0, ''
FROM checkin c JOIN grantee g ON g.id = c.grantee_id
WHERE c.round_id = {round_id} AND g.timezone = {zone}
  AND NOT EXISTS (SELECT 1 FROM checkin_schedule s WHERE s.checkin_id = c.id)
"""


async def add_schedules(round_id: int, plans: Mapping[str, Sequence[datetime]]) -> int:
    """Give each check-in of the round without a schedule the plan for its grantee's timezone.

    One INSERT ... SELECT per timezone, so opening a round for 100,000 grantees costs a
    handful of statements; a check-in that has a schedule already is left alone.
    """
    conn = m.CheckInSchedule._meta.db
    if conn.capabilities.dialect == "postgres":
        marks = {"plan": "$1::jsonb", "next_at": "$2", "round_id": "$3", "zone": "$4"}
    else:
        marks = dict.fromkeys(("plan", "next_at", "round_id", "zone"), "?")
    sql = _ADD_SQL.format(**marks)
    async with in_transaction() as tx:
        # counted, not taken from the driver: asyncpg reports no row count for INSERT ... SELECT
        before = await m.CheckInSchedule.filter(round_id=round_id).using_db(tx).count()
        for zone, times in plans.items():
            if not times:
                continue
            plan = json.dumps([utc(t).isoformat() for t in times])
            # on SQLite, tortoise stores datetimes as isoformat(" ") text, which this also sends
            await tx.execute_query(sql, [plan, utc(times[0]), round_id, zone])
        after = await m.CheckInSchedule.filter(round_id=round_id).using_db(tx).count()
    return after - before


async def grantee_timezones(programme_id: int) -> set[str]:
    """The distinct timezones of the programme's active grantees (what a round's plans need)."""
    zones = await (
        m.Grantee.filter(programme_id=programme_id, active=True)
        .distinct()
        .values_list("timezone", flat=True)
    )
    return {str(zone) for zone in zones}


async def claim_due_sends(*, now: datetime, lease: timedelta, limit: int = 200) -> list[DueSend]:
    """Take up to `limit` sends that are due; no other scheduler takes them until the lease ends.

    Each row is taken with a compare-and-set update on its claim, so two service instances
    racing for the same row get it once between them.
    """
    now = utc(now)
    claimed: list[int] = []
    while not claimed:
        candidates = (
            await m.CheckInSchedule.filter(_due(now))
            .order_by("next_at", "id")
            .limit(limit)
            .values_list("id", flat=True)
        )
        if not candidates:
            return []
        for candidate in candidates:
            schedule_id = cast(int, candidate)
            taken = await m.CheckInSchedule.filter(_due(now), id=schedule_id).update(
                claimed_until=now + lease
            )
            if taken:
                claimed.append(schedule_id)
        # all taken by another scheduler meanwhile: look again, past the rows it holds now
    if not claimed:
        return []
    rows = await m.CheckInSchedule.filter(id__in=claimed).select_related(
        "checkin", "checkin__grantee", "round"
    )
    grantee_ids = [row.checkin.grantee_id for row in rows]
    prefs = {p.grantee_id: p for p in await m.GranteePreference.filter(grantee_id__in=grantee_ids)}
    found = []
    for row in sorted(rows, key=lambda r: (r.next_at, r.id)):
        pref = prefs.get(row.checkin.grantee_id)
        assert row.next_at is not None  # claimed as due
        found.append(
            DueSend(
                schedule_id=row.id,
                checkin_id=row.checkin_id,
                checkin_status=row.checkin.status,
                number=row.next_number,
                due_at=row.next_at,
                plan=tuple(datetime.fromisoformat(t) for t in row.plan or ()),
                reminders_sent=row.reminders_sent,
                grantee=mapping.grantee(row.checkin.grantee),
                round=mapping.round_(row.round),
                channel=pref.channel if pref else None,
                muted=bool(pref and pref.reminders_muted),
            )
        )
    return found


async def finish_send(
    schedule_id: int,
    *,
    now: datetime,
    outcome: str,
    next_at: datetime | None,
    next_number: int,
    sent: bool = False,
    missed: bool = False,
    first: bool = False,
) -> None:
    """Record what became of a claimed send and release the claim with the next one's time.

    `first`: the send was the round's first message (else a reminder), when `sent`.
    """
    now = utc(now)
    values: dict[str, object] = {
        "claimed_until": None,
        "next_at": utc_or_none(next_at),
        "next_number": next_number,
        "last_outcome": outcome,
    }
    if sent:
        values["last_sent_at"] = now
        if first:
            values["first_sent_at"] = now
        else:
            values["reminders_sent"] = F("reminders_sent") + 1
    if missed:
        values["missed"] = F("missed") + 1
    await m.CheckInSchedule.filter(id=schedule_id).update(**values)


async def snooze(checkin_id: int, until: datetime) -> bool:
    """The next send of this check-in comes at `until` (nothing before); False if none planned."""
    until = utc(until)
    row = await m.CheckInSchedule.get_or_none(checkin_id=checkin_id)
    if row is None:
        return False
    number = row.next_number if row.next_at is not None else row.reminders_sent + 1
    await m.CheckInSchedule.filter(id=row.id).update(
        snoozed_until=until, next_at=until, next_number=max(1, number)
    )
    return True


async def stop_checkin_schedule(checkin_id: int, *, outcome: str) -> None:
    await m.CheckInSchedule.filter(checkin_id=checkin_id, next_at__isnull=False).update(
        next_at=None, last_outcome=outcome
    )


async def stop_round_schedules(round_id: int, *, outcome: str) -> int:
    return await m.CheckInSchedule.filter(round_id=round_id, next_at__isnull=False).update(
        next_at=None, last_outcome=outcome
    )


async def set_preference(
    grantee_id: int, *, now: datetime, channel: str | None = None, muted: bool | None = None
) -> None:
    """Set a grantee's channel and/or muting; the other stays as it was."""
    now = utc(now)
    created = await insert_once(
        m.GranteePreference,
        grantee_id=grantee_id,
        channel=channel,
        reminders_muted=bool(muted),
        updated_at=now,
    )
    if created is None:
        values: dict[str, object] = {"updated_at": now}
        if channel is not None:
            values["channel"] = channel or None
        if muted is not None:
            values["reminders_muted"] = muted
        await m.GranteePreference.filter(grantee_id=grantee_id).update(**values)


async def set_away(grantee_ids: Sequence[int], until: date | None) -> int:
    """Mark grantees away until (and including) `until`; None means back."""
    return await m.Grantee.filter(id__in=list(grantee_ids)).update(away_until=until)


async def claim_round_event(round_id: int, kind: str, *, now: datetime, detail: str = "") -> bool:
    """True for the one caller that records this round's `kind` first; False ever after."""
    row = await insert_once(
        m.RoundEvent, round_id=round_id, kind=kind, happened_at=utc(now), detail=detail
    )
    return row is not None


async def round_events(round_id: int) -> dict[str, datetime]:
    rows = await m.RoundEvent.filter(round_id=round_id)
    return {row.kind: row.happened_at for row in rows}


async def rounds_past(field: str, now: datetime) -> list[Round]:
    """Open rounds whose `due_at` or `closes_at` has passed."""
    assert field in ("due_at", "closes_at")
    rows = await m.Round.filter(**{f"{field}__lte": utc(now), "closed_at__isnull": True}).order_by(
        field, "id"
    )
    return [mapping.round_(row) for row in rows]


async def schedule_lines(round_id: int) -> list[ScheduleLine]:
    rows = await m.CheckInSchedule.filter(round_id=round_id).select_related(
        "checkin", "checkin__grantee"
    )
    grantee_ids = [row.checkin.grantee_id for row in rows]
    prefs = {p.grantee_id: p for p in await m.GranteePreference.filter(grantee_id__in=grantee_ids)}
    lines = []
    for row in rows:
        pref = prefs.get(row.checkin.grantee_id)
        lines.append(
            ScheduleLine(
                grantee=mapping.grantee(row.checkin.grantee),
                checkin_status=row.checkin.status,
                next_at=row.next_at,
                number=row.next_number,
                reminders_sent=row.reminders_sent,
                missed=row.missed,
                last_outcome=row.last_outcome,
                snoozed_until=row.snoozed_until,
                channel=pref.channel if pref else None,
                muted=bool(pref and pref.reminders_muted),
            )
        )
    return sorted(lines, key=lambda line: (line.grantee.organisation.casefold(), line.grantee.id))


async def preferences(grantee_ids: Sequence[int]) -> dict[int, tuple[str | None, bool]]:
    rows = await m.GranteePreference.filter(grantee_id__in=list(grantee_ids))
    return {row.grantee_id: (row.channel, bool(row.reminders_muted)) for row in rows}


async def unanswered(round_id: int) -> list[tuple[Grantee, str]]:
    """Active grantees of the round who have not completed, with their check-in's status."""
    rows = await m.CheckIn.filter(round_id=round_id, grantee__active=True).select_related("grantee")
    return sorted(
        (
            (mapping.grantee(row.grantee), row.status)
            for row in rows
            if row.status != CheckInStatus.COMPLETED
        ),
        key=lambda pair: (pair[0].organisation.casefold(), pair[0].id),
    )
