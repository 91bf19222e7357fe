"""Rounds: open (idempotently, with a check-in per active grantee), find, close, status table."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from tortoise.expressions import Q
from tortoise.functions import Count, Max
from tortoise.transactions import in_transaction

from storage import mapping
from storage import models as m
from storage.common import as_json, insert_once, utc, utc_or_none
from storage.errors import NotFound
from storage.grantees import sort_grantees
from storage.programmes import require_programme
from storage.records import CheckInStatus, GranteeStatus, OpenedRound, Round


async def open_round(
    programme_id: int,
    period: str,
    *,
    now: datetime,
    initial_state: Mapping[str, Any],
    due_at: datetime | None = None,
    closes_at: datetime | None = None,
) -> OpenedRound:
    """Open the programme's round for `period`, or return the one already open for it.

    Either way, every active grantee without a check-in in the round gets one, so a
    grantee added since the round opened is picked up by calling this again.
    """
    now = utc(now)
    async with in_transaction():
        await require_programme(programme_id)
        row = await insert_once(
            m.Round,
            programme_id=programme_id,
            period=period,
            opened_at=now,
            due_at=utc_or_none(due_at),
            closes_at=utc_or_none(closes_at),
        )
        existed = row is None
        # FOR UPDATE (PostgreSQL) queues a concurrent open of the same round behind this
        # transaction, so the count of check-ins created below is exact; SQLite runs one
        # transaction at a time anyway (tortoise drops the clause there).
        row = await m.Round.select_for_update().get(programme_id=programme_id, period=period)
        created = 0
        if row.closed_at is None:
            created = await _create_missing_checkins(row, now, initial_state)
    return OpenedRound(round=mapping.round_(row), created=created, existed=existed)


async def _create_missing_checkins(
    row: m.Round, now: datetime, initial_state: Mapping[str, Any]
) -> int:
    have = set(await m.CheckIn.filter(round_id=row.id).values_list("grantee_id", flat=True))
    grantee_ids = await m.Grantee.filter(programme_id=row.programme_id, active=True).values_list(
        "id", flat=True
    )
    missing = [gid for gid in grantee_ids if gid not in have]
    if missing:
        state = as_json(initial_state)
        await m.CheckIn.bulk_create(
            [
                m.CheckIn(
                    round_id=row.id,
                    grantee_id=gid,
                    status=CheckInStatus.NOT_STARTED.value,
                    state=state,
                    version=1,
                    updated_at=now,
                )
                for gid in missing
            ],
            # the unique (round, grantee) constraint is the real guarantee of one each
            ignore_conflicts=True,
        )
    return len(missing)


async def get_round(programme_id: int, period: str) -> Round | None:
    row = await m.Round.get_or_none(programme_id=programme_id, period=period)
    return None if row is None else mapping.round_(row)


async def current_round(programme_id: int) -> Round | None:
    """The most recently opened round of the programme that is not closed."""
    row = (
        await m.Round.filter(programme_id=programme_id, closed_at__isnull=True)
        .order_by("-opened_at", "-id")
        .first()
    )
    return None if row is None else mapping.round_(row)


async def close_round(round_id: int, *, now: datetime) -> Round:
    """Close the round; closing it again keeps the first closing time."""
    await m.Round.filter(id=round_id, closed_at__isnull=True).update(closed_at=utc(now))
    row = await m.Round.get_or_none(id=round_id)
    if row is None:
        raise NotFound(f"no round with id {round_id}")
    return mapping.round_(row)


async def require_round(round_id: int) -> m.Round:
    row = await m.Round.get_or_none(id=round_id)
    if row is None:
        raise NotFound(f"no round with id {round_id}")
    return row


async def round_status(round_id: int) -> list[GranteeStatus]:
    """One line per grantee: active ones, plus inactive ones that have a check-in here.

    Four queries whatever the size of the programme; answers are counted in SQL.
    """
    rnd = await require_round(round_id)
    checkins = {c.grantee_id: c for c in await m.CheckIn.filter(round_id=round_id)}
    grantees = await m.Grantee.filter(
        Q(active=True) | Q(id__in=list(checkins)), programme_id=rnd.programme_id
    )
    stats = await (
        m.Answer.filter(checkin__round_id=round_id)
        .annotate(answered=Count("id", _filter=Q(skipped=False)), last=Max("answered_at"))
        .group_by("checkin_id")
        .values("checkin_id", "answered", "last")
    )
    by_checkin = {row["checkin_id"]: row for row in stats}
    lines: list[GranteeStatus] = []
    for grantee in sort_grantees(grantees):
        checkin = checkins.get(grantee.id)
        stat = by_checkin.get(checkin.id) if checkin is not None else None
        # last activity: the latest answer (skips included) or the completion, if later
        moments = [
            moment
            for moment in (
                _as_datetime(stat["last"]) if stat else None,
                checkin.completed_at if checkin else None,
            )
            if moment is not None
        ]
        lines.append(
            GranteeStatus(
                grantee=mapping.grantee(grantee),
                checkin=None if checkin is None else mapping.checkin(checkin),
                answered=int(stat["answered"] or 0) if stat else 0,
                last_activity=max(moments, default=None),
            )
        )
    return lines


def _as_datetime(value: Any) -> datetime | None:
    # an aggregate skips the field's converter: SQLite hands back the stored text
    if value is None:
        return None
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return utc(moment) if moment.tzinfo else moment.replace(tzinfo=UTC)
