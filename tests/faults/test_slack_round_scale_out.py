"""Two `checkins serve` on one PostgreSQL, Slack's limits and the shipped pace, a big round."""

from __future__ import annotations

import time
from pathlib import Path

import aiohttp
import pytest

from bot.demo.slack_requests import SignedSender
from bot.demo.slack_standin import SlackStandIn
from storage.db import database
from tests.faults.cluster import (
    SECRET,
    MailSink,
    ServiceProcess,
    instances,
    live,
    query,
    report,
    write_settings,
)
from tests.support.round_load import RoundLoad, asked, open_the_round, people, seed

pytestmark = pytest.mark.postgres
ANSWERING, OPENING = people("ANS", 50), people("RND", 1000)


async def test_two_instances_answer_first_while_a_round_of_a_thousand_opens(
    postgres_url: str, tmp_path: Path
) -> None:
    started = time.monotonic()
    async with database(postgres_url):
        await seed(tmp_path, ANSWERING, OPENING)
    standin, sink = SlackStandIn(), MailSink()  # Slack's documented limits, enforced
    await standin.start()
    await sink.start()
    try:
        a, b = (
            ServiceProcess(
                name,
                write_settings(
                    tmp_path, name, db_url=postgres_url, sink=sink, standin=standin, slack_pace={}
                ),
            )
            for name in ("a", "b")
        )
        async with instances(a, b), aiohttp.ClientSession() as session:
            senders = {p.name: SignedSender(p.slack_url, SECRET, session) for p in live(a, b)()}
            load = RoundLoad(standin, lambda: list(senders.values()), ANSWERING, OPENING)
            await load.first_questions()
            async with database(postgres_url):
                assert await open_the_round() == len(OPENING)
            await load.answer_while_the_round_opens()
            await load.round_delivered()
            errors = a.errors() + b.errors()
        rows = await query(
            postgres_url, "SELECT status, count(*) AS n FROM outbound_message GROUP BY status"
        )
    finally:
        await sink.stop()
        await standin.stop()
    refused = [c.method for c in standin.rate_limited]
    latencies = sorted(load.outcome.latencies)
    report(
        "scale-out round",
        f"2 instances, {len(ANSWERING)} answering while {len(OPENING):,} first DMs went out: "
        f"answer to next question p50 {latencies[len(latencies) // 2]:.2f} s, slowest "
        f"{latencies[-1]:.2f} s; {len(refused)} calls refused as ratelimited ({refused}); "
        f"{time.monotonic() - started:.1f}s",
        tried=len(latencies),
        lost=0,
    )
    assert load.outcome.statuses == [200] * (4 * len(ANSWERING))
    # every answer got the next question, in order, none twice, whichever instance took it
    assert load.asked_in_order() == {p.user: [1, 2, 3, 4, 5] for p in ANSWERING}
    # every first DM arrived once; nothing is left unsent or failed
    assert {p.user: [asked(c) for c in load.dms[p.user]] for p in OPENING} == {
        p.user: [1] for p in OPENING
    }
    assert {row["status"]: row["n"] for row in rows} == {"sent": len(OPENING) + 5 * len(ANSWERING)}
    # each instance paces itself at the full budgets: together they may go over one, and a
    # ratelimited answer then pauses both; a handful at most, nothing lost to them
    assert len(refused) <= 10, refused
    assert errors == []
