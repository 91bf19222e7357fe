"""The dispatcher on a real database: answers stored once, conflicts told, restarts resumed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import storage
from bot.admin import operations as admin
from bot.channels.console import ConsoleChannel
from bot.conversation.channel import InboundMessage
from bot.conversation.dispatcher import Dispatcher
from bot.conversation.rendering import Renderer
from storage.db import database
from storage.records import CheckInContext, StepOutcome

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
NOW = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)
EMAIL = "amina@unitythroughfood.example.org"


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


class Screen:
    """What a terminal would have shown, message by message."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def write(self, text: str) -> None:
        self.messages.append(text)

    @property
    def last(self) -> str:
        return self.messages[-1]


def make_dispatcher(screen: Screen, clock: Clock) -> Dispatcher:
    return Dispatcher({"console": ConsoleChannel(Renderer(), write=screen.write)}, clock=clock)


@pytest.fixture
async def opened(db_url: str) -> AsyncIterator[CheckInContext]:
    async with database(db_url):
        programme = await admin.load_programme(EXAMPLES / "programme.toml")
        await admin.import_grantees(EXAMPLES / "grantees.csv", programme.slug)
        await admin.open_round(programme.slug, "2026 Q4", now=NOW, timezone="Europe/London")
        (context,) = await storage.open_checkins_for_email(EMAIL)
        yield context


def said(text: str, n: int) -> InboundMessage:
    return InboundMessage("console", f"line-{n}", EMAIL, text)


async def answer_all(dispatcher: Dispatcher, checkin_id: int, screen: Screen) -> int:
    """Answer whatever is asked with a sensible value until the review; return replies sent."""
    replies = {
        "count": "10",
        "number": "7.5",
        "proportion": "8 of 10",
        "choice": "1",
        "yes_no": "no",
        "text": "Neighbours who had never met now cook together.",
    }
    from bot.conversation.frameworks import framework_for
    from conversations.state import SessionState, Status

    for sent in range(100):
        context = await storage.load_checkin_context(checkin_id)
        state = SessionState.from_json(context.checkin.state)
        if state.status is not Status.IN_PROGRESS or state.current is None:
            return sent
        q = framework_for(context.programme).question(state.current)
        await dispatcher.handle(checkin_id, said(replies[q.kind], 1000 + sent))
    raise AssertionError("the check-in never reached the review")


async def test_console_check_in_stores_answers_and_shows_each_step(
    opened: CheckInContext,
) -> None:
    screen, clock = Screen(), Clock()
    dispatcher = make_dispatcher(screen, clock)
    await dispatcher.start(opened.checkin.id, "console", occasion="t1")
    assert "Hello Amina Hussain, this is your Bridges Community Fund check-in for 2026 Q4" in (
        screen.last
    )
    assert "Question 1 (0 of" in screen.last
    await dispatcher.handle(opened.checkin.id, said("about a dozen", 1))
    assert "whole number" in screen.last and "like" in screen.last
    await dispatcher.handle(opened.checkin.id, said("12 sessions", 2))
    assert screen.last.startswith("Saved. Sessions run: 12 sessions.")
    assert "Question 2 (1 of" in screen.last
    stored = await storage.answers_for_checkin(opened.checkin.id)
    assert [(a.question_id, a.value, a.raw_text, a.channel) for a in stored] == [
        ("O1", 12, "12 sessions", "console")
    ]


async def test_duplicate_delivery_is_handled_once(opened: CheckInContext) -> None:
    screen, clock = Screen(), Clock()
    dispatcher = make_dispatcher(screen, clock)
    await dispatcher.start(opened.checkin.id, "console", occasion="t1")
    first = await dispatcher.handle(opened.checkin.id, said("12", 1))
    again = await dispatcher.handle(opened.checkin.id, said("12", 1))
    assert first.outcome is StepOutcome.SAVED and again.outcome is StepOutcome.DUPLICATE
    assert again.deliveries == ()
    context = await storage.load_checkin_context(opened.checkin.id)
    assert context.checkin.state["answers"] == {"O1": 12}
    assert context.checkin.state["current"] == "O2"  # the second delivery did not answer O2
    assert len(await storage.answer_history(opened.checkin.id)) == 1


async def test_each_step_reports_and_tells_the_check_in_as_stored(opened: CheckInContext) -> None:
    screen, clock = Screen(), Clock()
    dispatcher = make_dispatcher(screen, clock)
    told: list[tuple[int, int]] = []
    dispatcher.on_stored.append(lambda checkin: told.append((checkin.id, checkin.version)))
    started = await dispatcher.start(opened.checkin.id, "console", occasion="t1")
    before = await storage.load_checkin_context(opened.checkin.id)
    saved = await dispatcher.handle(opened.checkin.id, said("12", 1))
    again = await dispatcher.handle(opened.checkin.id, said("12", 1))
    # a step made from the check-in as it was before the answer: another process went first
    late = await dispatcher.handle(opened.checkin.id, said("15", 2), context=before)
    stored = (await storage.load_checkin_context(opened.checkin.id)).checkin
    assert [r.outcome for r in (started, saved, again, late)] == [
        StepOutcome.SAVED,
        StepOutcome.SAVED,
        StepOutcome.DUPLICATE,
        StepOutcome.CONFLICT,
    ]
    assert saved.checkin == again.checkin == late.checkin == stored
    assert stored.state["answers"] == {"O1": 12}
    assert told == [(stored.id, stored.version - 1)] + [(stored.id, stored.version)] * 3


