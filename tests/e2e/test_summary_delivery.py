"""A grantee who submits a check-in gets the benchmarked summary in the same channel."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import storage
from bot.admin import operations as admin
from bot.channels.console import ConsoleChannel
from bot.conversation.channel import InboundMessage
from bot.conversation.dispatcher import Dispatcher
from bot.conversation.frameworks import framework_for
from bot.conversation.rendering import Renderer
from bot.summaries.delivery import register
from conversations.state import SessionState, Status
from storage.db import database
from storage.records import CheckInContext

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
NOW = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)
EMAIL = "amina@unitythroughfood.example.org"
REPLIES = {
    "count": "50",
    "number": "7.5",
    "proportion": "32 of 41",
    "choice": "1",
    "yes_no": "no",
    "text": "Neighbours who had never met now cook together.",
}


@pytest.fixture
async def opened(db_url: str) -> AsyncIterator[CheckInContext]:
    async with database(db_url):
        programme = await admin.load_programme(EXAMPLES / "programme.toml")
        await admin.import_grantees(EXAMPLES / "grantees.csv", programme.slug)
        await admin.open_round(programme.slug, "2026 Q4", now=NOW, timezone="Europe/London")
        (context,) = await storage.open_checkins_for_email(EMAIL)
        yield context


async def test_submitting_sends_the_summary_in_the_same_channel(opened: CheckInContext) -> None:
    screen: list[str] = []
    ticks = iter(range(10_000))
    dispatcher = Dispatcher(
        {"console": ConsoleChannel(Renderer(), write=screen.append)},
        clock=lambda: NOW + timedelta(seconds=next(ticks)),
    )
    charts = register(dispatcher)
    checkin_id = opened.checkin.id
    await dispatcher.start(checkin_id, "console", occasion="t")
    for n in range(100):
        context = await storage.load_checkin_context(checkin_id)
        state = SessionState.from_json(context.checkin.state)
        if state.status is not Status.IN_PROGRESS or state.current is None:
            break
        kind = framework_for(context.programme).question(state.current).kind
        await dispatcher.handle(
            checkin_id, InboundMessage("console", f"m{n}", EMAIL, REPLIES[kind])
        )
    assert not any("check-in compares" in m for m in screen)  # nothing before submitting
    await dispatcher.handle(checkin_id, InboundMessage("console", "submit", EMAIL, "submit"))
    summary = screen[-1]
    assert summary.startswith("How your 2026 Q4 check-in compares, Unity Through Food")
    assert "78% of 41 participants (32 of 41; 95% interval 63% to 88%) said agree." in summary
    assert "Other grantees: not shown: fewer than 10 other grantees" in summary
    # a redelivered submit changes nothing and sends no second summary
    await dispatcher.handle(checkin_id, InboundMessage("console", "submit", EMAIL, "submit"))
    assert sum("check-in compares" in m for m in screen) == 1
    assert charts._worker is None  # a text summary draws no charts: no process was started


async def test_closing_a_round_queues_the_funder_digest_once(opened: CheckInContext) -> None:
    from bot.scheduling.jobs import Jobs

    jobs = Jobs(Dispatcher({}, clock=lambda: NOW), timezone="Europe/London")
    later = NOW + timedelta(days=40)
    await jobs.close(opened.round, now=later)
    await jobs.close(opened.round, now=later + timedelta(minutes=1))  # a second close, or instance
    messages = await storage.pending_outbound("email", now=later + timedelta(days=1))
    digests = [m for m in messages if m.payload.get("kind") == "digest"]
    assert sorted(m.recipient for m in digests) == [
        "priya.shah@northernlight.example",
        "tom.okafor@northernlight.example",
    ]
    assert digests[0].payload["subject"] == "Bridges Community Fund: digest for 2026 Q4"
    (posted,) = await storage.pending_outbound("slack", now=later + timedelta(days=1))
    assert posted.recipient == "C0123456789" and posted.payload["kind"] == "digest"


async def test_weekly_digest_is_queued_once_each_monday(
    opened: CheckInContext, tmp_path: Path
) -> None:
    from bot.scheduling.jobs import Jobs

    text = (EXAMPLES / "programme.toml").read_text()
    weekly = tmp_path / "programme.toml"
    assert 'digest_every = "round"' in text
    weekly.write_text(text.replace('digest_every = "round"', 'digest_every = "week"', 1))
    await admin.load_programme(weekly)
    jobs = Jobs(Dispatcher({}, clock=lambda: NOW), timezone="Europe/London")
    monday = datetime(2026, 10, 12, 9, 5, tzinfo=UTC)  # 10:05 in London
    assert (await jobs.tick(monday - timedelta(minutes=10))).digests == []  # before 10:00
    assert (await jobs.tick(monday)).digests == ["bridges-2026 2026 Q4"]
    assert (await jobs.tick(monday + timedelta(hours=1))).digests == []  # once per Monday
    assert (await jobs.tick(monday + timedelta(days=7))).digests == ["bridges-2026 2026 Q4"]
    queued = await storage.pending_outbound("email", now=monday + timedelta(days=8), limit=500)
    to_priya = [
        m for m in queued
        if m.payload.get("kind") == "digest" and m.recipient == "priya.shah@northernlight.example"
    ]  # fmt: skip
    assert len(to_priya) == 2
