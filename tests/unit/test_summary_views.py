"""The summary and digest view-models: the sentences people read, built from plain numbers."""

from __future__ import annotations

from conversations import benchmarks as b
from conversations.digests import Counts, outcome_indicators
from conversations.framework import FRAMEWORKS_DIR, load_framework
from conversations.summaries import grantee_summary

FRAMEWORK = load_framework(FRAMEWORKS_DIR / "social_cohesion_v1.toml")


def p1(grantee: int, x: int, n: int, version: int = 1) -> b.Observation:
    return b.Observation(grantee, "P1", version, b.percent(x, n), n=n, x=x, order=("", grantee))


def test_sentences_give_n_change_peers_and_national_context() -> None:
    round_obs = [p1(0, 32, 41), *(p1(g, 20 + g, 30) for g in range(1, 6))]
    summary = grantee_summary(
        FRAMEWORK,
        grantee_id=0,
        grantee_name="Amina",
        organisation="Unity Kitchen",
        programme_name="Bridges",
        period="2026 Q3",
        round_observations=round_obs,
        previous={"P1": ("2026 Q2", p1(0, 26, 40))},
    )
    (first,) = [i for i in summary.indicators if i.question_id == "P1"]
    assert first.sentence == "78% of 41 participants (32 of 41) said agree."
    assert first.change_sentence == "Up 13 percentage points from 65% in 2026 Q2."
    assert first.peer_sentence == (
        "Other grantees in Bridges: median 77%, middle half 73% to 80% (n = 5 grantees). "
        "You are at the 60th percentile."  # above 3 of the 5
    )
    assert first.national is not None
    assert first.national.sentence.startswith("National figure: 83% definitely or tend to agree")
    assert first.national.sentence.endswith("Yours is 5 percentage points below it.")
    (unreported,) = [i for i in summary.indicators if i.question_id == "P10"]
    assert unreported.sentence == "You didn't report this one this round."
    assert unreported.national is None  # no official figure for this question


def test_no_change_is_shown_across_question_versions() -> None:
    summary = grantee_summary(
        FRAMEWORK,
        grantee_id=0,
        grantee_name="Amina",
        organisation="Unity Kitchen",
        programme_name="Bridges",
        period="2026 Q3",
        round_observations=[p1(0, 32, 41)],
        previous={"P1": ("2026 Q2", p1(0, 26, 40, version=2))},
    )
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
    assert (
        first.overall.text.startswith("62%, 95% CI") and "n = 240 responses" in first.overall.text
    )
