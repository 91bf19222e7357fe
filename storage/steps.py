"""save_step: one conversation step (inbound, check-in, answers, audit, outbox) as one unit."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from storage import plans, sql
from storage.checkins import get_checkin
from storage.common import PENDING, SENDING, utc
from storage.email import reply_statement
from storage.errors import NotFound
from storage.plans import Plan, Statement
from storage.records import (
    AnswerWrite,
    CheckIn,
    CheckInStatus,
    InboundKey,
    OutboundMessage,
    OutboundWrite,
    StepOutcome,
    StepResult,
)


class _Abandon(Exception):
    """Raised inside the transaction to roll all of it back, carrying the outcome."""

    def __init__(self, outcome: StepOutcome) -> None:
        super().__init__(outcome.value)
        self.outcome = outcome


# Compare-and-swap: the row changes only if nobody saved a step since it was read. Every
# expression on the right reads the row as it was before this UPDATE.
_SWAP = """
UPDATE checkin SET
  state = ?, status = ?, version = ?, updated_at = ?,
  started_at = CASE WHEN started_at IS NULL AND ? <> ? THEN ? ELSE started_at END,
  completed_at = CASE WHEN ? = ? AND status <> ? THEN ? ELSE completed_at END
WHERE id = ? AND version = ?
RETURNING round_id, grantee_id, started_at, completed_at
"""
_INBOUND = """
INSERT INTO inbound_message (channel, external_id, checkin_id, outcome, detail, received_at)
VALUES (?, ?, ?, 'handled', '', ?)
ON CONFLICT (channel, external_id) DO NOTHING
RETURNING id
"""
_OUTBOUND = """
INSERT INTO outbound_message
  (idempotency_key, channel, recipient, checkin_id, payload, status, attempts,
   next_attempt_at, created_at, lane, claimed_by)
VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?)
ON CONFLICT (idempotency_key) DO NOTHING
RETURNING id
"""
_ANSWER_INSERT = """
INSERT INTO answer
  (checkin_id, question_id, question_version, value, raw_text, channel, skipped, answered_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
RETURNING id
"""
_ANSWER_UPDATE = """
UPDATE answer SET question_version = ?, value = ?, raw_text = ?, channel = ?, skipped = ?,
  answered_at = ?
WHERE id = ?
"""
_AUDIT = """
INSERT INTO answer_change
  (checkin_id, question_id, question_version, old_value, new_value, old_skipped, new_skipped,
   raw_text, channel, actor, changed_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
"""


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
    claim_for: timedelta | None = None,
    holder: str | None = None,
    thread_id: int | None = None,
) -> StepResult:
    """Store a step if the check-in is still at `expected_version`, all or nothing.

    DUPLICATE: `inbound` was handled before. CONFLICT: the check-in moved on since it was
    read. In both cases nothing at all is stored, so a retry of the message can still be
    handled. With `claim_for`, the new outbound rows are stored already claimed for sending
    by the caller (`holder`) for that long (as `claim_outbound` would), and returned in
    `claimed`.
    `thread_id`: the email thread `inbound` replies to; its Message-ID is kept with the step
    (and only with it), so that our next email refers to it too.
    """
    step = _Step(
        checkin_id,
        expected_version,
        dict(state),
        status,
        answers,
        channel,
        actor,
        utc(now),
        inbound,
        outbound,
        claim_for,
        thread_id,
        holder,
    )
    try:
        return await plans.run(step.plan())
    except _Abandon as abandoned:
        return StepResult(abandoned.outcome, await get_checkin(checkin_id))


def queue_outbound(
    outbound: Sequence[OutboundWrite],
    checkin_id: int | None,
    now: datetime,
    claim_for: timedelta | None,
    holder: str | None = None,
) -> Plan[list[OutboundMessage]]:
    """Insert messages, skipping idempotency keys already queued; the new ones. With
    `claim_for`, they are stored already claimed for sending by the caller (`holder`), for
    that long."""
    status = SENDING if claim_for is not None else PENDING
    lease_end = now + claim_for if claim_for is not None else None
    queued: list[OutboundMessage] = []
    for write in outbound:
        payload = dict(write.payload)
        row = plans.first(
            (
                yield Statement(
                    _OUTBOUND,
                    [
                        write.idempotency_key,
                        write.channel,
                        write.recipient,
                        checkin_id,
                        sql.encoded(payload),
                        status,
                        lease_end,
                        now,
                        write.lane,
                        holder if claim_for is not None else None,
                    ],
                )
            )
        )
        if row is not None:
            queued.append(
                OutboundMessage(
                    id=int(row["id"]),
                    idempotency_key=write.idempotency_key,
                    channel=write.channel,
                    recipient=write.recipient,
                    payload=payload,
                    status=status,
                    attempts=0,
                    created_at=now,
                    sent_at=None,
                    last_error=None,
                    lane=write.lane,
                )
            )
    return queued


async def enqueue_claimed(
    writes: Sequence[OutboundWrite],
    *,
    checkin_id: int | None,
    now: datetime,
    claim_for: timedelta,
    holder: str | None = None,
) -> list[OutboundMessage]:
    """Queue messages in one transaction, claimed for sending by the caller, as a step's are:
    the new ones, for `Outbox.deliver_claimed` (a key seen before is not queued again)."""
    return await plans.run(queue_outbound(writes, checkin_id, utc(now), claim_for, holder))


@dataclass(frozen=True)
class _Step:
    checkin_id: int
    expected_version: int
    state: dict[str, Any]
    status: str
    answers: Sequence[AnswerWrite]
    channel: str
    actor: str
    now: datetime
    inbound: InboundKey | None
    outbound: Sequence[OutboundWrite]
    claim_for: timedelta | None
    thread_id: int | None
    holder: str | None = None

    def plan(self) -> Plan[StepResult]:
        now, status = self.now, self.status
        swapped = plans.first(
            (
                yield Statement(
                    _SWAP,
                    [
                        sql.encoded(self.state),
                        status,
                        self.expected_version + 1,
                        now,
                        status,
                        CheckInStatus.NOT_STARTED.value,
                        now,
                        status,
                        CheckInStatus.COMPLETED.value,
                        CheckInStatus.COMPLETED.value,
                        now,
                        self.checkin_id,
                        self.expected_version,
                    ],
                )
            )
        )
        if swapped is None:
            if not (yield Statement("SELECT id FROM checkin WHERE id = ?", [self.checkin_id])):
                raise NotFound(f"no check-in with id {self.checkin_id}")
            # a redelivery is reported as such, not as a conflict
            if self.inbound is not None and (yield self._seen(self.inbound)):
                raise _Abandon(StepOutcome.DUPLICATE)
            raise _Abandon(StepOutcome.CONFLICT)
        if self.inbound is not None:
            inbound = self.inbound
            fresh = yield Statement(
                _INBOUND, [inbound.channel, inbound.external_id, self.checkin_id, now]
            )
            if not fresh:  # handled before: the swap above is rolled back with it
                raise _Abandon(StepOutcome.DUPLICATE)
        yield from self._write_answers()
        if self.thread_id is not None and self.inbound is not None:
            yield reply_statement(self.thread_id, self.inbound.external_id, now=now)
        claimed = yield from self._queue()
        saved = CheckIn(
            id=self.checkin_id,
            round_id=int(swapped["round_id"]),
            grantee_id=int(swapped["grantee_id"]),
            status=status,
            state=self.state,
            version=self.expected_version + 1,
            started_at=sql.moment(swapped["started_at"]),
            completed_at=sql.moment(swapped["completed_at"]),
            updated_at=now,
        )
        ids = tuple(message.id for message in claimed)
        return StepResult(StepOutcome.SAVED, saved, ids, tuple(claimed) if self.claim_for else ())

    @staticmethod
    def _seen(inbound: InboundKey) -> Statement:
        return Statement(
            "SELECT id FROM inbound_message WHERE channel = ? AND external_id = ?",
            [inbound.channel, inbound.external_id],
        )

    def _queue(self) -> Plan[list[OutboundMessage]]:
        """Insert the step's messages (an idempotency key seen before is skipped)."""
        return queue_outbound(self.outbound, self.checkin_id, self.now, self.claim_for, self.holder)

    def _write_answers(self) -> Plan[None]:
        """Upsert each answer and append its audit record (old value None when it is new)."""
        if not self.answers:
            return
        # no race on the upsert: the compare-and-swap admits one writer per check-in at a time
        ids = [write.question_id for write in self.answers]
        existing = {
            str(row["question_id"]): row
            for row in (
                yield Statement(
                    "SELECT id, question_id, value, skipped FROM answer "
                    f"WHERE checkin_id = ? AND question_id IN ({sql.placeholders(len(ids))})",
                    [self.checkin_id, *ids],
                )
            )
        }
        for write in self.answers:
            value = sql.encoded_or_none(write.value)
            old = existing.get(write.question_id)
            if old is None:
                inserted = yield Statement(
                    _ANSWER_INSERT,
                    [
                        self.checkin_id,
                        write.question_id,
                        write.question_version,
                        value,
                        write.raw_text,
                        self.channel,
                        write.skipped,
                        self.now,
                    ],
                )
                answer_id = inserted[0]["id"]
            else:
                yield Statement(
                    _ANSWER_UPDATE,
                    [
                        write.question_version,
                        value,
                        write.raw_text,
                        self.channel,
                        write.skipped,
                        self.now,
                        old["id"],
                    ],
                )
                answer_id = old["id"]
            old_value = None if old is None else old["value"]
            if isinstance(old_value, bytes):
                old_value = old_value.decode()
            yield Statement(
                _AUDIT,
                [
                    self.checkin_id,
                    write.question_id,
                    write.question_version,
                    old_value,  # the stored JSON text, copied as it is
                    value,
                    None if old is None else bool(old["skipped"]),
                    write.skipped,
                    write.raw_text,
                    self.channel,
                    self.actor,
                    self.now,
                ],
            )
            # one message may answer a question twice ("1: 12 ... 1: 15"): the second write
            # updates the first and records it as the old value
            existing[write.question_id] = {
                "id": answer_id,
                "value": value,
                "skipped": write.skipped,
            }
