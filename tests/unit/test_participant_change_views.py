"""Change from participants' forms as a grantee reads it, and pooled for funders under the rules."""

from __future__ import annotations

import math
import statistics
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conversations.business_case import Assumptions, wellbys_for
from conversations.change_summary import item_change, participant_change, signed
from conversations.framework import load_builtin
from conversations.participant_change import (
    CodedAnswer,
    Move,
    changes_from_moves,
    paired_changes,
    t_critical,
)
from conversations.participant_figures import AnswerCount, figures_from_counts

FW = load_builtin("social_cohesion_v1")
ITEMS = {i.id: i for i in FW.participant_items}
LIFE = ITEMS["life_satisfaction"]


def pairs_of(item_id: str, values: list[tuple[str, str]], prefix: str = "p") -> list[CodedAnswer]:
    answers = []
    for n, (before, after) in enumerate(values):
        answers.append(CodedAnswer(f"{prefix}{n}", "baseline", item_id, before))
        answers.append(CodedAnswer(f"{prefix}{n}", "follow_up", item_id, after))
    return answers


def life(diffs: list[int], prefix: str = "p") -> list[CodedAnswer]:
    return pairs_of("life_satisfaction", [("5", str(5 + d)) for d in diffs], prefix)


def test_signed_changes_round_half_up_and_never_show_minus_zero() -> None:
    assert signed(0.85) == "+0.9"
    assert signed(-1.25) == "-1.3"
    assert signed(-0.04) == "0.0"
    assert signed(0.125, 2) == "+0.13"


def test_a_grantee_reads_movers_on_a_choice_with_what_better_means() -> None:
    moves = [("tend_to_disagree", "tend_to_agree")] * 14
    moves += [("tend_to_agree", "tend_to_agree")] * 8
    moves += [("tend_to_agree", "definitely_disagree")] * 2
    change = paired_changes(FW, pairs_of("get_on_well", moves))["get_on_well"]
    shown = item_change(ITEMS["get_on_well"], change, FW)
    assert shown.question_id == "P1" and shown.shown and shown.indicative
    assert shown.sentence == (
        "Among the same 24 people (fewer than 30 people: indicative only): 14 better, 8 the "
        "same, 2 worse (better means moving into \u201cagree\u201d)."
    )


def test_loneliness_counts_moving_out_of_often_or_always_as_better() -> None:
    moves = [("often_always", "never")] * 7 + [("never", "often_always")] * 3
    change = paired_changes(FW, pairs_of("lonely", moves))["lonely"]
    shown = item_change(ITEMS["lonely"], change, FW)
    assert (shown.better, shown.worse) == (7, 3)
    assert "better means moving out of \u201coften or always lonely\u201d" in shown.sentence


def test_fewer_than_ten_people_paired_show_no_change() -> None:
    change = paired_changes(FW, life([1] * 9))["life_satisfaction"]
    shown = item_change(LIFE, change, FW)
    assert not shown.shown and shown.interval is None
    assert shown.sentence == "9 people filled in both forms: fewer than 10, so no change is shown."


def test_life_satisfaction_change_is_called_only_beyond_sampling_noise() -> None:
    rose = paired_changes(FW, life([1, 1, 2, 0, 1] * 8))["life_satisfaction"]
    up = item_change(LIFE, rose, FW)
    assert up.interval is not None and up.interval.low > 0 and not up.indicative
    assert "32 better, 8 the same, 0 worse" in up.sentence
    assert "on average up 1.0 points (95% interval +0.8 to +1.2), which is better." in up.sentence
    still = paired_changes(FW, life([2, -2, 1, -1, 0] * 2))["life_satisfaction"]
    noise = item_change(LIFE, still, FW)
    assert noise.sentence.endswith(
        "on average 0.0 points (95% interval -1.1 to +1.1): about the same, within sampling noise."
    )


