"""Sends what was stored: claims due messages (interactive first), delivers, retries."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

import storage
from bot.clock import Clock, utc_now
from bot.conversation.channel import Channel, Delivery, PermanentFailure, TemporaryFailure
from storage.records import OutboundMessage

log = logging.getLogger(__name__)


def process_name() -> str:
    """A name no other process has: for an outbox that has no lasting name of its own."""
    return f"{socket.gethostname()}:{os.getpid()}"


class Outbox:
    """Delivers queued messages; safe to run in several processes at once (claims are leased).

    Each channel paces its own sends by what its service limits (Slack: see slack_pacing);
    the outbox decides what goes first (interactive before bulk) and what happens after a
    failure. `holder` names this instance in its claims: the same across restarts, so that a
    restarted instance takes its unfinished sends back at once rather than after the lease.
    """

    name = "outbox"

    def __init__(
        self,
        channels: Mapping[str, Channel],
        *,
        clock: Clock = utc_now,
        poll_seconds: float = 1.0,
        lease: timedelta = timedelta(minutes=2),
        max_attempts: int = 8,
        first_retry: timedelta = timedelta(seconds=30),
        longest_retry: timedelta = timedelta(hours=1),
        holder: str | None = None,
        batch: int = 20,
    ) -> None:
        self.channels = channels
        self.clock = clock
        self.poll_seconds = poll_seconds
        self.lease = lease
        self.max_attempts = max_attempts
        self.first_retry = first_retry
        self.longest_retry = longest_retry
        self.holder = holder or process_name()
        self.batch = batch
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    async def send_now(self, ids: Sequence[int]) -> int:
        """Deliver these just-stored messages, unless another sender already has them."""
        if not ids:
            return 0
        now = self.clock()
        claimed = await storage.claim_outbound(
            now=now, lease=self.lease, ids=ids, holder=self.holder
        )
        return await self._deliver_all(claimed, held_until=now + self.lease)

    async def deliver_claimed(self, messages: Sequence[OutboundMessage]) -> int:
        """Deliver messages stored already claimed by this sender (see save_step's claim_for)."""
        return await self._deliver_all(messages)

    async def flush(self, channel: str | None = None, *, limit: int = 500) -> int:
        """Deliver everything that is due (on one channel, or all); returns how many were sent.

        Claimed a few at a time, interactive first each time: a reply that became due while
        a round's first messages were going out is next, not after them.
        """
        sent = 0
        names = [channel] if channel else list(self.channels)
        for name in names:
            left = limit
            while left > 0 and not self._stopping:
                now = self.clock()
                claimed = await storage.claim_outbound(
                    now=now,
                    lease=self.lease,
                    channel=name,
                    limit=min(self.batch, left),
                    holder=self.holder,
                )
                if not claimed:
                    break
                left -= len(claimed)
                sent += await self._deliver_all(claimed, held_until=now + self.lease)
        return sent

    def wake(self) -> None:
        self._wake.set()

    async def start(self) -> None:
        taken = await storage.take_back_unfinished(self.holder, now=self.clock())
        if taken:
            # this instance stopped without finishing them (a crash): they go now, checked
            # first where the channel can tell whether they went out already
            log.info("taking back %d message(s) left unfinished by %s", taken, self.holder)
        self._task = asyncio.create_task(self._run(), name="outbox")

    async def stop(self, *, grace_seconds: float = 10.0) -> None:
        """Stop the background loop, letting a delivery under way finish first.

        Cancelling in the middle of a send would leave its row claimed, and a message that did
        go out would go again when the lease ran out; what was claimed but not yet started is
        handed back for the next start (or another instance).
        """
        if self._task is None:
            return
        self._stopping = True
        self._wake.set()
        done, _ = await asyncio.wait({self._task}, timeout=grace_seconds)
        if not done:
            self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None
        self._stopping = False

    async def _run(self) -> None:
        while not self._stopping:
            try:
                await self.flush()
            except asyncio.CancelledError:
                raise
            except Exception:  # a database hiccup must not end the loop; the rows stay queued
                log.exception("outbox flush failed; will try again")
            if self._stopping:
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_seconds)
            self._wake.clear()

    async def _deliver_all(
        self, messages: Sequence[OutboundMessage], *, held_until: datetime | None = None
    ) -> int:
        """Deliver claimed messages one after another. `held_until`: when their claims end;
        once half the lease has gone (a channel's pacing makes a batch take a while), the
        claims are renewed, and any another sender took meanwhile are left to it."""
        sent = 0
        waiting = list(messages)
        while waiting:
            if self._stopping and asyncio.current_task() is self._task:
                await self._hand_back(waiting)
                break
            if held_until is not None and held_until - self.clock() < self.lease / 2:
                waiting, held_until = await self._renewed(waiting, held_until)
                if not waiting:
                    break
            sent += await self._deliver(waiting.pop(0))
        return sent

    async def _renewed(
        self, messages: list[OutboundMessage], held_until: datetime
    ) -> tuple[list[OutboundMessage], datetime]:
        """The messages whose claims are still this sender's, renewed; and their new end."""
        until = self.clock() + self.lease
        held = await storage.renew_claims(
            [message.id for message in messages], held_until=held_until, until=until
        )
        if len(held) < len(messages):
            # their lease ran out and another sender claimed them: sending here too would
            # send them twice
            log.info("%d claimed message(s) taken by another sender", len(messages) - len(held))
        return [message for message in messages if message.id in held], until

    async def _hand_back(self, messages: Sequence[OutboundMessage]) -> None:
        """Claimed by the background loop but not started when the service stopped."""
        for message in messages:
            await storage.mark_outbound_failed(
                message.id,
                now=self.clock(),
                error="handed back when the service stopped",
                retry_at=self.clock(),
                count_attempt=False,
            )

    async def _deliver(self, message: OutboundMessage) -> int:
        channel = self.channels.get(message.channel)
        if channel is None:  # not this process's channel: another instance may have it
            await storage.mark_outbound_failed(
                message.id,
                now=self.clock(),
                error="waiting for its channel",
                retry_at=self.clock() + self.lease,
                count_attempt=False,
            )
            return 0
        delivery = Delivery(
            message.id,
            message.recipient,
            message.payload,
            lane=message.lane,
            maybe_sent=message.maybe_sent,
        )
        try:
            external_id = await channel.deliver(delivery)
        except PermanentFailure as exc:
            log.warning("message %s to %s failed for good: %s", message.id, message.recipient, exc)
            await storage.mark_outbound_failed(
                message.id, now=self.clock(), error=exc.reason, retry_at=None
            )
            return 0
        except TemporaryFailure as exc:
            await self._retry_later(message, exc.reason, exc.retry_after)
            return 0
        except Exception as exc:  # an unexpected fault is retried: the message is not lost
            log.exception("sending message %s failed", message.id)
            await self._retry_later(message, f"{type(exc).__name__}: {exc}", None)
            return 0
        await storage.mark_outbound_sent(message.id, now=self.clock(), external_id=external_id)
        return 1

    async def _retry_later(
        self, message: OutboundMessage, reason: str, retry_after: float | None
    ) -> None:
        attempts = message.attempts + 1
        if retry_after is None and attempts >= self.max_attempts:  # rate limits never give up
            await storage.mark_outbound_failed(
                message.id,
                now=self.clock(),
                error=f"gave up after {attempts} attempts: {reason}",
                retry_at=None,
            )
            return
        backoff = min(self.first_retry * 2 ** (attempts - 1), self.longest_retry)
        if retry_after is not None:  # the service said when: waiting longer only delays the queue
            backoff = timedelta(seconds=retry_after)
        await storage.mark_outbound_failed(
            message.id,
            now=self.clock(),
            error=reason,
            retry_at=self.clock() + backoff,
            count_attempt=retry_after is None,  # a rate limit is a pause, not a failed try
        )
