"""The scheduler's sends: each first message and reminder that is due, at most a few at once."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import storage
from bot.conversation.dispatcher import Dispatcher
from bot.scheduling.reminders import Reminders
from conversations.schedule import local_moment, next_weekday
from storage.schedule import DueSend

log = logging.getLogger(__name__)
RETRY_AFTER_ERROR = timedelta(minutes=5)
RETRY_WITHOUT_CHANNEL = timedelta(hours=1)
# one tick sends at most this many batches, so a huge round cannot hold up closing and notices
MAX_BATCHES_PER_TICK = 200
# sends claimed at once: few, so that a batch is done well inside its claim's lease even when
# people answering hold it up (see Dispatcher.bulk_turn): a send whose claim ran out is taken
# by another instance as well
BATCH = 20
# first messages and reminders under way at once: each mostly waits for the database and the
# service, and each is a different grantee's (their order does not matter); interactive
# replies still go first, as they wait for none of these
SENDS_AT_ONCE = 4


@dataclass
class TickReport:
    """What one tick did, for logs and tests."""

    opened: list[str] = field(default_factory=list)  # "slug period"
    missed_rounds: list[str] = field(default_factory=list)
    sent: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    notified: list[str] = field(default_factory=list)
    closed: list[str] = field(default_factory=list)
    digests: list[str] = field(default_factory=list)  # "slug period" of periodic digests queued

    def skip(self, why: str) -> None:
        self.skipped[why] = self.skipped.get(why, 0) + 1


class SendsDue:
    """The part of the scheduler's jobs that sends what is due (see Jobs)."""

    dispatcher: Dispatcher
    reminders: Reminders
    catch_up: timedelta
    batch: int
    lease: timedelta

    async def send_due(
        self,
        now: datetime,
        report: TickReport | None = None,
        *,
        max_batches: int = MAX_BATCHES_PER_TICK,
    ) -> int:
        """Send every first message and reminder that is due, in batches; how many were sent."""
        report = report or TickReport()
        before = report.sent
        for _ in range(max_batches):
            due = await storage.claim_due_sends(now=now, lease=self.lease, limit=self.batch)
            if not due:
                return report.sent - before
            await self._send_several(list(due), now, report)
        return report.sent - before  # more is due: the next tick carries on

    async def _send_several(self, due: list[DueSend], now: datetime, report: TickReport) -> None:
        """SENDS_AT_ONCE workers take the batch's sends in order until none is left."""

        async def worker() -> None:
            while due:
                await self.dispatcher.bulk_turn()  # whoever is answering goes first
                if due:
                    await self._send_one(due.pop(0), now, report)

        await asyncio.gather(*(worker() for _ in range(min(SENDS_AT_ONCE, len(due)))))

    async def _send_one(self, send: DueSend, now: datetime, report: TickReport) -> None:
        later = [t for t in send.plan[1:] if t > max(now, send.due_at)]
        next_at = later[0] if later else None
        next_number = send.reminders_sent + (2 if send.number else 1)

        async def finish(outcome: str, **flags: bool) -> None:
            if not flags.get("sent"):
                report.skip(outcome)
            await storage.finish_send(
                send.schedule_id,
                now=now,
                outcome=outcome,
                next_at=next_at,
                next_number=next_number if flags.get("sent") else send.number,
                **flags,
            )

        stop = self._stop_reason(send)
        if stop is not None:
            next_at = None
            await finish(stop)
            return
        if now - send.due_at > self.catch_up:
            log.warning(
                "not sending check-in %s message %s: it was due at %s, beyond the catch-up window",
                send.checkin_id,
                send.number,
                send.due_at.isoformat(),
            )
            await finish("missed", missed=True)
            return
        zone = ZoneInfo(send.grantee.timezone)
        away = send.grantee.away_until
        if away is not None and now.astimezone(zone).date() < away:
            # "away until 1 December": back on the 1st, asked then at the usual time
            back = local_moment(next_weekday(away), _time_of(send, zone), zone)
            closes = send.round.closes_at
            next_at = back if closes is None or back < closes else None
            await storage.finish_send(
                send.schedule_id, now=now, outcome="away", next_at=next_at, next_number=send.number
            )
            report.skip("away")
            return
        if send.number and send.muted:
            await finish("muted")
            return
        channel = self._channel_for(send)
        if channel is None:
            log.error("no channel can reach %s; add email or Slack settings", send.grantee.email)
            next_at = now + RETRY_WITHOUT_CHANNEL
            await finish("no channel")
            return
        try:
            if send.number == 0:
                await self.dispatcher.start(
                    send.checkin_id, channel, occasion=f"round-{send.round.id}"
                )
            else:
                await self.reminders.remind(
                    send.checkin_id, channel, send.reminders_sent + 1, now=now
                )
        except Exception as exc:  # the row is released to try again; nothing is lost
            log.exception("scheduled send for check-in %s failed", send.checkin_id)
            next_at = now + RETRY_AFTER_ERROR
            await finish(f"error: {type(exc).__name__}"[:40])
            return
        report.sent += 1
        first = send.number == 0
        await finish("first sent" if first else "reminder sent", sent=True, first=first)

    def _stop_reason(self, send: DueSend) -> str | None:
        if not send.round.is_open:
            return "round closed"
        if send.checkin_status == "completed":
            return "completed"
        if send.checkin_status == "stopped":
            return "stopped by grantee"
        if not send.grantee.active:
            return "grantee inactive"
        if send.number and send.reminders_sent >= len(send.plan) - 1:
            return "reminders used up"
        return None

    def _channel_for(self, send: DueSend) -> str | None:
        """The grantee's chosen channel; else Slack when linked; else email."""
        names = self.dispatcher.channels
        if send.channel and send.channel in names:
            return send.channel
        if send.grantee.slack_user_id and "slack" in names:
            return "slack"
        if "email" in names:
            return "email"
        return None


def _time_of(send: DueSend, zone: ZoneInfo) -> time:
    """The grantee's local send time, read from the first planned send."""
    return send.plan[0].astimezone(zone).time()
