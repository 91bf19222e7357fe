"""With Slack's limits and the shipped pace: answering grantees never wait behind a big round."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

import storage
from bot.channels.slack.server import EVENTS_PATH, SlackServer
from bot.demo.slack_requests import SignedSender
from bot.demo.slack_standin import SlackStandIn
from bot.service import Service, build_service
from bot.settings import Settings
from tests.support.round_load import RoundLoad, asked, open_the_round, people, seed

SECRET = "load-signing-secret"
ANSWERING, OPENING = people("ANS", 50), people("RND", 1000)


@pytest.fixture
async def service(db_url: str, tmp_path: Path) -> AsyncIterator[tuple[Service, SlackStandIn]]:
    standin = SlackStandIn()  # Slack's documented limits, enforced
    await standin.start()
    # the shipped pace: only what a test must choose (addresses, secrets, a quick first tick)
    settings = Settings(
        database={"url": db_url},
        slack={
            "api_base_url": standin.api_url,
            "http_port": 0,
            "bot_token": "xoxb-load",
            "signing_secret": SECRET,
        },
        email={"inbound_port": 0},
        schedule={"tick_seconds": 1},
    )
    async with storage.database(db_url):
        await seed(tmp_path, ANSWERING, OPENING)
    running = build_service(settings)
    try:
        await running.start()
        yield running, standin
    finally:
        await running.stop()
        await standin.stop()


async def test_fifty_answers_go_first_while_a_round_of_a_thousand_opens(
    service: tuple[Service, SlackStandIn],
) -> None:
    running, standin = service
    server = next(c for c in running.components if isinstance(c, SlackServer))
    url = f"http://127.0.0.1:{server.port}{EVENTS_PATH}"
    async with aiohttp.ClientSession() as session:
        sender = SignedSender(url, SECRET, session)
        load = RoundLoad(standin, lambda: [sender], ANSWERING, OPENING)
        await load.first_questions()
        assert await open_the_round() == len(OPENING)
        await load.answer_while_the_round_opens()
        await load.round_delivered()
    outcome = load.outcome
    assert outcome.statuses == [200] * (4 * len(ANSWERING))
    # every answer got the next question, in order, none twice
    assert load.asked_in_order() == {p.user: [1, 2, 3, 4, 5] for p in ANSWERING}
    # every first DM of the round arrived, once, asking the first question
    assert load.round_duplicates() == {}
    assert {p.user: [asked(c) for c in load.dms[p.user]] for p in OPENING} == {
        p.user: [1] for p in OPENING
    }
    # the answers were taken while the round was still going out
    assert outcome.round_ended is not None and max(outcome.answered_at) < outcome.round_ended
    # paced below Slack's limits: not one call refused
    assert [c.method for c in standin.rate_limited] == []
