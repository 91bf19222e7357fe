"""Inbound dedupe records and the outbound queue (an outbox: store first, then send)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from tortoise.expressions import F, Q
from tortoise.functions import Count
from tortoise.transactions import in_transaction

from storage import mapping, sent_marks
from storage import models as m
from storage.common import FAILED, PENDING, SENDING, as_json, insert_once, utc, utc_or_none
from storage.errors import NotFound
from storage.records import InboundKey, OutboundMessage, OutboundWrite


async def record_inbound(
    key: InboundKey,
    *,
    now: datetime,
    outcome: str,
    detail: str = "",
    checkin_id: int | None = None,
) -> bool:
    """Remember a delivered message; False when it was recorded before (a redelivery)."""
    row = await insert_once(
        m.InboundMessage,
        channel=key.channel,
        external_id=key.external_id,
        checkin_id=checkin_id,
        outcome=outcome,
        detail=detail,
        received_at=utc(now),
    )
    return row is not None


async def insert_outbound(
    writes: Sequence[OutboundWrite], *, checkin_id: int | None, now: datetime
) -> list[int]:
    """Queue messages, skipping idempotency keys already queued; the ids of new rows only.

    Call inside a transaction to make the messages part of it (save_step does).
    """
    ids: list[int] = []
    for write in writes:
        row = await insert_once(
            m.OutboundMessage,
            idempotency_key=write.idempotency_key,
            channel=write.channel,
            recipient=write.recipient,
            checkin_id=checkin_id,
            payload=as_json(write.payload),
            status=PENDING,
            attempts=0,
            next_attempt_at=None,
            created_at=utc(now),
            lane=write.lane,
        )
        if row is not None:
            ids.append(row.id)
    return ids


async def enqueue_outbound(
    writes: Sequence[OutboundWrite], *, checkin_id: int | None = None, now: datetime
) -> tuple[int, ...]:
    """Queue messages in one transaction; an idempotency key seen before is not queued again."""
    async with in_transaction():
        return tuple(await insert_outbound(writes, checkin_id=checkin_id, now=now))


async def pending_outbound(
    channel: str, *, now: datetime, limit: int = 100
) -> list[OutboundMessage]:
    """Messages waiting to go out on `channel` whose retry time (if any) has come; oldest first."""
    rows = (
        await m.OutboundMessage.filter(
            Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=utc(now)),
            channel=channel,
            status=PENDING,
        )
        .order_by("created_at", "id")
        .limit(limit)
    )
    return [mapping.outbound(row) for row in rows]


def _due(now: datetime) -> Q:
    """Pending and due, or claimed by a sender whose lease ran out (it crashed mid-send)."""
    waiting = Q(status=PENDING) & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
    abandoned = Q(status=SENDING) & Q(next_attempt_at__lte=now)
    return waiting | abandoned


async def claim_outbound(
    *,
    now: datetime,
    lease: timedelta,
    channel: str | None = None,
    ids: Sequence[int] | None = None,
    limit: int = 100,
    holder: str | None = None,
) -> list[OutboundMessage]:
    """Take due messages for sending, so that no other sender takes them until the lease ends.

    Interactive messages (someone is waiting for them) come before bulk ones, then oldest
    first. Each row is claimed with a compare-and-set update, which is what makes two senders
    (two service instances, or the dispatcher and the background loop) never send one row
    twice. `holder` names the claiming instance, so that it can take its own claims back at
    once after a crash (`take_back_unfinished`).
    """
    now = utc(now)
    query = m.OutboundMessage.filter(_due(now))
    if channel is not None:
        query = query.filter(channel=channel)
    if ids is not None:
        query = query.filter(id__in=list(ids))
    # "interactive" sorts after "bulk", so descending puts it first
    candidates = await query.order_by("-lane", "created_at", "id").limit(limit).only("id", "status")
    claimed: list[int] = []
    maybe_sent: set[int] = set()
    for candidate in candidates:
        taken = await m.OutboundMessage.filter(_due(now), id=candidate.id).update(
            status=SENDING, next_attempt_at=now + lease, claimed_by=holder
        )
        if taken:
            claimed.append(candidate.id)
            if candidate.status == SENDING:  # its sender never said how the send went
                maybe_sent.add(candidate.id)
    rows = await m.OutboundMessage.filter(id__in=claimed)
    order = {message_id: index for index, message_id in enumerate(claimed)}
    rows.sort(key=lambda row: order[row.id])
    return [mapping.outbound(row, maybe_sent=row.id in maybe_sent) for row in rows]


async def renew_claims(ids: Sequence[int], *, held_until: datetime, until: datetime) -> set[int]:
    """Extend to `until` the claims on these messages that still end at `held_until` (so no
    other sender has taken them since); the ids whose claims were extended.

    A sender working through a batch renews before its lease runs out: a message whose claim
    another sender took meanwhile is that sender's to send, and is left alone.
    """
    held_until, until = utc(held_until), utc(until)
    await m.OutboundMessage.filter(
        id__in=list(ids), status=SENDING, next_attempt_at=held_until
    ).update(next_attempt_at=until)
    renewed = await m.OutboundMessage.filter(
        id__in=list(ids), status=SENDING, next_attempt_at=until
    ).values_list("id", flat=True)
    return {int(i) for i in renewed}  # type: ignore[call-overload]


async def take_back_unfinished(holder: str, *, now: datetime) -> int:
    """A restarted instance's claims, due again at once: it knows it is no longer sending them.

    They stay claimed ("sending"), so the next claim knows they may have gone out already.
    """
    return await m.OutboundMessage.filter(
        status=SENDING, claimed_by=holder, next_attempt_at__gt=utc(now)
    ).update(next_attempt_at=utc(now))


async def outbound_counts(*, channel: str | None = None) -> dict[str, int]:
    """How many messages are in each state (pending, sending, sent, failed)."""
    query = m.OutboundMessage.all()
    if channel is not None:
        query = query.filter(channel=channel)
    rows = await query.group_by("status").annotate(n=Count("id")).values("status", "n")
    return {str(row["status"]): int(row["n"]) for row in rows}


async def mark_outbound_sent(
    message_id: int, *, now: datetime, external_id: str | None = None
) -> None:
    """Record a message as sent (with the channel's id for it); NotFound if there is none.

    Marks made at the same moment share one transaction (see storage.sent_marks).
    """
    await sent_marks.mark_sent(message_id, now=now, external_id=external_id)


async def mark_outbound_failed(
    message_id: int,
    *,
    now: datetime,
    error: str,
    retry_at: datetime | None,
    count_attempt: bool = True,
) -> None:
    """A failed send: retry at `retry_at`, or give up for good when it is None.

    `count_attempt=False` for a message that was never tried (its channel was paused, or a
    rate limit said when to come back), so that waiting never uses up its attempts.
    `now` is accepted for symmetry with the other writes; the row keeps no failure time.
    """
    updated = await m.OutboundMessage.filter(id=message_id).update(
        status=PENDING if retry_at is not None else FAILED,
        next_attempt_at=utc_or_none(retry_at),
        last_error=error,
        attempts=F("attempts") + (1 if count_attempt else 0),
    )
    if not updated:
        raise NotFound(f"no outbound message with id {message_id}")
