"""What an operator watches: the outbound queue, inbound outcomes, failing addresses, late sends."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.expressions import Q
from tortoise.functions import Count, Min

from storage import models as m
from storage.common import utc


@dataclass(frozen=True)
class QueueLine:
    """Outbound messages of one channel in one state."""

    channel: str
    status: str  # pending, sending, sent, failed
    count: int
    oldest: datetime  # created_at of the oldest of them


@dataclass(frozen=True)
class FailedMessage:
    id: int
    channel: str
    recipient: str
    error: str


@dataclass(frozen=True)
class Health:
    queue: tuple[QueueLine, ...]
    failed: tuple[FailedMessage, ...]  # the latest messages given up on
    inbound: dict[tuple[str, str], int]  # (channel, outcome) -> messages received since
    failing_addresses: tuple[str, ...]  # grantees' emails that bounced for good
    overdue_sends: int  # scheduled sends long past due that no scheduler has taken


async def health(*, now: datetime, since: datetime, late: timedelta, failed: int = 5) -> Health:
    """The state of the queues; `late`: how long past due a scheduled send counts as overdue."""
    now = utc(now)
    rows = (
        await m.OutboundMessage.all()
        .group_by("channel", "status")
        .annotate(n=Count("id"), oldest=Min("created_at"))
        .values("channel", "status", "n", "oldest")
    )
    queue = tuple(
        QueueLine(str(r["channel"]), str(r["status"]), int(r["n"]), r["oldest"])
        for r in sorted(rows, key=lambda r: (str(r["channel"]), str(r["status"])))
    )
    given_up = await m.OutboundMessage.filter(status="failed").order_by("-id").limit(failed)
    inbound = (
        await m.InboundMessage.filter(received_at__gte=utc(since))
        .group_by("channel", "outcome")
        .annotate(n=Count("id"))
        .values("channel", "outcome", "n")
    )
    failing = (
        await m.Grantee.filter(email_failing=True).order_by("email").values_list("email", flat=True)
    )
    unclaimed = Q(claimed_until__isnull=True) | Q(claimed_until__lte=now)
    overdue = await m.CheckInSchedule.filter(unclaimed, next_at__lte=now - late).count()
    return Health(
        queue=queue,
        failed=tuple(
            FailedMessage(row.id, row.channel, row.recipient, row.last_error or "")
            for row in given_up
        ),
        inbound={(str(r["channel"]), str(r["outcome"])): int(r["n"]) for r in inbound},
        failing_addresses=tuple(str(e) for e in failing),
        overdue_sends=overdue,
    )
