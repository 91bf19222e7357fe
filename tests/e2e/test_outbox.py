"""The outbox on a real database: retries, failures, rate limits, lanes, one send per row."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

import storage
from bot.conversation.channel import Delivery, PermanentFailure, TemporaryFailure
from bot.conversation.outbox import Outbox
from bot.conversation.rendering import ConversationView
from bot.settings_sections import OutboxSettings
from conversations.state import Prompt
from storage.db import database
from storage.records import BULK, INTERACTIVE, CheckInContext, OutboundWrite

START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
SHIPPED_LEASE = timedelta(seconds=OutboxSettings().lease_seconds)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class ScriptedChannel:
    """Records what it sends; raises the failures it is told to, in order."""

    name = "test"

    def __init__(self, failures: Sequence[Exception | None] = ()) -> None:
        self.failures = list(failures)
        self.sent: list[str] = []
        self.maybe_sent: list[bool] = []

    def recipient(self, context: CheckInContext) -> str:
        return context.grantee.email

    def render(self, prompts: Sequence[Prompt], view: ConversationView) -> dict[str, Any]:
        return {"text": "unused"}

    async def deliver(self, delivery: Delivery) -> str | None:
        failure = self.failures.pop(0) if self.failures else None
        if failure is not None:
            raise failure
        await asyncio.sleep(0)  # let a competing sender run in between
        self.sent.append(str(delivery.payload["text"]))
        self.maybe_sent.append(delivery.maybe_sent)
        return f"ext-{delivery.outbound_id}"


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[None]:
    async with database(db_url):
        yield


async def queue(*texts: str) -> tuple[int, ...]:
    writes = [OutboundWrite(f"key-{t}", "test", "someone@example.org", {"text": t}) for t in texts]
    return await storage.enqueue_outbound(writes, now=START)


async def test_pending_messages_are_sent_once_after_a_restart(db: None) -> None:
    await queue("a", "b", "c")
    channel, clock = ScriptedChannel(), Clock()
    assert await Outbox({"test": channel}, clock=clock).flush() == 3
    assert await Outbox({"test": channel}, clock=clock).flush() == 0  # a second process: nothing
    assert channel.sent == ["a", "b", "c"]
    assert await storage.outbound_counts() == {"sent": 3}


async def test_temporary_failure_is_retried_with_backoff(db: None) -> None:
    (message_id,) = await queue("hello")
    channel, clock = ScriptedChannel([TemporaryFailure("relay down")]), Clock()
    outbox = Outbox({"test": channel}, clock=clock, first_retry=timedelta(seconds=30))
    assert await outbox.send_now([message_id]) == 0
    (waiting,) = await storage.pending_outbound("test", now=clock.now + timedelta(seconds=30))
    assert waiting.last_error == "relay down" and waiting.attempts == 1
    assert await outbox.flush() == 0  # not due yet
    clock.advance(seconds=31)
    assert await outbox.flush() == 1
    assert channel.sent == ["hello"]


async def test_permanent_failure_is_recorded_and_not_retried(db: None) -> None:
    (message_id,) = await queue("hello")
    channel, clock = ScriptedChannel([PermanentFailure("550 no such user")]), Clock()
    outbox = Outbox({"test": channel}, clock=clock)
    await outbox.send_now([message_id])
    clock.advance(days=1)
    assert await outbox.flush() == 0 and channel.sent == []
    assert await storage.outbound_counts() == {"failed": 1}


async def test_a_rate_limited_message_waits_its_retry_after_and_nothing_is_lost(
    db: None,
) -> None:
    await queue("1", "2", "3", "4")
    limited = TemporaryFailure("ratelimited", retry_after=20)
    channel, clock = ScriptedChannel([None, limited]), Clock()
    outbox = Outbox({"test": channel}, clock=clock)
    # "2" hit the limit; the others are not held back by the outbox (a channel pauses what its
    # service limits itself: Slack's per method and conversation, see test_slack_pacing)
    assert await outbox.flush() == 3
    assert channel.sent == ["1", "3", "4"]
    clock.advance(seconds=10)
    assert await outbox.flush() == 0  # "2" waits what it was told
    clock.advance(seconds=11)
    assert await outbox.flush() == 1
    assert channel.sent == ["1", "3", "4", "2"]
    assert await storage.outbound_counts() == {"sent": 4}


async def test_interactive_messages_are_claimed_before_bulk_ones(db: None) -> None:
    bulk = [
        OutboundWrite(f"key-b{n}", "test", f"g{n}@example.org", {"text": f"first {n}"}, BULK)
        for n in range(30)
    ]
    await storage.enqueue_outbound(bulk, now=START)
    reply = OutboundWrite("key-r", "test", "amina@example.org", {"text": "next"}, INTERACTIVE)
    await storage.enqueue_outbound([reply], now=START + timedelta(seconds=5))
    channel, clock = ScriptedChannel(), Clock()
    clock.advance(seconds=10)
    assert await Outbox({"test": channel}, clock=clock, batch=5).flush() == 31
    assert channel.sent[0] == "next"  # queued last, sent first
    assert channel.sent[1:] == [f"first {n}" for n in range(30)]  # the rest in order


async def test_a_restarted_instance_takes_back_its_own_unfinished_sends_at_once(
    db: None,
) -> None:
    mine, theirs = await queue("mine", "theirs")
    clock, lease = Clock(), timedelta(minutes=2)
    await storage.claim_outbound(now=clock.now, lease=lease, ids=[mine], holder="host-a")
    await storage.claim_outbound(now=clock.now, lease=lease, ids=[theirs], holder="host-b")
    # host-a was killed mid-send and starts again a few seconds later
    clock.advance(seconds=5)
    channel = ScriptedChannel()
    restarted = Outbox({"test": channel}, clock=clock, lease=lease, holder="host-a")
    await restarted.start()
    try:
        for _ in range(50):
            if channel.sent:
                break
            await asyncio.sleep(0.05)
    finally:
        await restarted.stop()
    assert channel.sent == ["mine"]  # host-b's claim is still host-b's until its lease ends
    assert channel.maybe_sent == [True]  # the channel is told it may have gone out


async def test_repeated_failures_give_up_and_say_why(db: None) -> None:
    (message_id,) = await queue("hello")
    channel = ScriptedChannel([TemporaryFailure("timeout")] * 3)
    clock = Clock()
    outbox = Outbox({"test": channel}, clock=clock, max_attempts=3)
    await outbox.send_now([message_id])
    for _ in range(3):
        clock.advance(hours=2)
        await outbox.flush()
    assert await storage.outbound_counts() == {"failed": 1}
    later = clock.now + timedelta(days=1)
    assert await storage.claim_outbound(now=later, lease=timedelta(minutes=1)) == []


async def test_two_senders_at_once_send_each_message_once(db: None) -> None:
    await queue(*[str(n) for n in range(20)])
    channel, clock = ScriptedChannel(), Clock()
    first, second = Outbox({"test": channel}, clock=clock), Outbox({"test": channel}, clock=clock)
    counts = await asyncio.gather(first.flush(), second.flush())
    assert sum(counts) == 20
    assert sorted(channel.sent, key=int) == [str(n) for n in range(20)]


async def test_a_sender_that_died_mid_send_is_taken_over_after_its_lease(db: None) -> None:
    (message_id,) = await queue("hello")
    clock = Clock()
    lease = timedelta(minutes=2)
    claimed = await storage.claim_outbound(now=clock.now, lease=lease, ids=[message_id])
    assert [m.id for m in claimed] == [message_id]  # claimed, then the process died
    channel = ScriptedChannel()
    survivor = Outbox({"test": channel}, clock=clock, lease=lease)
    assert await survivor.flush() == 0  # the lease still holds
    clock.advance(minutes=3)
    assert await survivor.flush() == 1 and channel.sent == ["hello"]


class SlowChannel(ScriptedChannel):
    """Each send takes a share of the lease on the clock (a channel pacing a long batch); after
    the send numbered `then_at`, another instance's outbox runs once."""

    def __init__(self, clock: Clock, shares: list[float], then_at: int, other: Outbox) -> None:
        super().__init__()
        self.clock, self.shares, self.then_at, self.other = clock, shares, then_at, other

    async def deliver(self, delivery: Delivery) -> str | None:
        self.clock.advance(seconds=self.shares[len(self.sent)] * SHIPPED_LEASE.total_seconds())
        sent = await super().deliver(delivery)
        if len(self.sent) == self.then_at:
            await self.other.flush()
        return sent


