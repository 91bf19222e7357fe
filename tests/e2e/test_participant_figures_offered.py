"""Forms stored through the repository feed a grantee's check-in: figures offered, then recorded."""

from __future__ import annotations

from datetime import timedelta

import storage
from bot.conversation.dispatcher import Dispatcher
from bot.conversation.frameworks import framework_for
from bot.participants.intake import Taken, take_form
from conversations.state import SessionState
from storage.participants import reported_count
from storage.records import CheckInContext
from tests.e2e.test_dispatcher import NOW, Clock, Screen, make_dispatcher, opened, said


async def _store_forms(context: CheckInContext) -> None:
    """39 follow-up forms keyed from paper (33 agree on P1), 4 baselines, and life scores."""
    fw = framework_for(context.programme)
    for n in range(39):
        fields = {
            "get_on_well": "tend_to_agree" if n < 33 else "definitely_disagree",
            "life_satisfaction": str(6 + n % 3),  # 6, 7, 8 in turn: mean 7.0
        }
        taken = await take_form(
            fw,
            grantee_id=context.grantee.id,
            period=context.round.period,
            kind="follow_up",
            channel="keyed",
            fields=fields,
            now=NOW + timedelta(seconds=n),
        )
        assert isinstance(taken, Taken) and not taken.held
    for n in range(4):
        await take_form(
            fw,
            grantee_id=context.grantee.id,
            period=context.round.period,
            kind="baseline",
            channel="paper",
            fields={"get_on_well": "tend_to_disagree"},
            now=NOW + timedelta(minutes=5, seconds=n),
        )


async def _reply_until(
    dispatcher: Dispatcher, context: CheckInContext, screen: Screen, question: str, start: int
) -> int:
    """Answer each question with a plain value until `question` is being asked."""
    fw = framework_for(context.programme)
    replies = {"count": "10", "choice": "1", "number": "7", "proportion": "skip"}
    n = start
    while True:
        current = await storage.get_checkin(context.checkin.id)
        state = SessionState.from_json(current.state)
        if state.current == question:
            return n
        assert state.current is not None, screen.last
        kind = fw.question(state.current).kind
        text = replies[kind]
        if state.current in ("O8", "O8F"):
            text = "yes"  # take the stored counts of forms
        n += 1
        await dispatcher.handle(context.checkin.id, said(text, n))


async def test_figures_from_forms_are_offered_accepted_and_recorded(
    opened: CheckInContext,
) -> None:
    await _store_forms(opened)
    screen, clock = Screen(), Clock()
    dispatcher = make_dispatcher(screen, clock)
    await dispatcher.start(opened.checkin.id, "console", "test")
    n = await _reply_until(dispatcher, opened, screen, "P1", 0)
    assert (
        "From your 39 follow-up forms: 33 of 39 agree that this local area is a place where "
        "people from different backgrounds get on well together. Use these figures?"
    ) in screen.last
    await dispatcher.handle(opened.checkin.id, said("yes", n + 1))
    stored = {a.question_id: a for a in await storage.answers_for_checkin(opened.checkin.id)}
    assert stored["O8"].value == 4
    assert stored["O8F"].value == 39
    assert stored["P1"].value == {"x": 33, "n": 39}
    assert stored["P1"].raw_text.startswith("accepted from forms: From your 39 follow-up forms")
    assert "33 of 39" in screen.last  # the review or the next question confirms it
    # the unique participants given (O3) are what cost per participant divides by
    assert await reported_count(opened.grantee.id, opened.round.period, "O3") == 10
    assert await reported_count(opened.grantee.id, "another period", "O3") is None


async def test_a_grantee_can_type_their_own_figures_instead(opened: CheckInContext) -> None:
    await _store_forms(opened)
    screen, clock = Screen(), Clock()
    dispatcher = make_dispatcher(screen, clock)
    await dispatcher.start(opened.checkin.id, "console", "test")
    n = await _reply_until(dispatcher, opened, screen, "P1", 0)
    await dispatcher.handle(opened.checkin.id, said("30 of 35", n + 1))
    n = await _reply_until(dispatcher, opened, screen, "P7N", n + 1)
    assert "39 answered" in screen.last
    await dispatcher.handle(opened.checkin.id, said("yes", n + 1))
    assert "the average life satisfaction, 0 to 10 was 7.0 (39 answers)" in screen.last
    await dispatcher.handle(opened.checkin.id, said("yes", n + 2))
    stored = {a.question_id: a for a in await storage.answers_for_checkin(opened.checkin.id)}
    assert stored["P1"].value == {"x": 30, "n": 35}
    assert stored["P1"].raw_text == "30 of 35"  # typed: recorded as typed
    assert stored["P7N"].value == 39
    assert stored["P7"].value == 7.0
    assert stored["P7"].raw_text.startswith("accepted from forms:")


async def test_without_forms_nothing_is_offered(opened: CheckInContext) -> None:
    screen, clock = Screen(), Clock()
    dispatcher = make_dispatcher(screen, clock)
    await dispatcher.start(opened.checkin.id, "console", "test")
    await _reply_until(dispatcher, opened, screen, "O8", 0)
    assert "How many baseline (entry) feedback forms" in screen.last
    assert all("Use these figures?" not in m for m in screen.messages)


__all__ = ["opened"]  # the fixture, used by name