async def test_two_terminals_answering_at_once_one_wins_the_other_is_told(
    opened: CheckInContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    screens = Screen(), Screen()
    clock = Clock()
    first, second = (make_dispatcher(s, clock) for s in screens)
    await first.start(opened.checkin.id, "console", occasion="t1")
    # both terminals read the check-in before either saves: a real race, forced to happen
    loaded = asyncio.Event()
    waiting: list[Any] = []
    real_load = storage.load_checkin_context

    async def load_then_wait(checkin_id: int) -> CheckInContext:
        context = await real_load(checkin_id)
        waiting.append(context)
        if len(waiting) == 2:
            loaded.set()
        await asyncio.wait_for(loaded.wait(), 5)
        return context

    monkeypatch.setattr(storage, "load_checkin_context", load_then_wait)
    results = await asyncio.gather(
        first.handle(opened.checkin.id, InboundMessage("console", "a-1", EMAIL, "12")),
        second.handle(opened.checkin.id, InboundMessage("console", "b-1", EMAIL, "15")),
    )
    monkeypatch.setattr(storage, "load_checkin_context", real_load)
    outcomes = sorted(r.outcome.value for r in results)
    assert outcomes == ["conflict", "saved"]
    winner = 0 if results[0].outcome is StepOutcome.SAVED else 1
    loser_screen = screens[1 - winner]
    assert "was not saved" in loser_screen.last
    assert "Question 2" in loser_screen.last  # told where the check-in now stands
    stored = await storage.answers_for_checkin(opened.checkin.id)
    assert [(a.question_id, a.value) for a in stored] == [("O1", [12, 15][winner])]
    assert len(await storage.answer_history(opened.checkin.id)) == 1


async def test_new_dispatcher_after_restart_continues_from_stored_state(
    opened: CheckInContext,
) -> None:
    clock = Clock()
    screen = Screen()
    before = make_dispatcher(screen, clock)
    await before.start(opened.checkin.id, "console", occasion="t1")
    await before.handle(opened.checkin.id, said("12", 1))
    await before.handle(opened.checkin.id, said("300", 2))
    after_screen = Screen()
    after = make_dispatcher(after_screen, clock)  # a new process: nothing kept in memory
    await after.start(opened.checkin.id, "console", occasion="t2")
    assert "Question 3 (2 of" in after_screen.last and "Hello" not in after_screen.last
    await after.handle(opened.checkin.id, said("90", 3))
    context = await storage.load_checkin_context(opened.checkin.id)
    assert context.checkin.state["answers"] == {"O1": 12, "O2": 300, "O3": 90}


async def test_completed_check_in_edit_is_kept_in_the_audit_trail(opened: CheckInContext) -> None:
    screen, clock = Screen(), Clock()
    dispatcher = make_dispatcher(screen, clock)
    checkin_id = opened.checkin.id
    await dispatcher.start(checkin_id, "console", occasion="t1")
    await answer_all(dispatcher, checkin_id, screen)
    assert "Here is everything before you submit" in screen.last
    await dispatcher.handle(checkin_id, said("submit", 1))
    assert "your check-in is complete" in screen.last
    context = await storage.load_checkin_context(checkin_id)
    assert context.checkin.status == "completed" and context.checkin.completed_at is not None
    await dispatcher.handle(checkin_id, said("edit 1", 2))
    assert "Your answer so far: 10 sessions" in screen.last
    await dispatcher.handle(checkin_id, said("11", 3))
    assert "Changed Sessions" in screen.last and "stays submitted" in screen.last
    history = [h for h in await storage.answer_history(checkin_id) if h.question_id == "O1"]
    assert [(h.old_value, h.new_value, h.actor) for h in history] == [
        (None, 10, f"console:{EMAIL}"),
        (10, 11, f"console:{EMAIL}"),
    ]
    after = await storage.load_checkin_context(checkin_id)
    assert after.checkin.status == "completed"


async def test_round_status_reflects_progress(opened: CheckInContext) -> None:
    screen, clock = Screen(), Clock()
    dispatcher = make_dispatcher(screen, clock)
    await dispatcher.start(opened.checkin.id, "console", occasion="t1")
    await dispatcher.handle(opened.checkin.id, said("12", 1))
    report = await admin.round_status("bridges-2026")
    by_email = {row.grantee.email: row for row in report.rows}
    assert len(report.rows) == 12
    mine = by_email[EMAIL]
    assert mine.checkin is not None and mine.checkin.status == "in_progress" and mine.answered == 1
    others = [r for e, r in by_email.items() if e != EMAIL]
    assert {r.checkin.status for r in others if r.checkin} == {"not_started"}


async def test_remind_me_friday_pauses_and_says_when_without_storing_an_answer(
    opened: CheckInContext,
) -> None:
    from bot.scheduling import availability_requests as availability

    screen, clock = Screen(), Clock()  # NOW is Monday 5 October 2026
    dispatcher = make_dispatcher(screen, clock)
    availability.register(dispatcher)
    await dispatcher.start(opened.checkin.id, "console", occasion="t1")
    await dispatcher.handle(opened.checkin.id, said("12", 1))
    await dispatcher.handle(opened.checkin.id, said("remind me Friday", 2))
    assert "I'll remind you on Friday 9 October" in screen.last
    context = await storage.load_checkin_context(opened.checkin.id)
    assert context.checkin.status == "paused"
    assert context.checkin.state["answers"] == {"O1": 12}
    await dispatcher.handle(opened.checkin.id, said("away until 2026-12-01", 3))
    assert "until you are back on Tuesday 1 December" in screen.last
    (grantee,) = await storage.find_grantees_by_email(EMAIL)
    assert str(grantee.away_until) == "2026-12-01"
    await dispatcher.handle(opened.checkin.id, said("resume", 4))
    assert "Question 2 (1 of" in screen.last
