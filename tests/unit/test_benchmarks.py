"""Pooling, quartiles, Wilson intervals and the disclosure rules, with hypothesis properties."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conversations import benchmarks as b
from conversations.benchmarks import Observation, PeerFigure, Pooled, Withheld


def obs(grantee: int, x: int, n: int, *, version: int = 1, question: str = "P1") -> Observation:
    return Observation(grantee, question, version, b.percent(x, n), n=n, x=x, order=("", grantee))


answers = st.integers(min_value=1, max_value=200).flatmap(
    lambda n: st.tuples(st.integers(min_value=0, max_value=n), st.just(n))
)
peer_lists = st.lists(answers, min_size=0, max_size=30)


# ---- pooling ---------------------------------------------------------------------------------


def test_pooling_sums_counts_rather_than_averaging_percentages() -> None:
    # 9 of 10 (90%) and 10 of 100 (10%): the average of percentages would say 50%
    pooled = b.pool_proportions(
        [obs(1, 9, 10), obs(2, 10, 100), obs(3, 5, 10), obs(4, 5, 10), obs(5, 5, 10)]
    )
    assert isinstance(pooled, Pooled)
    assert pooled.x == 34 and pooled.n == 140 and pooled.grantees == 5
    assert pooled.value == pytest.approx(100 * 34 / 140)


def test_pooling_refuses_answers_to_different_question_versions() -> None:
    with pytest.raises(ValueError, match="different question versions"):
        b.pool_proportions([obs(1, 5, 10), obs(2, 5, 10, version=2)])


@given(peer_lists)
def test_pooled_figure_needs_five_grantees_and_ten_responses(data: list[tuple[int, int]]) -> None:
    result = b.pool_proportions([obs(i, x, n) for i, (x, n) in enumerate(data)])
    total_n = sum(n for _, n in data)
    if len(data) < b.MIN_PEERS or total_n < b.MIN_RESPONSES:
        assert isinstance(result, Withheld)
    else:
        assert isinstance(result, Pooled)
        assert result.n == total_n and result.x == sum(x for x, _ in data)


# ---- Wilson intervals and quartiles ------------------------------------------------------------


@given(answers)
def test_wilson_interval_holds_the_estimate_and_stays_in_range(answer: tuple[int, int]) -> None:
    x, n = answer
    low, high = b.wilson(x, n)
    assert 0 <= low <= 100 * x / n <= high <= 100


def test_wilson_matches_a_published_value() -> None:
    # 81 of 263: Wilson 95% interval 0.2553 to 0.3662 (Newcombe 1998, Statistics in Medicine)
    low, high = b.wilson(81, 263)
    assert low == pytest.approx(25.53, abs=0.01) and high == pytest.approx(36.62, abs=0.01)


@given(st.lists(st.floats(min_value=0, max_value=100), min_size=2, max_size=40))
def test_quartiles_are_ordered_and_within_the_values(values: list[float]) -> None:
    q1, median, q3 = b.quartiles(values)
    assert min(values) <= q1 <= median <= q3 <= max(values)


@given(st.floats(0, 100), st.lists(st.floats(0, 100), min_size=1, max_size=30))
def test_percentile_rank_is_a_percentage(value: float, others: list[float]) -> None:
    assert 0 <= b.percentile_rank(value, others) <= 100


# ---- disclosure: peers -----------------------------------------------------------------------


@given(st.integers(0, 29), peer_lists)
def test_own_data_is_never_in_the_peer_set(me: int, data: list[tuple[int, int]]) -> None:
    observations = [obs(i, x, n) for i, (x, n) in enumerate(data)]
    peers = b.peer_set(observations, me)
    assert all(p.grantee_id != me for p in peers)
    assert len(peers) % b.PEER_BLOCK == 0
    assert all(p.n is not None and p.n >= b.MIN_RESPONSES for p in peers)


@given(peer_lists)
def test_a_peer_figure_needs_five_other_grantees(data: list[tuple[int, int]]) -> None:
    observations = [obs(i + 1, x, n) for i, (x, n) in enumerate(data)]
    me = obs(0, 5, 10)
    result = b.compare_with_peers(
        me, [me, *observations], grantee_id=0, question_id="P1", version=1
    )
    qualifying = sum(1 for _, n in data if n >= b.MIN_RESPONSES)
    if qualifying < b.MIN_PEERS:
        assert isinstance(result, Withheld)
        assert "fewer than 5 other grantees" in result.reason
    else:
        assert isinstance(result, PeerFigure) and result.grantees >= b.MIN_PEERS


def test_own_value_never_moves_the_peer_figure() -> None:
    peers = [obs(i, 5 + i, 20) for i in range(1, 6)]
    low = b.compare_with_peers(
        obs(0, 0, 20), [obs(0, 0, 20), *peers], grantee_id=0, question_id="P1", version=1
    )
    high = b.compare_with_peers(
        obs(0, 20, 20), [obs(0, 20, 20), *peers], grantee_id=0, question_id="P1", version=1
    )
    assert isinstance(low, PeerFigure) and isinstance(high, PeerFigure)
    assert (low.median, low.q1, low.q3) == (high.median, high.q1, high.q3)
    assert low.percentile_rank == 0 and high.percentile_rank == 100


def test_answers_to_another_question_version_are_not_peers() -> None:
    peers = [obs(i, 5, 20, version=2) for i in range(1, 9)]
    result = b.compare_with_peers(None, peers, grantee_id=0, question_id="P1", version=1)
    assert isinstance(result, Withheld)


@given(answers)
def test_no_percentage_from_fewer_than_ten_responses(answer: tuple[int, int]) -> None:
    x, n = answer
    withheld = b.own_figure(obs(0, x, n))
    assert (withheld is not None) == (n < b.MIN_RESPONSES)


# ---- disclosure: differencing two summaries ----------------------------------------------------


def _figure(observations: list[Observation]) -> PeerFigure | Withheld:
    me = obs(0, 10, 20)
    return b.compare_with_peers(me, [me, *observations], grantee_id=0, question_id="P1", version=1)


def test_a_newcomer_cannot_be_backed_out_of_the_median() -> None:
    # Five peers: the grantee sees the median 50% (the third value). If the sixth peer's
    # answer simply joined, the new median would be (newcomer + 50) / 2, giving it away.
    first = [obs(i, k, 20) for i, k in enumerate((2, 6, 10, 14, 18), start=1)]
    before = _figure(first)
    after_a = _figure([*first, obs(6, 11, 20)])
    after_b = _figure([*first, obs(6, 13, 20)])
    assert isinstance(before, PeerFigure)
    assert before == after_a == after_b  # the newcomer's answer changes nothing the grantee sees


@given(
    st.lists(answers, min_size=0, max_size=24),
    answers,
    answers,
)
def test_two_summaries_never_isolate_one_grantee(
    earlier: list[tuple[int, int]], one: tuple[int, int], other: tuple[int, int]
) -> None:
    """Any two figures a grantee receives, before and after one more peer completes, either
    do not depend on that peer's answer at all, or differ by a whole block of peers."""
    peers = [obs(i + 1, x, n) for i, (x, n) in enumerate(earlier)]
    newcomer = len(peers) + 1
    before = _figure(peers)
    with_one = _figure([*peers, obs(newcomer, *one)])
    with_other = _figure([*peers, obs(newcomer, *other)])
    if with_one != with_other:
        # the newcomer's answer shows only when it completes a block of 5 new peers, whose
        # answers are then summarised together (three quartiles of at least five new values)
        sizes = [f.grantees if isinstance(f, PeerFigure) else 0 for f in (with_one, with_other)]
        size_before = before.grantees if isinstance(before, PeerFigure) else 0
        assert max(sizes) - size_before >= b.PEER_BLOCK


