"""Slack's pace on a real database: per conversation, per method, Retry-After for every instance."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.channels.slack.channel import SlackChannel
from bot.conversation.channel import Delivery, TemporaryFailure
from bot.conversation.rendering import Renderer
from bot.demo.slack_standin import SlackStandIn
from bot.settings import Settings, SlackSettings
from storage.records import INTERACTIVE

AMINA, RHYS = "U0AMINA001", "U0RHYS0001"


@pytest.fixture
async def standin(db: str) -> AsyncIterator[SlackStandIn]:
    running = SlackStandIn()
    await running.start()
    try:
        yield running
    finally:
        await running.stop()


def channel_for(standin: SlackStandIn, **pace: float) -> SlackChannel:
    """A Slack channel as one service instance has it (its own pacer and memory)."""
    client = AsyncWebClient(token="xoxb-test", base_url=standin.api_url)
    return SlackChannel(client, Renderer(), settings=SlackSettings.model_validate(pace))


def question(n: int) -> dict[str, object]:
    return {"text": f"Question {n}", "blocks": [], "ask": f"O{n}"}


async def test_posts_to_different_conversations_never_wait_for_each_other(
    standin: SlackStandIn,
) -> None:
    channel = channel_for(standin)
    users = [f"U{n:09d}" for n in range(40)]
    began = time.monotonic()
    for n, user in enumerate(users):
        assert await channel.deliver(Delivery(n + 1, user, question(1)))
    took = time.monotonic() - began
    assert {c.response["channel"] for c in standin.posts()} == {f"D{u}" for u in users}
    # forty first messages at a per-conversation pace of one a second: no wait at all
    assert took < 5.0, f"40 posts to 40 conversations took {took:.1f} s"
    assert standin.called("conversations.open") == []  # posted to the user id: no Tier 3 call
    assert standin.rate_limited == []


async def test_one_conversation_gets_a_short_burst_then_one_post_a_second(
    standin: SlackStandIn,
) -> None:
    channel = channel_for(standin)
    began = time.monotonic()
    for n in range(6):
        await channel.deliver(Delivery(n + 1, AMINA, question(n + 1)))
    took = time.monotonic() - began
    # a burst of 3, then one a second: the sixth goes about 3 s after the first
    assert 2.5 <= took < 5.0, took
    assert [c.params["text"] for c in standin.posts(f"D{AMINA}")] == [
        f"Question {n}" for n in range(1, 7)
    ]
    assert standin.rate_limited == []  # paced below Slack's limit, never over it


async def test_the_next_question_goes_before_the_answered_one_is_shown_in_place(
    standin: SlackStandIn,
) -> None:
    channel = channel_for(standin)
    asked = await channel.deliver(Delivery(1, AMINA, question(1)))
    answered = {"ask": "O1", "text": "Question 1: Answer: 12", "blocks": []}
    following = {**question(2), "updates": [answered]}
    await channel.deliver(Delivery(2, AMINA, following, lane=INTERACTIVE))
    await standin.wait_for_calls("chat.update", 1)
    methods = [c.method for c in standin.calls if c.method.startswith("chat.")]
    assert methods == ["chat.postMessage", "chat.postMessage", "chat.update"]
    (update,) = standin.called("chat.update")
    assert f"{update.params['channel']}:{update.params['ts']}" == asked
    assert update.params["text"] == "Question 1: Answer: 12"


async def test_a_rate_limit_pauses_the_method_for_every_instance(
    standin: SlackStandIn,
) -> None:
    first, second = channel_for(standin), channel_for(standin)  # two instances, one database
    standin.fail("chat.postMessage", "ratelimited", status=429, retry_after=2)
    with pytest.raises(TemporaryFailure) as told:
        await first.deliver(Delivery(1, AMINA, question(1)))
    assert told.value.retry_after == 2
    calls = len(standin.calls)
    # the other instance never heard Slack say so: it reads the stored pause
    with pytest.raises(TemporaryFailure) as held:
        await second.deliver(Delivery(2, RHYS, question(1)))
    assert held.value.retry_after is not None and 0 < held.value.retry_after <= 2
    assert len(standin.calls) == calls  # nothing went to Slack meanwhile
    await asyncio.sleep(2.05)
    assert await second.deliver(Delivery(2, RHYS, question(1)))
    assert await first.deliver(Delivery(1, AMINA, question(1)))


async def test_a_cosmetic_update_is_dropped_after_repeated_rate_limits(
    standin: SlackStandIn,
) -> None:
    channel = channel_for(standin)
    await channel.deliver(Delivery(1, AMINA, question(1)))
    standin.fail("chat.update", "ratelimited", status=429, retry_after=1, times=3)
    answered = {"ask": "O1", "text": "Question 1: Answer: 12", "blocks": []}
    began = time.monotonic()
    await channel.deliver(Delivery(2, AMINA, {**question(2), "updates": [answered]}))
    assert time.monotonic() - began < 0.5  # the next question did not wait for the update
    await standin.wait_for_calls("chat.update", 3, timeout=10)
    await asyncio.sleep(1.5)
    assert len(standin.called("chat.update")) == 3 and channel.updates.dropped == 1
    # the posts were never held up by the updates' limit: another question goes at once
    assert await channel.deliver(Delivery(3, AMINA, question(3)))
    await channel.updates.close()


async def test_a_post_made_before_a_crash_is_found_and_not_repeated(
    standin: SlackStandIn,
) -> None:
    before = channel_for(standin)
    posted = await before.deliver(Delivery(7, AMINA, question(1)))
    restarted = channel_for(standin)  # a new process: nothing in memory
    again = await restarted.deliver(Delivery(7, AMINA, question(1), maybe_sent=True))
    assert again == posted
    assert len(standin.posts(f"D{AMINA}")) == 1
    # one that did not go out before the crash is posted
    assert await restarted.deliver(Delivery(8, AMINA, question(2), maybe_sent=True))
    assert len(standin.posts(f"D{AMINA}")) == 2


def test_the_old_pace_setting_is_named_with_what_to_use_instead(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING):
        settings = Settings(slack={"messages_per_second": 1.0})
    assert settings.slack == SlackSettings()
    (warning,) = [r.getMessage() for r in caplog.records if "messages_per_second" in r.getMessage()]
    assert "posts_per_conversation_per_second" in warning and "remove" in warning
