"""The summary and digest view-models: the sentences people read, built from plain numbers."""

from __future__ import annotations

from conversations import benchmarks as b
from conversations.answers import format_answer
from conversations.digests import outcome_indicators
from conversations.framework import FRAMEWORKS_DIR, load_framework
from conversations.pooling import Moments
from conversations.summaries import GranteeSummary, IndicatorSummary, grantee_summary, half_up

FRAMEWORK = load_framework(FRAMEWORKS_DIR / "social_cohesion_v1.toml")


def p1(grantee: int, x: int, n: int, version: int = 1, qid: str = "P1") -> b.Observation:
    return b.Observation(grantee, qid, version, b.percent(x, n), n=n, x=x, order=("", grantee))


def indicator_of(summary: GranteeSummary, qid: str) -> IndicatorSummary:
    (found,) = [i for i in summary.indicators if i.question_id == qid]
    return found


def amina_summary(
    round_observations: list[b.Observation], previous: dict[str, tuple[str, b.Observation]]
) -> GranteeSummary:
    """Amina's 2026 Q3 summary in Bridges, from this round's observations and her last ones."""
    return grantee_summary(
        FRAMEWORK,
        grantee_id=0,
        grantee_name="Amina",
        organisation="Unity Kitchen",
        programme_name="Bridges",
        period="2026 Q3",
        round_observations=round_observations,
        previous=previous,
        local_authority="Bradford",
    )


def test_sentences_give_n_interval_change_peers_and_national_context() -> None:
    round_obs = [p1(0, 32, 41), *(p1(g, 15 + g, 30) for g in range(1, 11)), p1(0, 32, 41, qid="P2")]
    summary = amina_summary(round_obs, {"P1": ("2026 Q2", p1(0, 26, 40))})
    first = indicator_of(summary, "P1")
    assert first.sentence == (
        "78% of 41 participants (32 of 41; 95% interval 63% to 88%) said agree."
    )
    assert first.change_sentence == (
        "About the same as in 2026 Q2 (65%): the change of 13 percentage points is within "
        "sampling noise."
    )
    # peers 16..25 of 30: quartiles (17+18+19)/90, (20+21+22)/90, (22+23+24)/90
    assert first.peer_sentence == (
        "Other grantees in Bridges: median 70%, middle half 60% to 77% (n = 10 grantees). "
        "Yours is outside their middle half by no more than sampling noise."
    )
    assert first.national is None  # no current official figure for this wording
    belong = indicator_of(summary, "P2")
    assert belong.national is not None
    assert belong.national.sentence.startswith(
        "National figure: 62% very or fairly strongly (England, 2024/25; source: Community Life "
        "Survey 2024/25: Neighbourhood and community). Yours is 16 percentage points above it, "
        "which is better. Table: Figure 1.1 (section 1.1, Headline findings). Asked of adults "
        "aged 16 and over in England; self-completed online or on paper, like participants' forms."
    )  # 62% lies below the interval 63% to 88%
    unreported = indicator_of(summary, "P10")
    assert unreported.sentence == "You didn't report this one this round."
    assert unreported.national is None  # no official figure for this question


def test_above_or_below_the_peers_only_beyond_sampling_noise() -> None:
    peers = [p1(g, 15 + g, 30) for g in range(1, 11)]  # middle half 60% to 77%
    clear = amina_summary([p1(0, 95, 100), *peers], {})
    assert indicator_of(clear, "P1").peer_sentence.endswith(
        "Yours is above their middle half, which is better."
    )
    lonely = [p1(g, 3 + g, 100, qid="P6") for g in range(1, 11)]
    worse = amina_summary([p1(0, 40, 100, qid="P6"), *lonely], {})
    assert indicator_of(worse, "P6").peer_sentence.endswith(
        "Yours is above their middle half, which is worse."
    )


def test_a_change_beyond_sampling_noise_is_called_and_judged_by_the_framework() -> None:
    summary = amina_summary(
        [p1(0, 80, 100), p1(0, 2, 100, qid="P6")],
        {"P1": ("2026 Q2", p1(0, 40, 100)), "P6": ("2026 Q2", p1(0, 30, 100, qid="P6"))},
    )
    assert indicator_of(summary, "P1").change_sentence == (
        "Up 40 percentage points from 40% in 2026 Q2, which is better."
    )
    # loneliness: lower is better
    assert indicator_of(summary, "P6").change_sentence == (
        "Down 28 percentage points from 30% in 2026 Q2, which is better."
    )


