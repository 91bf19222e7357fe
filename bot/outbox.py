"""Sends what was stored: claims due messages, delivers, retries with backoff, paces channels."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

import storage
from bot.channels.base import Channel, Delivery, PermanentFailure, TemporaryFailure
from bot.clock import Clock, utc_now
from storage.records import OutboundMessage

log = logging.getLogger(__name__)


class Outbox:
    """Delivers queued messages; safe to run in several processes at once (claims are leased)."""

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
    ) -> None:
        self.channels = channels
        self.clock = clock
        self.poll_seconds = poll_seconds
        self.lease = lease
        self.max_attempts = max_attempts
        self.first_retry = first_retry
        self.longest_retry = longest_retry
        self._paused_until: dict[str, datetime] = {}
        self._last_sent: dict[str, float] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def send_now(self, ids: Sequence[int]) -> int:
        """Deliver these just-stored messages, unless another sender already has them."""
        if not ids:
            return 0
        claimed = await storage.claim_outbound(now=self.clock(), lease=self.lease, ids=ids)
        return await self._deliver_all(claimed)

    async def flush(self, channel: str | None = None, *, limit: int = 500) -> int:
        """Deliver everything that is due (on one channel, or all); returns how many were sent."""
        sent = 0
        names = [channel] if channel else list(self.channels)
        for name in names:
            if self._paused(name):
                continue
            claimed = await storage.claim_outbound(
                now=self.clock(), lease=self.lease, channel=name, limit=limit
            )
            sent += await self._deliver_all(claimed)
        return sent

    def wake(self) -> None:
        self._wake.set()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="outbox")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            try:
                await self.flush()
            except asyncio.CancelledError:
                raise
            except Exception:  # a database hiccup must not end the loop; the rows stay queued
                log.exception("outbox flush failed; will try again")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_seconds)
            self._wake.clear()

    def _paused(self, channel: str) -> bool:
        until = self._paused_until.get(channel)
        return until is not None and self.clock() < until

    async def _deliver_all(self, messages: Sequence[OutboundMessage]) -> int:
        sent = 0
        for message in messages:
            sent += await self._deliver(message)
        return sent

    async def _deliver(self, message: OutboundMessage) -> int:
        channel = self.channels.get(message.channel)
        if channel is None or self._paused(message.channel):
            # not this process's channel, or paused: hand it back for later
            retry = self._paused_until.get(message.channel, self.clock() + self.lease)
            await storage.mark_outbound_failed(
                message.id, now=self.clock(), error="waiting for its channel", retry_at=retry
            )
            return 0
        async with self._locks.setdefault(message.channel, asyncio.Lock()):
            await self._pace(channel)
            delivery = Delivery(message.id, message.recipient, message.payload)
            try:
                external_id = await channel.deliver(delivery)
            except PermanentFailure as exc:
                log.warning(
                    "message %s to %s failed for good: %s", message.id, message.recipient, exc
                )
                await storage.mark_outbound_failed(
                    message.id, now=self.clock(), error=exc.reason, retry_at=None
                )
                return 0
            except TemporaryFailure as exc:
                if exc.retry_after is not None:
                    until = self.clock() + timedelta(seconds=exc.retry_after)
                    self._paused_until[message.channel] = until
                await self._retry_later(message, exc.reason, exc.retry_after)
                return 0
            except Exception as exc:  # an unexpected fault is retried: the message is not lost
                log.exception("sending message %s failed", message.id)
                await self._retry_later(message, f"{type(exc).__name__}: {exc}", None)
                return 0
            self._last_sent[message.channel] = asyncio.get_running_loop().time()
            await storage.mark_outbound_sent(message.id, now=self.clock(), external_id=external_id)
            return 1

    async def _pace(self, channel: Channel) -> None:
        interval = float(getattr(channel, "min_interval", 0.0) or 0.0)
        last = self._last_sent.get(channel.name)
        if interval and last is not None:
            wait = last + interval - asyncio.get_running_loop().time()
            if wait > 0:
                await asyncio.sleep(wait)

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
            message.id, now=self.clock(), error=reason, retry_at=self.clock() + backoff
        )
