"""Paired change pooled across grantees: sums that add up, the disclosure rules, intervals."""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence

from hypothesis import given
from hypothesis import strategies as st

from conversations import benchmarks as b
from conversations import pooling as pl
from conversations import uncertainty as u
from conversations.digest_change import (
    FormCells,
    business_lines,
    change_cells,
    level_cells,
    needing_levels,
    with_change,
)
from conversations.digests import MANY_GROUPS, Indicator, indicator
from conversations.framework import load_builtin
from conversations.participant_change import CodedAnswer, Move, PairedChange, paired_changes
from conversations.participant_figures import AnswerCount
from conversations.pooled_change import ChangeMoments, PooledChange, pooled_change
from conversations.pooling import Moments

FW = load_builtin("social_cohesion_v1")
LIFE = next(i for i in FW.participant_items if i.id == "life_satisfaction")
AGREE = next(i for i in FW.participant_items if i.id == "get_on_well")


def life_change(diffs: list[int]) -> PairedChange:
    answers = []
    for n, d in enumerate(diffs):
        answers.append(CodedAnswer(f"p{n}", "baseline", "life_satisfaction", "5"))
        answers.append(CodedAnswer(f"p{n}", "follow_up", "life_satisfaction", str(5 + d)))
    return paired_changes(FW, answers)["life_satisfaction"]


grantee_diffs = st.lists(st.integers(-5, 5), min_size=1, max_size=30)


@given(st.lists(grantee_diffs, min_size=1, max_size=12), st.integers(0, 12))
def test_grantees_sums_add_up_however_they_are_split_between_funders(
    grantees: list[list[int]], cut: int
) -> None:
    changes = [life_change(d) for d in grantees]
    whole = ChangeMoments.of(changes)
    split = ChangeMoments.of(changes[:cut]) + ChangeMoments.of(changes[cut:])
    assert split.moments.grantees == whole.moments.grantees == len(grantees)
    assert split.moments.n == whole.moments.n == sum(len(d) for d in grantees)
    assert math.isclose(split.moments.y, sum(sum(d) for d in grantees))
    assert (split.better, split.worse) == (whole.better, whole.worse)
    assert math.isclose(split.squares, sum(x * x for d in grantees for x in d))


@given(st.lists(st.lists(st.integers(-5, 5), min_size=2, max_size=30), min_size=5, max_size=12))
def test_a_shown_pooled_change_is_the_mean_of_everyone_with_an_honest_interval(
    grantees: list[list[int]],
) -> None:
    cell = {"Northern Trust": ChangeMoments.of([life_change(d) for d in grantees])}
    figure = pooled_change(LIFE, cell)
    if isinstance(figure, b.Withheld):
        assert figure.reason == "not shown: one grantee gave most of the responses"
        return
    everyone = [x for d in grantees for x in d]
    assert figure.mean_change is not None and figure.interval is not None
    assert math.isclose(figure.mean_change, statistics.fmean(everyone), abs_tol=1e-9)
    assert figure.interval.low <= figure.mean_change <= figure.interval.high
    # never narrower than the people's own spread would give if they were a simple sample
    simple = u.t95(len(grantees) - 1) * statistics.stdev(everyone) / math.sqrt(len(everyone))
    assert figure.interval.high - figure.mean_change >= simple - 1e-9
    assert math.isclose(figure.better + figure.same + figure.worse, 100.0)


def test_a_pooled_change_follows_the_rules_of_every_pooled_cell() -> None:
    ten = life_change([1] * 10)
    four = {"Northern Trust": ChangeMoments.of([ten] * 4)}
    assert pooled_change(LIFE, four) == b.Withheld("not shown: fewer than 5 grantees")
    dominated = {"Northern Trust": ChangeMoments.of([ten] * 4 + [life_change([1] * 60)])}
    assert pooled_change(LIFE, dominated) == b.Withheld(
        "not shown: one grantee gave most of the responses"
    )
    # another funder's two grantees beside five of ours: it could subtract ours and read theirs
    mixed = {
        "Northern Trust": ChangeMoments.of([ten] * 5),
        "Southern Trust": ChangeMoments.of([ten] * 2),
    }
    assert pooled_change(LIFE, mixed) == b.Withheld(
        "not shown: too few grantees outside one funder's programmes"
    )
    assert pooled_change(LIFE, {}) == b.Withheld("no paired forms")
    shown = pooled_change(LIFE, {"Northern Trust": ChangeMoments.of([ten] * 5)})
    assert isinstance(shown, PooledChange) and (shown.pairs, shown.grantees) == (50, 5)


