"""The participant form from the framework, reading filled-in forms, codes, figures and change."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from conversations.business_case import cost_per_participant, wellbeing_value
from conversations.errors import FrameworkError
from conversations.framework import Framework, load_builtin
from conversations.participant_bursts import Arrival, answers_signature, to_hold
from conversations.participant_change import (
    CodedAnswer,
    paired_changes,
    t_critical,
    unpaired_changes,
)
from conversations.participant_figures import AnswerCount, figures_from_counts
from conversations.participant_forms import (
    Submission,
    SubmissionProblems,
    form_layout,
    normalise_code,
    pairing_key,
    read_submission,
)

FW = load_builtin("social_cohesion_v1")


def test_every_item_quotes_the_question_it_fills_word_for_word() -> None:
    for item in FW.participant_items:
        assert f'"{item.wording}"' in FW.question(item.fills).prompt, item.id


def test_the_official_scales_match_the_grantee_help_text() -> None:
    # P1's help lists the official answers; the form must print the same four
    get_on_well = next(i for i in FW.participant_items if i.fills == "P1")
    labels = [o.label for o in get_on_well.options]
    assert labels == [
        "Definitely agree",
        "Tend to agree",
        "Tend to disagree",
        "Definitely disagree",
    ]
    lonely = next(i for i in FW.participant_items if i.fills == "P6")
    assert [o.label for o in lonely.options] == [
        "Often/always", "Some of the time", "Occasionally", "Hardly ever", "Never",
    ]  # fmt: skip


def test_baseline_leaves_out_the_project_attribution_item() -> None:
    baseline = form_layout(FW, "baseline")
    follow_up = form_layout(FW, "follow_up")
    assert "met_people" not in {i.id for i in baseline.items}
    assert [i.id for i in follow_up.items][-1] == "met_people"
    assert len(follow_up.items) == len(baseline.items) + 1
    assert "not collect your name" in baseline.form.statement


def test_a_framework_whose_item_fills_a_missing_question_is_refused() -> None:
    data = FW.model_dump(mode="json")
    data["participant_items"][0]["fills"] = "P99"
    with pytest.raises(ValueError, match="fills 'P99', which is not a question"):
        Framework.model_validate(data)


def test_a_score_must_fill_a_number_question() -> None:
    data = FW.model_dump(mode="json")
    score = next(i for i in data["participant_items"] if i["kind"] == "score")
    score["fills"] = "P1"
    data["participant_items"][0]["fills"] = "P7"
    with pytest.raises(ValueError, match="a score fills a number question"):
        Framework.model_validate(data)


def test_a_framework_without_a_form_has_no_layout() -> None:
    data = FW.model_dump(mode="json")
    data["participant_items"] = []
    data["participant_form"] = None
    with pytest.raises(FrameworkError, match="no participant form"):
        form_layout(Framework.model_validate(data), "baseline")


@pytest.mark.parametrize(
    ("typed", "code"),
    [("ma07le", "MA07LE"), (" Má 07-le ", "MA07LE"), ("", None), ("  - ", None)],
)
def test_codes_are_normalised(typed: str, code: str | None) -> None:
    assert normalise_code(typed) == code


def test_a_pairing_key_differs_by_grantee_and_hides_the_code() -> None:
    one = pairing_key("MA07LE", "grantee:1")
    assert one == pairing_key("MA07LE", "grantee:1")
    assert one != pairing_key("MA07LE", "grantee:2")
    assert "MA07LE" not in one and len(one) == 64


def test_a_paper_form_keyed_by_position_or_label_is_read() -> None:
    layout = form_layout(FW, "follow_up")
    read = read_submission(
        layout,
        {
            "get_on_well": "2",
            "belong": "very strongly",
            "life_satisfaction": "08",
            "code": "ma07le",
        },
    )
    assert isinstance(read, Submission)
    assert read.answers == {
        "get_on_well": "tend_to_agree",
        "belong": "very_strongly",
        "life_satisfaction": "8",
    }
    assert read.code == "MA07LE"


def test_wrong_answers_are_explained_and_nothing_is_taken() -> None:
    layout = form_layout(FW, "baseline")
    read = read_submission(
        layout, {"get_on_well": "maybe", "life_satisfaction": "11", "met_people": "1", "code": "X"}
    )
    assert isinstance(read, SubmissionProblems)
    assert read.problems["get_on_well"].startswith("Choose one of: Definitely agree, Tend to")
    assert (
        read.problems["life_satisfaction"] == "Give a whole number from 0 to 10, or leave it blank."
    )
    assert "4 to 16 letters and numbers" in read.problems["code"]
    assert read.problems["form"] == "This form has no question met_people."


def test_an_empty_form_is_refused() -> None:
    read = read_submission(form_layout(FW, "baseline"), {"code": ""})
    assert isinstance(read, SubmissionProblems)
    assert "empty" in read.problems["form"]


def _counts() -> list[AnswerCount]:
    return [
        AnswerCount("follow_up", "get_on_well", "definitely_agree", 20),
        AnswerCount("follow_up", "get_on_well", "tend_to_agree", 13),
        AnswerCount("follow_up", "get_on_well", "tend_to_disagree", 6),
        AnswerCount("follow_up", "life_satisfaction", "8", 10),
        AnswerCount("follow_up", "life_satisfaction", "5", 10),
        AnswerCount("baseline", "get_on_well", "tend_to_agree", 10),
        AnswerCount("baseline", "get_on_well", "definitely_disagree", 10),
        AnswerCount("follow_up", "retired_item", "x", 99),
    ]


def test_figures_count_the_named_answers_and_average_the_scores() -> None:
    figures = figures_from_counts(FW, _counts(), {"follow_up": 39, "baseline": 20}, held=3)
    p1 = figures.follow_up["get_on_well"]
    assert (p1.counted, p1.respondents) == (33, 39)
    assert figures.follow_up["life_satisfaction"].mean == 6.5
    assert "retired_item" not in figures.follow_up
    offered = figures.suggested_answers(FW)
    assert offered["P1"].value == {"x": 33, "n": 39}
    assert offered["P1"].source.startswith("From your 39 follow-up forms: 33 of 39 agree that")
    assert offered["P7"].value == 6.5 and offered["P7N"].value == 20
    assert offered["O8"].value == 20 and offered["O8F"].value == 39
    assert "P2" not in offered  # nobody answered it


def test_unpaired_levels_are_labelled_weaker() -> None:
    figures = figures_from_counts(FW, _counts(), {"follow_up": 39, "baseline": 20}, held=0)
    change = unpaired_changes(FW, figures)["get_on_well"]
    assert (change.baseline, round(change.follow_up, 1)) == (50.0, 84.6)
    assert "weaker evidence" in change.evidence


def test_paired_change_counts_movers_and_gives_an_interval() -> None:
    answers = []
    for person, (before, after) in enumerate([(5, 7), (6, 6), (7, 6), (4, 8), (5, 6)]):
        key = f"k{person}"
        answers.append(CodedAnswer(key, "baseline", "life_satisfaction", str(before)))
        answers.append(CodedAnswer(key, "follow_up", "life_satisfaction", str(after)))
    answers.append(CodedAnswer("alone", "follow_up", "life_satisfaction", "9"))  # no pair
    change = paired_changes(FW, answers)["life_satisfaction"]
    assert (change.pairs, change.better, change.same, change.worse) == (5, 3, 1, 1)
    assert change.mean_change == pytest.approx(1.2)
    # differences 2, 0, -1, 4, 1: sd 1.924, t(4) = 2.776
    assert change.ci_low == pytest.approx(1.2 - 2.776 * 1.9235 / 5**0.5, abs=1e-3)
    assert change.ci_high == pytest.approx(1.2 + 2.776 * 1.9235 / 5**0.5, abs=1e-3)


def test_paired_change_on_a_lower_is_better_item() -> None:
    answers = [
        CodedAnswer("a", "baseline", "lonely", "often_always"),
        CodedAnswer("a", "follow_up", "lonely", "hardly_ever"),
        CodedAnswer("b", "baseline", "lonely", "never"),
        CodedAnswer("b", "follow_up", "lonely", "often_always"),
        CodedAnswer("c", "baseline", "lonely", "never"),
        CodedAnswer("c", "follow_up", "lonely", "never"),
    ]
    change = paired_changes(FW, answers)["lonely"]
    assert (change.better, change.same, change.worse) == (1, 1, 1)
    assert change.mean_change is None


def test_t_critical_values() -> None:
    assert t_critical(4) == 2.776
    assert t_critical(35) == 2.042  # rounds df down: a wider interval, never a narrower one
    assert t_critical(500) == 1.96


def test_wellbeing_value_states_its_assumptions_and_shows_no_unconfirmed_money() -> None:
    answers = []
    for person in range(10):
        answers.append(CodedAnswer(f"p{person}", "baseline", "life_satisfaction", "5"))
        answers.append(
            CodedAnswer(f"p{person}", "follow_up", "life_satisfaction", str(6 + person % 2))
        )
    change = paired_changes(FW, answers)["life_satisfaction"]
    value = wellbeing_value(change)
    assert value is not None
    assert value.wellbys == pytest.approx(1.5 * 0.5 * 0.8 * 10)
    assert "50% of the change is due to the project (attribution)" in value.assumptions
    assert "20% would have happened anyway (deadweight)" in value.assumptions
    assert value.money is None and "could not be confirmed" in value.money_note


def test_cost_per_participant() -> None:
    assert cost_per_participant(12_000, 48) == 250
    assert cost_per_participant(None, 48) is None
    assert cost_per_participant(12_000, 0) is None


T0 = datetime(2026, 12, 1, 18, 0, tzinfo=UTC)


def _sig(answers: dict[str, str]) -> str:
    return answers_signature(answers)


def test_signatures_match_exactly_equal_answers() -> None:
    assert _sig({"a": "1", "b": "2"}) == _sig({"b": "2", "a": "1"})
    assert _sig({"a": "1", "b": "2"}) != _sig({"a": "1", "b": "3"})
    assert _sig({"a": "1=b"}) != _sig({"a": "1", "b": ""})


def test_a_burst_from_one_address_is_held_in_full() -> None:
    arrivals = [
        Arrival(i, T0 + timedelta(seconds=10 * i), "addr-1", _sig({"belong": str(i)}), 1)
        for i in range(8)
    ]
    arrivals.append(Arrival(100, T0, "addr-2", _sig({"belong": "x"}), 1))
    assert to_hold(arrivals) == frozenset(range(8))


def test_identical_forms_from_many_addresses_are_held() -> None:
    same = {"get_on_well": "definitely_agree", "belong": "very_strongly", "lonely": "never"}
    arrivals = [Arrival(i, T0 + timedelta(seconds=i), f"addr-{i}", _sig(same), 3) for i in range(6)]
    assert to_hold(arrivals) == frozenset(range(6))


def test_short_forms_alike_by_chance_are_not_held() -> None:
    same = {"get_on_well": "definitely_agree"}
    arrivals = [Arrival(i, T0 + timedelta(seconds=i), f"addr-{i}", _sig(same), 1) for i in range(9)]
    assert to_hold(arrivals) == frozenset()


def test_ordinary_arrivals_are_not_held() -> None:
    arrivals = [
        Arrival(i, T0 + timedelta(minutes=3 * i), "addr-1", _sig({"belong": str(i)}), 1)
        for i in range(20)
    ]
    assert to_hold(arrivals) == frozenset()


def test_the_report_gives_cost_per_participant_and_labels_its_evidence() -> None:
    from bot.participants.report import describe

    figures = figures_from_counts(FW, _counts(), {"follow_up": 39, "baseline": 20}, held=2)
    lines = list(describe(FW, figures, {}, grant_amount=12_000, participants_count=48))
    assert lines[0] == "Forms: 20 baseline, 39 follow-up."
    assert lines[1].startswith("2 forms are held because they arrived like an automated burst")
    assert "Cost per participant: £250 (grant £12,000, 48 participants)." in lines
    assert any(
        line.startswith("P1 levels: 50.0% at baseline, 84.6% at follow-up (unpaired")
        for line in lines
    )
    assert not any("WELLBY" in line for line in lines)  # no paired life satisfaction change
