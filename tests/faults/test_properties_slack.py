"""Properties of the Slack endpoint: signed odd payloads never get a 5xx and store nothing wrong."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st

import storage
from bot.channels.slack import blocks as slack_blocks
from bot.conversation.frameworks import framework_for
from conversations.answers import Parsed, parse_answer
from storage import models as m
from tests.faults.slack_payloads import (
    JSON,
    TEXTS,
    dm,
    not_grantee_clicks,
    not_grantee_events,
)
from tests.faults.tally import Tally, io
from tests.support.answer_checks import assert_valid_value
from tests.support.slack_harness import AMINA, AMINA_EMAIL, STRANGER, SlackHarness, slack_harness
from tests.support.slack_text import mrkdwn_texts

STRANGERS = [STRANGER, "U0NOSUCH01", "W0ENTERPRS"]


class Endpoint:
    """The harness, shown in one line when hypothesis prints a failing case."""

    def __init__(self, harness: SlackHarness) -> None:
        self.harness = harness

    def __repr__(self) -> str:
        return f"<Slack endpoint {self.harness.sender.url}>"


@pytest.fixture
async def endpoint(db_url: str) -> AsyncIterator[Endpoint]:
    async with slack_harness(db_url) as harness:
        yield Endpoint(harness)


async def stored() -> tuple[Any, ...]:
    """Everything a grantee's action could change: check-ins, answers, audit, handled inbound."""
    checkins = sorted((c.id, c.version, c.status) for c in await m.CheckIn.all())
    return (
        checkins,
        await m.Answer.all().count(),
        await m.AnswerChange.all().count(),
        await m.InboundMessage.filter(checkin_id__not_isnull=True).count(),
    )


async def settle(slack: SlackHarness) -> None:
    """Wait for the work bolt started after answering (it is registered before the answer)."""
    await slack.server.listeners.drain()


def errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


@given(data=st.data())
@io(120)
async def test_signed_payloads_that_are_no_grantee_action_get_2xx_or_4xx_and_store_nothing(
    endpoint: Endpoint, data: st.DataObject, caplog: pytest.LogCaptureFixture, tally: Tally
) -> None:
    slack = endpoint.harness
    tag = slack_blocks.round_tag(slack.programme.name, "2026 Q4")
    kind = data.draw(st.sampled_from(["event", "click", "json", "form", "text"]), label="kind")
    with tally.case("properties slack"):
        before = await stored()
        caplog.clear()
        if kind == "event":
            status, _ = await slack.sender.event(data.draw(not_grantee_events(AMINA, STRANGERS)))
        elif kind == "click":
            payload = data.draw(not_grantee_clicks(AMINA, STRANGERS, tag))
            status, _ = await slack.sender.action(payload)
        elif kind == "json":
            body = json.dumps(data.draw(JSON, label="body"))
            status, _ = await slack.sender.send(body, "application/json")
        elif kind == "form":
            fields = data.draw(st.dictionaries(st.sampled_from(["payload", "command", "x"]), TEXTS))
            status, _ = await slack.sender.send(
                urlencode(fields), "application/x-www-form-urlencoded"
            )
        else:
            body = data.draw(TEXTS, label="body")
            ctype = data.draw(st.sampled_from(["text/plain", "application/json", "", "a/b"]))
            status, _ = await slack.sender.send(body, ctype)
        await settle(slack)
        assert 200 <= status < 500, status
        assert await stored() == before
        assert errors(caplog) == []


def assert_escaped(text: str) -> None:
    """Slack's rule: & < > only as &amp; &lt; &gt; (the bot's own links aside)."""
    bare = re.sub(r"<https?://[^\s<>|]+\|[^<>]+>", "", text)
    assert "<" not in bare and ">" not in bare, text
    assert re.fullmatch(r"(?:[^&]|&(?:amp|lt|gt);)*", bare, re.DOTALL), text


# the text questions (23, 24 and 26) keep what was typed, so they get a good share of the cases
@given(text=TEXTS, question=st.one_of(st.none(), st.sampled_from([23, 24, 26]), st.integers(1, 26)))
@io(100)
async def test_any_dm_from_a_grantee_is_one_step_with_valid_answers_and_an_escaped_reply(
    endpoint: Endpoint,
    text: str,
    question: int | None,
    caplog: pytest.LogCaptureFixture,
    tally: Tally,
) -> None:
    slack = endpoint.harness
    with tally.case("properties slack"):
        if question is not None:  # go to any question first, text ones included
            await slack.sender.event(dm(AMINA, f"edit {question}"))
            await settle(slack)
        context = await slack.context(AMINA_EMAIL)
        fw = framework_for(context.programme)
        posts, updates = len(slack.dm(AMINA)), len(slack.standin.called("chat.update"))
        caplog.clear()
        envelope = dm(AMINA, slack_blocks.escape(text))  # Slack sends &, < and > escaped
        status, _ = await slack.sender.event(envelope)
        await settle(slack)
        assert status == 200
        assert errors(caplog) == []
        after = await storage.load_checkin_context(context.checkin.id)
        assert after.checkin.version == context.checkin.version + 1  # one step, stored
        handled = await m.InboundMessage.filter(channel="slack", external_id=envelope["event_id"])
        assert [(r.checkin_id, r.outcome) for r in handled] == [(context.checkin.id, "handled")]
        for answer in await storage.answers_for_checkin(context.checkin.id):
            if answer.skipped:
                continue
            q = fw.question(answer.question_id)
            assert_valid_value(q, answer.value)
            assert parse_answer(q, answer.raw_text) == Parsed(answer.value), answer
        new = slack.dm(AMINA)[posts:] + slack.standin.called("chat.update")[updates:]
        assert len(slack.dm(AMINA)) > posts, "the grantee got no reply"
        for call in new:
            for shown in mrkdwn_texts(call):
                assert_escaped(shown)