def _grantee_forms(n: int, *, agree_after: bool) -> list[Move]:
    """n people: disagree at baseline, agree (or not) at follow-up; life 5 -> 6 or 7 in turn."""
    after = "tend_to_agree" if agree_after else "tend_to_disagree"
    return [
        Move("get_on_well", "tend_to_disagree", after, n),
        Move("life_satisfaction", "5", "6", (n + 1) // 2),
        Move("life_satisfaction", "5", "7", n // 2),
    ]


def form_cells(
    moves: Mapping[int, Sequence[Move]],
    counts: Mapping[int, Sequence[AnswerCount]],
    funder_of: Mapping[int, str],
    activity_of: Mapping[int, str],
) -> FormCells:
    change, by_activity = change_cells(FW, moves, funder_of, activity_of)
    baseline, follow_up = level_cells(FW, counts, funder_of)
    return FormCells(change, by_activity, baseline, follow_up)


def _indicators() -> list[Indicator]:
    p1, p7 = FW.question("P1"), FW.question("P7")
    cell = {"Northern Trust": Moments.of([(20.0, 30)] * 6)}
    return [
        indicator(q, overall=cell, trend=[], by_activity={"arts": cell, "food": cell})
        for q in (p1, p7)
    ]


def test_outcomes_by_activity_type_compare_change_where_it_is_shown() -> None:
    moves = {g: _grantee_forms(12, agree_after=g % 2 == 0) for g in range(12)}
    activity = {g: ("arts" if g < 6 else "food") for g in range(12)}
    funder = dict.fromkeys(range(12), "Northern Trust")
    funder[99] = "Northern Trust"
    moves[99] = _grantee_forms(40, agree_after=True)  # not in the figures: never pooled
    cells = form_cells(moves, {}, {g: funder[g] for g in range(12)}, activity)
    p1, p7 = with_change(FW, _indicators(), cells)
    assert "get_on_well" not in needing_levels(FW, cells.change)  # no levels read for it
    assert p1.change is not None and isinstance(p1.change.figure, PooledChange)
    assert p1.change.text.startswith("50% better, 50% the same, 0% worse (n = 145 people")
    assert "from 12 grantees" in p1.change.text
    assert p1.activity_compares == "change"
    assert [a.label for a in p1.by_activity] == ["arts", "food"]
    assert all("people paired" in a.text for a in p1.by_activity)
    assert p1.activity_note == MANY_GROUPS
    assert p7.change is not None and "on average up 1.5 points" in p7.change.text
    assert p1.unpaired == ""  # the paired change is shown: no weaker comparison beside it
    lines = list(business_lines(FW, [p1, p7]))
    assert lines[0].startswith("Wellbeing: +0.60 WELLBYs for each person paired (95% interval ")
    assert "about 145 people from 12 grantees" in lines[0]
    assert "could not be confirmed" in lines[1]


def test_too_few_grantees_hide_the_change_with_the_reason_and_levels_are_labelled_weaker() -> None:
    moves = {g: _grantee_forms(12, agree_after=True) for g in range(4)}
    counts = {
        g: [
            AnswerCount("baseline", "get_on_well", "tend_to_agree", 5),
            AnswerCount("baseline", "get_on_well", "tend_to_disagree", 5),
            AnswerCount("follow_up", "get_on_well", "tend_to_agree", 9),
            AnswerCount("follow_up", "get_on_well", "tend_to_disagree", 1),
        ]
        for g in range(6)
    }
    funder = dict.fromkeys(range(6), "Northern Trust")
    cells = form_cells(moves, counts, funder, dict.fromkeys(range(6), "arts"))
    p1, p7 = with_change(FW, _indicators(), cells)
    assert needing_levels(FW, cells.change)[:2] == ["get_on_well", "belong"]
    assert "met_people" not in needing_levels(FW, cells.change)  # follow-up only: no levels
    assert p1.change is not None and p1.change.text == "not shown: fewer than 5 grantees"
    assert p1.activity_compares == "level"  # levels, as before, where change is not shown
    assert p1.unpaired.startswith("Baseline forms: 50%, 95% CI ")
    assert "Follow-up forms: 90%, 95% CI " in p1.unpaired
    assert "Up 40 percentage points, which is better." in p1.unpaired
    assert p1.unpaired.endswith("so this is weaker evidence.")
    assert not list(business_lines(FW, [p1, p7]))


def test_pooled_cost_per_participant_follows_the_rules() -> None:
    few = {"Northern Trust": Moments.of([(10_000.0, 40)] * 4)}
    assert list(business_lines(FW, [], few)) == [
        "Cost per participant: not shown: fewer than 5 grantees."
    ]
    enough = {"Northern Trust": Moments.of([(10_000.0, 40)] * 4 + [(15_000.0, 40)])}
    (line,) = business_lines(FW, [], enough)
    assert line.startswith("Cost per participant: \u00a3275 (the grants of the 5 grantees")
    assert pl.withheld_reason(enough) is None


@given(
    st.dictionaries(
        st.sampled_from(["Northern Trust", "Southern Trust", "Eastern Trust"]),
        st.lists(st.integers(1, 40), min_size=1, max_size=8),
        min_size=1,
    )
)
def test_a_shown_pooled_change_survives_any_funder_taking_its_own_grantees_away(
    people: dict[str, list[int]],
) -> None:
    """Each funder knows its own grantees' forms' totals: what is left must be showable too."""
    cell = {
        f: ChangeMoments.of([life_change([1] * n) for n in sizes]) for f, sizes in people.items()
    }
    figure = pooled_change(LIFE, cell)
    if not isinstance(figure, PooledChange):
        return
    for funder in cell:
        rest = {f: c for f, c in cell.items() if f != funder}
        if rest:
            left = pl.merged(c.moments for c in rest.values())
            assert pl.primary(left) is None
            assert left.grantees >= pl.MIN_GRANTEES and left.largest <= left.n / 2