def test_national_gaps_are_called_only_outside_the_interval_and_follow_direction() -> None:
    lonely = indicator_of(amina_summary([p1(0, 30, 100, qid="P6")], {}), "P6")
    assert lonely.national is not None  # 6.6%, well outside 22% to 40%
    assert (
        "6.6% often or always (England, 2024/25; source: Community Life Survey 2024/25: "
        "Loneliness and support networks). Yours is 23 percentage points above it, which is worse."
    ) in lonely.national.sentence
    assert lonely.better == "lower"


def test_a_mean_carries_a_deliberately_wide_interval() -> None:
    p7 = b.Observation(0, "P7", 1, 7.0, n=40, order=("", 0))
    summary = amina_summary([p7], {})
    # spread taken at its largest for a mean of 7 on 0-10: sqrt(3 x 7) = 4.58; t(39) = 2.023
    assert indicator_of(summary, "P7").sentence == (
        "An average of 7.0 out of 10 from 40 participants; 95% interval 5.5 to 8.5."
    )


def test_no_change_is_shown_across_question_versions() -> None:
    summary = amina_summary([p1(0, 32, 41)], {"P1": ("2026 Q2", p1(0, 26, 40, version=2))})
    (first,) = [i for i in summary.indicators if i.question_id == "P1"]
    assert first.change_sentence is None


def cell(grantees: int, x_each: int, n_each: int) -> dict[str, Moments]:
    return {"Northern Trust": Moments.of([(x_each, n_each)] * grantees)}


def test_digest_breakdown_leaves_out_small_groups_and_any_that_would_give_them_away() -> None:
    by_activity = {
        "P1": {
            "arts": cell(2, 5, 15),  # two grantees: left out
            "food": cell(6, 16, 25),
            "sports": cell(5, 8, 12),  # left out as well: arts alone would be total - rest
            "youth": cell(7, 10, 20),  # then the smallest shown: left out too
            "faith": cell(8, 10, 20),
        }
    }
    overall = {"P1": cell(20, 10, 20)}
    (first,) = [
        i
        for i in outcome_indicators(FRAMEWORK, overall=overall, trend=[], by_activity=by_activity)
        if i.question_id == "P1"
    ]
    assert [line.label for line in first.by_activity] == ["faith", "food"]
    assert first.by_activity[1].text.startswith("64%, 95% CI")
    assert "3 activity types with too few grantees to show safely left out." in (
        first.activity_note
    )
    assert "by chance" in first.activity_note and "do not show" in first.activity_note
    assert "cause" in first.activity_note  # says it is not causal: no "what works" claim
    # 10 of 20 from each of 20 grantees: 50%, interval from 20 clusters
    assert first.overall.text.startswith("50%, 95% CI ")
    assert "n = 400 responses from 20 grantees" in first.overall.text


def test_a_half_share_reads_the_same_in_the_summary_as_in_the_review() -> None:
    summary = amina_summary([p1(0, 2, 16)], {"P1": ("2026 Q2", p1(0, 15, 40))})  # 37.5%
    first = indicator_of(summary, "P1")
    review = format_answer(FRAMEWORK.question("P1"), {"x": 2, "n": 16})
    assert review == "2 of 16 respondents (13%)"
    assert first.sentence.startswith(
        "13% (fewer than 30 responses: indicative only) of 16 participants (2 of 16;"
    )
    assert first.change_sentence == (
        "About the same as in 2026 Q2 (38%): the change of 25 percentage points is within "
        "sampling noise."
    )


def test_rounding_is_half_away_from_zero_at_every_precision() -> None:
    assert [half_up(v) for v in (12.5, 13.5, 0.5, 62.5, 12.49)] == ["13", "14", "1", "63", "12"]
    assert [half_up(v, 1) for v in (8.25, 8.35, 7.45, -0.05)] == ["8.3", "8.4", "7.5", "-0.1"]


def test_a_change_is_the_difference_of_the_figures_shown_beside_it() -> None:
    now = p1(0, 41, 60, qid="P2")  # 68.3%, shown as 68%
    before = p1(0, 121, 200, qid="P2")  # 60.5%, shown as 61%
    summary = amina_summary([now], {"P2": ("2026 Q2", before)})
    first = indicator_of(summary, "P2")
    assert first.sentence.startswith("68% of 60 participants (41 of 60; 95% interval 56% to 79%)")
    assert first.change_sentence == (
        "About the same as in 2026 Q2 (61%): the change of 7 percentage points is within "
        "sampling noise."
    )
    assert first.national is not None  # 62%, inside the interval
    assert "Yours is about the same, within sampling error." in first.national.sentence
