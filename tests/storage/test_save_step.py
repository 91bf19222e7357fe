"""save_step: answers with audit, duplicates and stale versions change nothing, one racer wins."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import pytest

import storage
from storage import models as m
from storage.records import (
    AnswerChange,
    AnswerWrite,
    CheckIn,
    CheckInStatus,
    InboundKey,
    OpenedRound,
    OutboundWrite,
    StepOutcome,
    StepResult,
    StoredAnswer,
)
from tests.storage.factories import INITIAL_STATE, NOW, answer, later, skip


@pytest.fixture
async def checkin(opened: OpenedRound) -> CheckIn:
    row = await m.CheckIn.filter(round_id=opened.round.id).order_by("id").first()
    assert row is not None
    return await storage.get_checkin(row.id)


async def step(
    checkin: CheckIn,
    answers: Sequence[AnswerWrite] = (),
    *,
    version: int | None = None,
    status: str = CheckInStatus.IN_PROGRESS,
    state: dict[str, Any] | None = None,
    minutes: int = 1,
    inbound: str | None = None,
    outbound: Sequence[OutboundWrite] = (),
    channel: str = "slack",
) -> StepResult:
    return await storage.save_step(
        checkin.id,
        expected_version=checkin.version if version is None else version,
        state=state if state is not None else {"status": str(status), "at": minutes},
        status=status,
        answers=answers,
        channel=channel,
        actor=f"{channel}:UAMIR",
        now=later(minutes),
        inbound=None if inbound is None else InboundKey(channel, inbound),
        outbound=outbound,
    )


async def nothing_stored(checkin: CheckIn) -> None:
    assert await storage.get_checkin(checkin.id) == checkin
    assert await storage.answers_for_checkin(checkin.id) == []
    assert await storage.answer_history(checkin.id) == []
    assert await m.InboundMessage.all().count() == 0
    assert await m.OutboundMessage.all().count() == 0


async def test_saves_state_answers_and_audit_history(checkin: CheckIn) -> None:
    result = await step(
        checkin,
        [answer("participants", 12, "about 12"), answer("mood", "lt10"), skip("notes")],
        state={"status": "in_progress", "current": "q4", "answers": {"participants": 12}},
    )

    assert result.outcome is StepOutcome.SAVED
    assert result.checkin.version == 2
    assert result.checkin.status == "in_progress"
    assert result.checkin.state == {
        "status": "in_progress",
        "current": "q4",
        "answers": {"participants": 12},
    }
    assert (result.checkin.started_at, result.checkin.updated_at) == (later(1), later(1))
    assert await storage.get_checkin(checkin.id) == result.checkin
    assert await storage.answers_for_checkin(checkin.id) == [
        StoredAnswer("participants", 1, 12, "about 12", "slack", False, later(1)),
        StoredAnswer("mood", 1, "lt10", "lt10", "slack", False, later(1)),  # a JSON string
        StoredAnswer("notes", 1, None, "skip", "slack", True, later(1)),
    ]
    by, at = "slack:UAMIR", later(1)
    assert await storage.answer_history(checkin.id) == [
        AnswerChange("participants", 1, None, 12, None, False, "about 12", "slack", by, at),
        AnswerChange("mood", 1, None, "lt10", None, False, "lt10", "slack", by, at),
        AnswerChange("notes", 1, None, None, None, True, "skip", "slack", by, at),
    ]


async def test_changing_an_answer_keeps_old_and_new_in_the_audit(checkin: CheckIn) -> None:
    first = await step(checkin, [answer("participants", 12), skip("notes")])
    second = await step(
        first.checkin,
        [answer("participants", {"of": 20, "count": 15}, "15 of 20"), answer("notes", "great")],
        minutes=5,
        channel="email",
    )

    assert second.outcome is StepOutcome.SAVED
    stored = {a.question_id: a for a in await storage.answers_for_checkin(checkin.id)}
    assert stored["participants"].value == {"of": 20, "count": 15}
    assert (stored["participants"].channel, stored["participants"].answered_at) == (
        "email",
        later(5),
    )
    assert (stored["notes"].value, stored["notes"].skipped) == ("great", False)
    history = await storage.answer_history(checkin.id)
    changes = [
        (h.question_id, h.old_value, h.new_value, h.old_skipped, h.new_skipped) for h in history
    ]
    assert changes == [
        ("participants", None, 12, None, False),
        ("notes", None, None, None, True),
        ("participants", 12, {"of": 20, "count": 15}, False, False),
        ("notes", None, "great", True, False),
    ]
    assert history[-1].actor == "email:UAMIR"
    assert await m.Answer.filter(checkin_id=checkin.id).count() == 2


async def test_duplicate_inbound_is_reported_and_changes_nothing(checkin: CheckIn) -> None:
    first = await step(checkin, [answer("participants", 12)], inbound="Ev1")
    replay = await step(first.checkin, [answer("participants", 99)], minutes=2, inbound="Ev1")

    assert replay.outcome is StepOutcome.DUPLICATE
    assert replay.checkin == first.checkin
    assert [a.value for a in await storage.answers_for_checkin(checkin.id)] == [12]
    assert len(await storage.answer_history(checkin.id)) == 1
    inbound = await m.InboundMessage.all()
    assert [(i.channel, i.external_id, i.outcome, i.checkin_id) for i in inbound] == [
        ("slack", "Ev1", "handled", checkin.id)
    ]


async def test_stale_version_is_a_conflict_and_stores_nothing(checkin: CheckIn) -> None:
    result = await step(
        checkin,
        [answer("participants", 12)],
        version=checkin.version + 7,
        inbound="Ev2",
        outbound=[OutboundWrite("slack:reply:Ev2", "slack", "UAMIR", {"text": "thanks"})],
    )

    assert result.outcome is StepOutcome.CONFLICT
    assert result.checkin == checkin
    assert result.outbound_ids == ()
    await nothing_stored(checkin)
    # the message was not consumed: handled again with the right version, it is saved
    retry = await step(checkin, [answer("participants", 12)], inbound="Ev2")
    assert retry.outcome is StepOutcome.SAVED


async def test_two_racing_steps_one_saved_one_conflict(checkin: CheckIn) -> None:
    racers = [
        step(checkin, [answer("participants", n)], state={"by": n}, inbound=f"race-{n}")
        for n in (1, 2)
    ]
    results = await asyncio.gather(*racers)

    outcomes = sorted(r.outcome for r in results)
    assert outcomes == [StepOutcome.CONFLICT, StepOutcome.SAVED]
    winner = 1 + [r.outcome for r in results].index(StepOutcome.SAVED)
    stored = await storage.get_checkin(checkin.id)
    assert (stored.version, stored.state) == (2, {"by": winner})
    assert all(r.checkin == stored for r in results)
    assert [a.value for a in await storage.answers_for_checkin(checkin.id)] == [winner]
    history = await storage.answer_history(checkin.id)
    assert [(h.old_value, h.new_value) for h in history] == [(None, winner)]
    assert [i.external_id for i in await m.InboundMessage.all()] == [f"race-{winner}"]


async def test_many_racers_exactly_one_wins(checkin: CheckIn) -> None:
    results = await asyncio.gather(
        *(step(checkin, [answer("participants", n)], state={"by": n}) for n in range(8))
    )
    assert sorted(r.outcome for r in results).count(StepOutcome.SAVED) == 1
    assert len(await storage.answer_history(checkin.id)) == 1
    assert (await storage.get_checkin(checkin.id)).version == 2


async def test_racing_redeliveries_of_one_message_are_handled_once(checkin: CheckIn) -> None:
    results = await asyncio.gather(
        *(step(checkin, [answer("participants", 5)], inbound="Ev-same") for _ in range(2))
    )
    assert sorted(r.outcome for r in results) == [StepOutcome.DUPLICATE, StepOutcome.SAVED]
    assert len(await storage.answer_history(checkin.id)) == 1
    assert await m.InboundMessage.all().count() == 1


async def test_outbound_is_queued_with_the_step_once_per_key(checkin: CheckIn) -> None:
    hello = OutboundWrite("slack:start:1", "slack", "UAMIR", {"text": "Hello", "n": 1})
    first = await step(checkin, outbound=[hello])
    second = await step(first.checkin, minutes=2, outbound=[hello])  # the same key again

    assert len(first.outbound_ids) == 1
    assert second.outcome is StepOutcome.SAVED
    assert second.outbound_ids == ()
    (queued,) = await storage.pending_outbound("slack", now=later(2))
    assert (queued.id, queued.idempotency_key, queued.recipient, queued.payload) == (
        first.outbound_ids[0],
        "slack:start:1",
        "UAMIR",
        {"text": "Hello", "n": 1},
    )
    assert (await m.OutboundMessage.get(id=queued.id)).checkin_id == checkin.id


async def test_started_and_completed_times_follow_the_status(checkin: CheckIn) -> None:
    quiet = await step(checkin, status=CheckInStatus.NOT_STARTED, minutes=1)
    assert quiet.checkin.started_at is None
    begun = await step(quiet.checkin, minutes=2)
    assert begun.checkin.started_at == later(2)
    done = await step(begun.checkin, status=CheckInStatus.COMPLETED, minutes=3)
    assert (done.checkin.started_at, done.checkin.completed_at) == (later(2), later(3))
    still = await step(done.checkin, status=CheckInStatus.COMPLETED, minutes=4)
    assert still.checkin.completed_at == later(3)  # staying completed keeps the time
    reopened = await step(still.checkin, status=CheckInStatus.IN_PROGRESS, minutes=5)
    assert reopened.checkin.completed_at == later(3)  # kept while reopened for edits
    again = await step(reopened.checkin, status=CheckInStatus.COMPLETED, minutes=6)
    assert (again.checkin.completed_at, again.checkin.started_at) == (later(6), later(2))
    assert again.checkin.version == 7


async def test_unknown_check_in_is_not_found(db: str) -> None:
    with pytest.raises(storage.NotFound):
        await storage.save_step(
            404,
            expected_version=1,
            state=INITIAL_STATE,
            status="in_progress",
            answers=[],
            channel="slack",
            actor="x",
            now=NOW,
        )


async def test_naive_times_are_refused(checkin: CheckIn) -> None:
    with pytest.raises(ValueError, match="no timezone"):
        await storage.save_step(
            checkin.id,
            expected_version=1,
            state={},
            status="in_progress",
            answers=[],
            channel="slack",
            actor="x",
            now=NOW.replace(tzinfo=None),
        )