# ---- disclosure: breakdowns and counts ---------------------------------------------------------


@given(
    st.dictionaries(
        st.sampled_from(["arts", "food", "sports", "faith", "youth", "other"]),
        st.tuples(st.integers(0, 12), st.integers(0, 60)),
        min_size=2,
    )
)
def test_never_exactly_one_hidden_cell_in_a_breakdown(
    groups: dict[str, tuple[int, int]],
) -> None:
    cells = {k: b.pooled_counts(min(n, 5), n, g) for k, (g, n) in groups.items()}
    result = b.secondary_suppression(cells)
    hidden = sum(1 for v in result.values() if isinstance(v, Withheld))
    assert hidden != 1
    # cells hidden by the first rule stay hidden
    assert all(isinstance(result[k], Withheld) for k, v in cells.items() if isinstance(v, Withheld))


@given(st.integers(0, 5000))
def test_digest_counts_are_rounded_to_five_below_a_thousand(count: int) -> None:
    shown = b.rounded_count(count)
    if count == 0:
        assert shown == "0"
    elif count < 5:
        assert shown == "fewer than 5"
    elif count < 1000:
        value = int(shown.replace(",", ""))
        assert value % 5 == 0 and abs(value - count) <= 2
    else:
        assert shown == f"{count:,}"
