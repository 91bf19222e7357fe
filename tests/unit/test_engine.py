"""Table-driven tests of the pure conversation engine on a small framework."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from conversations import engine
from conversations.framework import Framework, load_framework
from conversations.state import (
    Ask,
    Completed,
    EngineOptions,
    Help,
    Invalid,
    Notice,
    NoticeKind,
    Paused,
    Prompt,
    Recorded,
    Reply,
    Review,
    SessionState,
    SkippedNote,
    Status,
    Stopped,
    Transition,
    Welcome,
)

MINI = Path(__file__).parent.parent / "data" / "mini_framework.toml"
ALL_ANSWERS = ["12", "40", "10", "30", "20", "15 of 20", "1", "We started a choir."]


@pytest.fixture(scope="module")
def fw() -> Framework:
    return load_framework(MINI)


@dataclass
class Run:
    """A conversation driven reply by reply, keeping every transition."""

    fw: Framework
    options: EngineOptions = field(default_factory=EngineOptions)
    steps: list[Transition] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.steps.append(engine.start(self.fw, engine.new_state(self.fw), self.options))

    @property
    def state(self) -> SessionState:
        return self.steps[-1].state

    @property
    def last(self) -> tuple[Prompt, ...]:
        return self.steps[-1].prompts

    def say(self, *replies: str | Reply) -> Run:
        for reply in replies:
            message = reply if isinstance(reply, Reply) else Reply(reply)
            self.steps.append(engine.advance(self.fw, self.state, message, self.options))
        return self

    def events(self) -> list[tuple[str, object, bool]]:
        return [(a.question_id, a.value, a.skipped) for t in self.steps for a in t.answers]


def asked(prompts: tuple[Prompt, ...]) -> str | None:
    return next((p.question_id for p in prompts if isinstance(p, Ask)), None)


def notice(prompts: tuple[Prompt, ...]) -> NoticeKind | None:
    return next((p.kind for p in prompts if isinstance(p, Notice)), None)


def test_start_welcomes_and_asks_the_first_question(fw: Framework) -> None:
    run = Run(fw)
    welcome, ask = run.last
    assert isinstance(welcome, Welcome) and welcome.total == 7  # AG does not apply yet
    assert isinstance(ask, Ask) and ask.question_id == "S" and ask.section_start
    assert run.state.status is Status.IN_PROGRESS


def test_full_check_in_reaches_review_then_completes(fw: Framework) -> None:
    run = Run(fw).say(*ALL_ANSWERS)
    assert run.state.status is Status.REVIEWING
    review = run.last[-1]
    assert isinstance(review, Review) and not review.completed
    assert [(i.question_id, i.display) for i in review.items][:2] == [
        ("S", "12 sessions"),
        ("P", "40 participants"),
    ]
    run.say("submit")
    assert run.state.status is Status.COMPLETED
    assert run.state.answers == {
        "S": 12,
        "P": 40,
        "F": 10,
        "V": 30,
        "FORMS": 20,
        "AG": {"x": 15, "n": 20},
        "MOOD": "better",
        "STORY": "We started a choir.",
    }
    assert isinstance(run.last[0], Completed) and run.last[0].answered == 8


@pytest.mark.parametrize(
    ("reply", "stored"),
    [
        ("12", 12),
        ("12 sessions", 12),
        ("1,200", 1200),
        ("  7. ", 7),
        ("twelve", 12),
    ],
)
def test_natural_count_answers_are_understood(fw: Framework, reply: str, stored: int) -> None:
    run = Run(fw).say(reply)
    assert run.state.answers["S"] == stored
    assert asked(run.last) == "P"


@pytest.mark.parametrize("reply", ["lots", "-3", "2.5", ""])
def test_invalid_answer_is_reprompted_with_an_example_and_not_stored(
    fw: Framework, reply: str
) -> None:
    run = Run(fw).say(reply)
    (invalid,) = run.last
    assert isinstance(invalid, Invalid) and invalid.question_id == "S"
    assert "sessions" in invalid.reason or "answer" in invalid.reason
    assert "S" not in run.state.answers and run.state.current == "S"
    assert run.steps[-1].answers == ()


def test_repeated_invalid_answers_offer_a_way_out(fw: Framework) -> None:
    run = Run(fw).say("lots", "many")
    assert isinstance(run.last[0], Invalid) and not run.last[0].offer_way_out
    run.say("loads")
    assert isinstance(run.last[0], Invalid) and run.last[0].offer_way_out
    run.say("5")
    assert run.state.invalid_attempts == 0 and run.state.answers["S"] == 5


def test_cross_question_rule_rejects_and_names_both_numbers(fw: Framework) -> None:
    run = Run(fw).say("12", "40", "50")
    (invalid,) = run.last
    assert isinstance(invalid, Invalid)
    assert "First-timers (50) can't be more than participants (40)." in invalid.reason
    assert "edit 2" in invalid.reason
    assert "F" not in run.state.answers


def test_rule_is_checked_when_the_other_side_is_edited(fw: Framework) -> None:
    run = Run(fw).say("12", "40", "30", "edit 2", "20")
    assert isinstance(run.last[0], Invalid) and "(30)" in run.last[0].reason
    assert run.state.answers["P"] == 40


def test_skip_optional_question_is_recorded_as_skipped(fw: Framework) -> None:
    run = Run(fw).say("12", "40", "10", "skip")
    assert isinstance(run.last[0], SkippedNote) and run.last[0].question_id == "V"
    assert "V" in run.state.skipped and asked(run.last) == "FORMS"
    assert ("V", None, True) in run.events()


def test_skip_required_question_is_refused_and_changes_nothing(fw: Framework) -> None:
    run = Run(fw).say("skip")
    assert notice(run.last) is NoticeKind.CANNOT_SKIP
    assert asked(run.last) == "S" and run.state.skipped == frozenset()


def test_back_shows_the_previous_answer_and_a_new_answer_replaces_it(fw: Framework) -> None:
    run = Run(fw).say("12", "40", "back")
    ask = run.last[0]
    assert isinstance(ask, Ask) and ask.question_id == "P" and ask.current == "40 participants"
    run.say("back", "14")
    recorded = run.last[0]
    assert isinstance(recorded, Recorded) and recorded.changed_from == "12 sessions"
    assert asked(run.last) == "F"  # carries on at the first unanswered question
    assert run.state.answers["S"] == 14


def test_back_on_the_first_question_says_so(fw: Framework) -> None:
    run = Run(fw).say("back")
    assert notice(run.last) is NoticeKind.NOTHING_BEFORE and asked(run.last) == "S"


def test_edit_from_review_returns_to_review(fw: Framework) -> None:
    run = Run(fw).say(*ALL_ANSWERS, "edit 1")
    assert asked(run.last) == "S"
    run.say("13")
    assert run.state.status is Status.REVIEWING and isinstance(run.last[-1], Review)
    assert run.state.answers["S"] == 13


def test_edit_accepts_a_question_id(fw: Framework) -> None:
    run = Run(fw).say(*ALL_ANSWERS, "edit mood")
    assert asked(run.last) == "MOOD"


def test_edit_of_unknown_question_explains(fw: Framework) -> None:
    run = Run(fw).say(*ALL_ANSWERS, "edit 42")
    assert notice(run.last) is NoticeKind.NO_SUCH_QUESTION


def test_later_pauses_and_the_next_message_resumes_without_being_taken_as_answer(
    fw: Framework,
) -> None:
    run = Run(fw).say("12", "later")
    assert run.state.status is Status.PAUSED and isinstance(run.last[0], Paused)
    run.say("40")
    assert run.state.status is Status.IN_PROGRESS and asked(run.last) == "P"
    assert "P" not in run.state.answers


def test_stop_is_reversible_with_start(fw: Framework) -> None:
    run = Run(fw).say("12", "stop")
    assert run.state.status is Status.STOPPED and isinstance(run.last[0], Stopped)
    run.say("40")
    assert notice(run.last) is NoticeKind.STOPPED_ALREADY and "P" not in run.state.answers
    run.say("start")
    assert run.state.status is Status.IN_PROGRESS and asked(run.last) == "P"


def test_condition_hides_question_until_it_applies(fw: Framework) -> None:
    run = Run(fw).say("12", "40", "10", "skip", "0")
    assert asked(run.last) == "MOOD"
    run2 = Run(fw).say("12", "40", "10", "skip", "5")
    assert asked(run2.last) == "AG"


def test_proportion_respondents_checked_against_forms(fw: Framework) -> None:
    run = Run(fw).say("12", "40", "10", "skip", "5", "4 of 8")
    assert isinstance(run.last[0], Invalid)
    assert "Respondents (8) can't be more than forms collected (5)." in run.last[0].reason


def test_answer_that_no_longer_applies_is_withdrawn(fw: Framework) -> None:
    run = Run(fw).say(*ALL_ANSWERS, "edit FORMS", "0")
    assert "AG" not in run.state.answers
    assert ("AG", None, True) in run.events()
    assert run.state.status is Status.REVIEWING
    review = run.last[-1]
    assert isinstance(review, Review) and "AG" not in [i.question_id for i in review.items]


def test_completed_check_in_can_be_edited_while_round_is_open(fw: Framework) -> None:
    run = Run(fw).say(*ALL_ANSWERS, "submit", "edit 3", "8")
    assert run.state.status is Status.COMPLETED and run.state.answers["F"] == 8
    assert isinstance(run.last[-1], Completed) and run.last[-1].edited
    assert run.steps[-1].answers[0].value == 8


def test_completed_check_in_cannot_be_edited_after_round_closes(fw: Framework) -> None:
    run = Run(fw).say(*ALL_ANSWERS, "submit")
    run.options = EngineOptions(round_open=False)
    run.say("edit 3")
    assert notice(run.last) is NoticeKind.ROUND_CLOSED and run.state.current is None


def test_closed_round_refuses_answers_to_unfinished_check_in(fw: Framework) -> None:
    run = Run(fw).say("12")
    run.options = EngineOptions(round_open=False)
    run.say("40")
    assert notice(run.last) is NoticeKind.ROUND_CLOSED and "P" not in run.state.answers


def test_edit_that_makes_new_questions_apply_reopens_until_answered(fw: Framework) -> None:
    answers = ["12", "40", "10", "30", "0", "1", "Story."]
    run = Run(fw).say(*answers, "submit", "edit FORMS", "10")
    assert run.state.status is Status.IN_PROGRESS and asked(run.last) == "AG"
    run.say("5 of 10", "submit")
    assert run.state.status is Status.COMPLETED


def test_stale_button_changes_nothing(fw: Framework) -> None:
    run = Run(fw).say("12")
    run.say(Reply("3", question_id="S", strict=True))
    assert notice(run.last) is NoticeKind.STALE_BUTTON
    assert run.state.answers == {"S": 12} and asked(run.last) == "P"


def test_button_for_current_question_is_an_answer(fw: Framework) -> None:
    run = Run(fw).say("12", "40", "10", "skip", "0", Reply("3", question_id="MOOD", strict=True))
    assert run.state.answers["MOOD"] == "worse"


def test_answer_aimed_at_another_question_keeps_the_current_one_open(fw: Framework) -> None:
    run = Run(fw).say("12", Reply("25", question_id="V"))
    assert run.state.answers == {"S": 12, "V": 25}
    assert asked(run.last) == "P"


@pytest.mark.parametrize(
    ("reply", "value"), [("2", "same"), ("wor", "worse"), ("Better", "better")]
)
def test_choice_by_number_label_or_prefix(fw: Framework, reply: str, value: str) -> None:
    run = Run(fw).say("12", "40", "10", "skip", "0", reply)
    assert run.state.answers["MOOD"] == value


def test_help_explains_and_asks_again(fw: Framework) -> None:
    run = Run(fw).say("help")
    assert isinstance(run.last[0], Help) and run.last[0].question_id == "S"
    assert asked(run.last) == "S"


def test_command_words_inside_a_text_answer_are_an_answer(fw: Framework) -> None:
    run = Run(fw).say(*ALL_ANSWERS[:-1], "stop the rumours spreading")
    assert run.state.answers["STORY"] == "stop the rumours spreading"


def test_yes_is_an_answer_outside_the_review(fw: Framework) -> None:
    run = Run(fw).say("yes")
    assert isinstance(run.last[0], Invalid)  # "yes" is not a number of sessions


def test_same_answer_again_records_no_change(fw: Framework) -> None:
    run = Run(fw).say("12", "back", "12")
    assert [e for e in run.events() if e[0] == "S"] == [("S", 12, False)]


def test_state_survives_json_round_trip(fw: Framework) -> None:
    run = Run(fw).say("12", "40", "10", "skip", "later")
    restored = SessionState.from_json(run.state.to_json())
    assert restored == run.state
    resumed = engine.advance(fw, restored, Reply("resume"))
    assert asked(resumed.prompts) == "FORMS"


def test_where_shows_current_position_without_changing_it(fw: Framework) -> None:
    run = Run(fw).say("12")
    (ask,) = engine.where(fw, run.state)
    assert isinstance(ask, Ask) and ask.question_id == "P"
