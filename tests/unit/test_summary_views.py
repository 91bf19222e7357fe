"""The summary and digest view-models: the sentences people read, built from plain numbers."""

from __future__ import annotations

from conversations import benchmarks as b
from conversations.answers import format_answer
from conversations.digests import Counts, outcome_indicators
from conversations.framework import FRAMEWORKS_DIR, load_framework
from conversations.summaries import GranteeSummary, grantee_summary, half_up

FRAMEWORK = load_framework(FRAMEWORKS_DIR / "social_cohesion_v1.toml")


def p1(grantee: int, x: int, n: int, version: int = 1, qid: str = "P1") -> b.Observation:
    return b.Observation(grantee, qid, version, b.percent(x, n), n=n, x=x, order=("", grantee))


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


def test_sentences_give_n_change_peers_and_national_context() -> None:
    round_obs = [p1(0, 32, 41), *(p1(g, 20 + g, 30) for g in range(1, 6)), p1(0, 32, 41, qid="P2")]
    summary = amina_summary(round_obs, {"P1": ("2026 Q2", p1(0, 26, 40))})
    (first,) = [i for i in summary.indicators if i.question_id == "P1"]
    assert first.sentence == "78% of 41 participants (32 of 41) said agree."
    assert first.change_sentence == "Up 13 percentage points from 65% in 2026 Q2."
    assert first.peer_sentence == (
        "Other grantees in Bridges: median 77%, middle half 73% to 80% (n = 5 grantees). "
        "You are at the 60th percentile."  # above 3 of the 5
    )
    assert first.national is None  # no current official figure for this wording
    (belong,) = [i for i in summary.indicators if i.question_id == "P2"]
    assert belong.national is not None
    assert belong.national.sentence.startswith(
        "National figure: 62% very or fairly strongly (England, 2024/25; source: Community Life "
        "Survey 2024/25: Neighbourhood and community). Yours is 16 percentage points above it. "
        "Table: Figure 1.1 (section 1.1, Headline findings). Asked of adults aged 16 and over in "
        "England; self-completed online or on paper, like participants' forms."
    )
    (unreported,) = [i for i in summary.indicators if i.question_id == "P10"]
    assert unreported.sentence == "You didn't report this one this round."
    assert unreported.national is None  # no official figure for this question


def test_no_change_is_shown_across_question_versions() -> None:
    summary = amina_summary([p1(0, 32, 41)], {"P1": ("2026 Q2", p1(0, 26, 40, version=2))})
    (first,) = [i for i in summary.indicators if i.question_id == "P1"]
    assert first.change_sentence is None


def test_digest_breakdown_hides_a_second_group_when_one_is_too_small() -> None:
    by_activity = {
        "P1": {
            "arts": Counts("P1", 1, 2, 10, 30, 0.0),  # two grantees: hidden
            "food": Counts("P1", 1, 6, 100, 150, 0.0),
            "sports": Counts("P1", 1, 5, 40, 60, 0.0),  # smallest shown: hidden as well
        }
    }
    indicators = outcome_indicators(
        FRAMEWORK,
        overall={"P1": Counts("P1", 1, 13, 150, 240, 0.0)},
        trend=[],
        by_activity=by_activity,
    )
    (first,) = [i for i in indicators if i.question_id == "P1"]
    texts = {line.label: line.text for line in first.by_activity}
    assert texts["arts"] == "not shown: fewer than 5 grantees"
    assert texts["sports"].startswith("not shown, so that a smaller group can't be worked out")
    assert texts["food"].startswith("67%, 95% CI")
    # 150 of 240 is 62.5%: shown as 63%, rounded as people (and the grantee's review) round
    assert (
        first.overall.text.startswith("63%, 95% CI") and "n = 240 responses" in first.overall.text
    )


def test_a_half_share_reads_the_same_in_the_summary_as_in_the_review() -> None:
    summary = amina_summary([p1(0, 2, 16)], {"P1": ("2026 Q2", p1(0, 15, 40))})  # 37.5%
    (first,) = [i for i in summary.indicators if i.question_id == "P1"]
    review = format_answer(FRAMEWORK.question("P1"), {"x": 2, "n": 16})
    assert review == "2 of 16 respondents (13%)"
    assert first.sentence.startswith("13% of 16 participants (2 of 16) said agree.")
    assert first.change_sentence == "Down 25 percentage points from 38% in 2026 Q2."


def test_rounding_is_half_away_from_zero_at_every_precision() -> None:
    assert [half_up(v) for v in (12.5, 13.5, 0.5, 62.5, 12.49)] == ["13", "14", "1", "63", "12"]
    assert [half_up(v, 1) for v in (8.25, 8.35, 7.45, -0.05)] == ["8.3", "8.4", "7.5", "-0.1"]


def test_a_change_is_the_difference_of_the_figures_shown_beside_it() -> None:
    now = p1(0, 41, 60, qid="P2")  # 68.3%, shown as 68%
    before = p1(0, 121, 200, qid="P2")  # 60.5%, shown as 61%
    summary = amina_summary([now], {"P2": ("2026 Q2", before)})
    (first,) = [i for i in summary.indicators if i.question_id == "P2"]
    assert (
        first.sentence == "68% of 60 participants (41 of 60) said belong very or fairly strongly."
    )
    assert first.change_sentence == "Up 7 percentage points from 61% in 2026 Q2."
    assert first.national is not None
    assert "Yours is 6 percentage points above it." in first.national.sentence  # 62%
