"""save_step: one conversation step (inbound, check-in, answers, audit, outbox) as one unit."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from tortoise.transactions import in_transaction

from storage import models as m
from storage.checkins import get_checkin
from storage.common import as_json, as_json_or_none, insert_once, utc
from storage.db import NotFound
from storage.messages import insert_outbound
from storage.records import (
    AnswerWrite,
    CheckInStatus,
    InboundKey,
    OutboundWrite,
    StepOutcome,
    StepResult,
)


class _Abandon(Exception):
    """Raised inside the transaction to roll all of it back, carrying the outcome."""

    def __init__(self, outcome: StepOutcome) -> None:
        super().__init__(outcome.value)
        self.outcome = outcome


async def save_step(
    checkin_id: int,
    *,
    expected_version: int,
    state: Mapping[str, Any],
    status: str,
    answers: Sequence[AnswerWrite],
    channel: str,
    actor: str,
    now: datetime,
    inbound: InboundKey | None = None,
    outbound: Sequence[OutboundWrite] = (),
) -> StepResult:
    """Store a step if the check-in is still at `expected_version`, all or nothing.

    DUPLICATE: `inbound` was handled before. CONFLICT: the check-in moved on since it was
    read. In both cases nothing at all is stored, so a retry of the message can still be
    handled. The returned check-in is read again after the transaction.
    """
    now = utc(now)
    state_json = as_json(state)
    try:
        async with in_transaction():
            current = await m.CheckIn.get_or_none(id=checkin_id)
            if current is None:
                raise NotFound(f"no check-in with id {checkin_id}")
            if inbound is not None:
                # before the version check: a redelivery is reported as such, not as a conflict
                seen = await insert_once(
                    m.InboundMessage,
                    channel=inbound.channel,
                    external_id=inbound.external_id,
                    checkin_id=checkin_id,
                    outcome="handled",
                    detail="",
                    received_at=now,
                )
                if seen is None:
                    raise _Abandon(StepOutcome.DUPLICATE)
            if current.version != expected_version:
                raise _Abandon(StepOutcome.CONFLICT)
            # Compare-and-swap. If another writer commits between the read above and this
            # update, the version no longer matches and no row changes (PostgreSQL re-checks
            # the WHERE after waiting for the other writer's row lock).
            swapped = await m.CheckIn.filter(id=checkin_id, version=expected_version).update(
                state=state_json,
                status=status,
                version=expected_version + 1,
                updated_at=now,
                started_at=_started_at(current, status, now),
                completed_at=_completed_at(current, status, now),
            )
            if swapped != 1:
                raise _Abandon(StepOutcome.CONFLICT)
            for write in answers:
                await _write_answer(checkin_id, write, channel=channel, actor=actor, now=now)
            outbound_ids = await insert_outbound(outbound, checkin_id=checkin_id, now=now)
    except _Abandon as abandoned:
        return StepResult(abandoned.outcome, await get_checkin(checkin_id))
    return StepResult(StepOutcome.SAVED, await get_checkin(checkin_id), tuple(outbound_ids))


def _started_at(current: m.CheckIn, status: str, now: datetime) -> datetime | None:
    if current.started_at is None and status != CheckInStatus.NOT_STARTED:
        return now
    return current.started_at


def _completed_at(current: m.CheckIn, status: str, now: datetime) -> datetime | None:
    # the time it was (last) completed: kept while it stays completed, and while it is
    # reopened for edits, then moved on when it is completed again
    if status == CheckInStatus.COMPLETED and current.status != CheckInStatus.COMPLETED:
        return now
    return current.completed_at


async def _write_answer(
    checkin_id: int, write: AnswerWrite, *, channel: str, actor: str, now: datetime
) -> None:
    """Upsert the answer and append its audit record (old value None when it is new)."""
    # no race on the upsert: the compare-and-swap admits one writer per check-in at a time
    values: dict[str, Any] = {
        "question_version": write.question_version,
        "value": as_json_or_none(write.value),
        "raw_text": write.raw_text,
        "channel": channel,
        "skipped": write.skipped,
        "answered_at": now,
    }
    old = await m.Answer.get_or_none(checkin_id=checkin_id, question_id=write.question_id)
    if old is None:
        await m.Answer.create(checkin_id=checkin_id, question_id=write.question_id, **values)
    else:
        await m.Answer.filter(id=old.id).update(**values)
    await m.AnswerChange.create(
        checkin_id=checkin_id,
        question_id=write.question_id,
        question_version=write.question_version,
        old_value=None if old is None else as_json_or_none(old.value),
        new_value=as_json_or_none(write.value),
        old_skipped=None if old is None else bool(old.skipped),
        new_skipped=write.skipped,
        raw_text=write.raw_text,
        channel=channel,
        actor=actor,
        changed_at=now,
    )