async def batch_sent_by_two(shares: list[float], then_at: int) -> tuple[list[str], ScriptedChannel]:
    """Six messages claimed as one batch by instance "a" (the shipped lease), whose sends take
    `shares` of the lease each; instance "b" looks once after send `then_at`. What a sent, and
    b's channel."""
    await queue("1", "2", "3", "4", "5", "6")
    clock = Clock()
    elsewhere = ScriptedChannel()
    other = Outbox({"test": elsewhere}, clock=clock, lease=SHIPPED_LEASE, holder="b")
    slow = SlowChannel(clock, shares, then_at, other)
    await Outbox({"test": slow}, clock=clock, lease=SHIPPED_LEASE, holder="a").flush()
    assert await storage.outbound_counts() == {"sent": 6}
    return slow.sent, elsewhere


async def test_a_batch_longer_than_its_lease_is_renewed_and_sent_once(db: None) -> None:
    # each send 0.4 of the lease: past half of it after the second, renewed before the third;
    # the other instance, looking during the third, finds nothing due
    sent, elsewhere = await batch_sent_by_two([0.4] * 6, 3)
    assert sent == ["1", "2", "3", "4", "5", "6"] and elsewhere.sent == []


async def test_what_another_sender_took_after_a_lease_ran_out_is_left_to_it(db: None) -> None:
    # the second send outlasts the lease; the other instance takes the batch's rest, the one
    # in flight included (flagged: it may have gone, so a channel that can check does)
    sent, elsewhere = await batch_sent_by_two([0.4, 0.7, 0.4, 0.4, 0.4, 0.4], 2)
    assert elsewhere.sent == ["2", "3", "4", "5", "6"]
    assert elsewhere.maybe_sent == [True] * 5
    assert sent == ["1", "2"]  # none of the rest a second time
