"""Operator use case: email the open round's check-ins (`checkins email send`)."""

from __future__ import annotations

from dataclasses import dataclass

import storage
from bot.admin import operations as admin
from bot.channels.email.outbound import EmailChannel
from bot.clock import Clock, utc_now
from bot.conversation.dispatcher import Dispatcher
from bot.settings import Settings

SKIPPED_STATUSES = ("completed", "stopped")


@dataclass(frozen=True)
class RoundEmails:
    period: str
    queued: int  # new emails stored (sent at once, or retried by `checkins serve`)
    sent: int
    already: int  # emailed for this round before, so left alone
    skipped: int  # completed or stopped check-ins


async def send_round_emails(
    settings: Settings, programme_slug: str, *, clock: Clock = utc_now
) -> RoundEmails:
    """One email per open check-in of the current round; running it again sends nothing new."""
    report = await admin.round_status(programme_slug)
    channel = EmailChannel(settings, clock=clock)
    dispatcher = Dispatcher(
        {channel.name: channel},
        clock=clock,
        max_invalid_attempts=settings.conversation.max_invalid_attempts,
        contact_hint=settings.conversation.contact_hint,
    )
    sent_before = (await storage.outbound_counts(channel=channel.name)).get("sent", 0)
    queued = already = skipped = 0
    try:
        for row in report.rows:
            if row.checkin is None or row.checkin.status in SKIPPED_STATUSES:
                skipped += 1
                continue
            occasion = f"round-{report.round.id}"
            step = await dispatcher.start(row.checkin.id, channel.name, occasion=occasion)
            if not step.deliveries:
                already += 1
                continue
            queued += len(step.deliveries)
    finally:
        await channel.stop()
    sent = (await storage.outbound_counts(channel=channel.name)).get("sent", 0) - sent_before
    return RoundEmails(report.round.period, queued, sent, already, skipped)