def test_unpaired_levels_are_shown_only_where_no_paired_change_is_and_labelled_weaker() -> None:
    moves = [("tend_to_disagree", "tend_to_agree")] * 12
    paired = paired_changes(FW, pairs_of("get_on_well", moves) + life([1] * 4, "q"))
    counts = [
        AnswerCount("baseline", "get_on_well", "tend_to_agree", 10),
        AnswerCount("baseline", "get_on_well", "tend_to_disagree", 10),
        AnswerCount("follow_up", "get_on_well", "tend_to_agree", 30),
        AnswerCount("baseline", "life_satisfaction", "3", 20),
        AnswerCount("follow_up", "life_satisfaction", "8", 30),
        AnswerCount("baseline", "belong", "very_strongly", 5),
        AnswerCount("follow_up", "belong", "very_strongly", 40),
    ]
    figures = figures_from_counts(FW, counts, {"baseline": 20, "follow_up": 30}, held=2)
    found = participant_change(FW, paired, figures)
    assert found is not None
    assert [c.question_id for c in found.paired] == ["P1", "P7"]  # P7: only 4 people paired
    by_id = {c.question_id: c.sentence for c in found.unpaired}
    assert "P1" not in by_id  # the paired change is shown: the weaker comparison is not
    assert by_id["P7"] == (
        "3.0 on 20 baseline forms and 8.0 on 30 follow-up forms (fewer than 30 forms on one "
        "side: indicative only): up 5.0 points, which is better (unpaired: different people "
        "may have answered each time, so this is weaker evidence)."
    )
    assert by_id["P2"].startswith("5 baseline and 40 follow-up forms answered: fewer than 10")
    assert found.held is not None and found.held.startswith("2 online forms held")
    assert "weaker evidence" in found.unpaired_note


def test_business_case_gives_cost_and_wellbys_with_interval_and_no_money() -> None:
    paired = paired_changes(FW, life([1, 1, 2, 0, 1] * 4))
    found = participant_change(FW, paired, None, grant_amount=12_500.5, participants=50)
    assert found is not None
    cost, wellbeing, money = found.business
    assert cost == (
        "Cost per participant: \u00a3250 (your grant of \u00a312,501 over the 50 unique "
        "participants you reported this period)."
    )
    # mean 1.0 over 20 people, x 50% attribution x (1 - 20% deadweight) x 1 year
    assert wellbeing.startswith("Wellbeing: 8.0 WELLBYs (95% interval ")
    assert "for the 20 people paired, +0.40 each." in wellbeing
    assert "Assumes 50% of the change is due to the project (attribution)" in wellbeing
    assert "could not be confirmed" in money and "\u00a3" not in money
    too_few = participant_change(FW, paired_changes(FW, life([1] * 9)), None)
    assert too_few is not None and not too_few.business  # no WELLBYs from 9 people
    assert participant_change(FW, {}, None) is None


@given(st.lists(st.integers(-10, 10), min_size=2, max_size=60), st.floats(0.05, 1.0))
def test_wellbys_are_linear_in_the_change_and_keep_its_interval(
    diffs: list[int], attribution: float
) -> None:
    change = paired_changes(FW, life([max(-5, min(5, d)) for d in diffs]))["life_satisfaction"]
    a = Assumptions(attribution=attribution)
    assert change.mean_change is not None and change.ci_low is not None
    assert change.ci_high is not None
    value = wellbys_for(change.mean_change, change.pairs, (change.ci_low, change.ci_high), a)
    share = attribution * 0.8
    assert value.wellbys == pytest.approx(change.mean_change * share * change.pairs)
    assert value.low is not None and value.high is not None
    assert value.low <= value.wellbys + 1e-9 <= value.high + 2e-9


@given(st.lists(st.tuples(st.integers(0, 10), st.integers(0, 10)), min_size=2, max_size=80))
def test_change_from_grouped_moves_is_the_person_by_person_arithmetic(
    people: list[tuple[int, int]],
) -> None:
    typed = [(str(b), str(a)) for b, a in people]
    change = paired_changes(FW, pairs_of("life_satisfaction", typed))
    diffs = [a - b for b, a in people]
    found = change["life_satisfaction"]
    assert (found.pairs, found.better, found.worse) == (
        len(diffs),
        sum(d > 0 for d in diffs),
        sum(d < 0 for d in diffs),
    )
    assert found.mean_change == pytest.approx(statistics.fmean(diffs))
    half = t_critical(len(diffs) - 1) * statistics.stdev(diffs) / math.sqrt(len(diffs))
    assert found.ci_low == pytest.approx(statistics.fmean(diffs) - half, abs=1e-9)
    assert found.ci_high == pytest.approx(statistics.fmean(diffs) + half, abs=1e-9)
    grouped = Counter((str(b), str(a)) for b, a in people)
    moves = [Move("life_satisfaction", b, a, n) for (b, a), n in grouped.items()]
    assert changes_from_moves(FW, moves)["life_satisfaction"] == found
