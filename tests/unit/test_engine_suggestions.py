"""The engine offers the forms' figures and records which answer was used."""

from __future__ import annotations

from conversations import engine
from conversations.framework import load_builtin
from conversations.state import Ask, EngineOptions, Invalid, Reply, SessionState, Status, Suggestion

FW = load_builtin("social_cohesion_v1")
SOURCE = "From your 39 follow-up forms: 33 of 39 agree that ..."
OPTIONS = EngineOptions(suggestions={"P1": Suggestion({"x": 33, "n": 39}, SOURCE)})


def _at_p1() -> SessionState:
    answers = {"O1": 4, "O2": 60, "O3": 40, "O4": 10, "O5": 3, "O6": 2, "O7": "p10_24", "O8": 5}
    answers["O8F"] = 39
    return SessionState(FW.key, Status.IN_PROGRESS, "P1", answers, frozenset({"O5H"}))


def test_the_question_asked_carries_the_offer() -> None:
    answers = {k: v for k, v in _at_p1().answers.items() if k != "O8F"}
    state = _at_p1().with_(current="O8F", answers=answers)
    moved = engine.offer(engine.advance(FW, state, Reply("39"), OPTIONS), OPTIONS)
    asked = [p for p in moved.prompts if isinstance(p, Ask)]
    assert asked[-1].question_id == "P1"
    assert asked[-1].suggestion == OPTIONS.suggestions["P1"]


def test_yes_takes_the_offered_figures_and_says_so() -> None:
    for word in ("yes", "Use these figures.", "ok"):
        moved = engine.advance(FW, _at_p1(), Reply(word), OPTIONS)
        (event,) = moved.answers
        assert event.value == {"x": 33, "n": 39}
        assert event.raw_text == "accepted from forms: " + SOURCE


def test_typed_figures_win_and_are_recorded_as_typed() -> None:
    moved = engine.advance(FW, _at_p1(), Reply("30 of 35"), OPTIONS)
    (event,) = moved.answers
    assert (event.value, event.raw_text) == ({"x": 30, "n": 35}, "30 of 35")


def test_offered_figures_pass_the_same_checks_as_typed_ones() -> None:
    state = _at_p1().with_(answers={**_at_p1().answers, "O8F": 20})  # fewer forms than n
    moved = engine.advance(FW, state, Reply("yes"), OPTIONS)
    assert not moved.answers
    assert isinstance(moved.prompts[-1], Invalid)
    assert "can't be more than the follow-up forms collected (20)" in moved.prompts[-1].reason


def test_without_an_offer_yes_is_not_an_answer() -> None:
    moved = engine.advance(FW, _at_p1(), Reply("yes"))
    assert not moved.answers
    assert isinstance(moved.prompts[-1], Invalid)
