"""Pooling, quartiles, Wilson intervals and the disclosure rules, with hypothesis properties."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conversations import benchmarks as b
from conversations import pooling
from conversations.benchmarks import Observation, PeerFigure, Withheld


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
    assert pooled.y == 34 and pooled.n == 140 and pooled.grantees == 5
    assert 100 * pooled.ratio == pytest.approx(100 * 34 / 140)


def test_pooling_refuses_answers_to_different_question_versions() -> None:
    with pytest.raises(ValueError, match="different question versions"):
        b.pool_proportions([obs(1, 5, 10), obs(2, 5, 10, version=2)])


@given(peer_lists)
def test_pooled_figure_needs_five_grantees_ten_responses_and_no_dominant_one(
    data: list[tuple[int, int]],
) -> None:
    pooled = b.pool_proportions([obs(i, x, n) for i, (x, n) in enumerate(data)])
    total_n = sum(n for _, n in data)
    reason = pooling.primary(pooled)
    largest = max((n for _, n in data), default=0)
    safe = len(data) >= 5 and total_n >= 10 and largest <= total_n / 2
    assert (reason is None) == safe
    if safe:
        assert pooled.n == total_n and pooled.y == sum(x for x, _ in data)


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


@given(st.lists(st.floats(min_value=0, max_value=100), min_size=3, max_size=40))
def test_quartiles_are_ordered_and_within_the_values(values: list[float]) -> None:
    q1, median, q3 = b.quartiles(values)
    assert min(values) - 0.5 <= q1 <= median <= q3 <= max(values) + 0.5


def test_each_quartile_is_the_rounded_mean_of_three_neighbours() -> None:
    values = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100]
    # positions 2.25, 4.5, 6.75 of 0..9: windows 1-3, 4-6 and 6-8
    assert b.quartiles(values) == (30.0, 60.0, 80.0)
    assert b.quartiles([1.0, 2.0, 2.5], places=1) == (1.8, 1.8, 1.8)


# ---- disclosure: peers -----------------------------------------------------------------------


@given(st.integers(0, 29), peer_lists)
def test_own_data_is_never_in_the_peer_set(me: int, data: list[tuple[int, int]]) -> None:
    observations = [obs(i, x, n) for i, (x, n) in enumerate(data)]
    peers = b.peer_set(observations, me)
    assert all(p.grantee_id != me for p in peers)
    assert len(peers) % b.PEER_BLOCK == 0
    assert all(p.n is not None and p.n >= b.MIN_RESPONSES for p in peers)


@given(peer_lists)
def test_a_peer_figure_needs_ten_other_grantees(data: list[tuple[int, int]]) -> None:
    observations = [obs(i + 1, x, n) for i, (x, n) in enumerate(data)]
    me = obs(0, 5, 10)
    result = b.compare_with_peers(
        me, [me, *observations], grantee_id=0, question_id="P1", version=1
    )
    qualifying = sum(1 for _, n in data if n >= b.MIN_RESPONSES)
    if qualifying < b.MIN_PEERS:
        assert isinstance(result, Withheld)
        assert "fewer than 10 other grantees" in result.reason
    else:
        assert isinstance(result, PeerFigure) and result.grantees >= b.MIN_PEERS


def test_own_value_never_moves_the_peer_figure_and_gets_a_band_not_a_rank() -> None:
    peers = [obs(i, 5 + i, 20) for i in range(1, 11)]
    low = b.compare_with_peers(
        obs(0, 0, 20), [obs(0, 0, 20), *peers], grantee_id=0, question_id="P1", version=1
    )
    high = b.compare_with_peers(
        obs(0, 20, 20), [obs(0, 20, 20), *peers], grantee_id=0, question_id="P1", version=1
    )
    assert isinstance(low, PeerFigure) and isinstance(high, PeerFigure)
    assert (low.median, low.q1, low.q3) == (high.median, high.q1, high.q3)
    assert low.band == b.BELOW and high.band == b.ABOVE


def test_answers_to_another_question_version_are_not_peers() -> None:
    peers = [obs(i, 5, 20, version=2) for i in range(1, 12)]
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
    # Ten peers give a figure. An eleventh's answer, if it simply joined, would shift the
    # windows and give it away; peers join only in blocks of five.
    first = [obs(i, k, 20) for i, k in enumerate(range(2, 20, 2)[:10], start=1)]
    first += [obs(10, 19, 20)]
    before = _figure(first)
    after_a = _figure([*first, obs(11, 11, 20)])
    after_b = _figure([*first, obs(11, 13, 20)])
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


def moments(grantees: int, n_each: int) -> pooling.Moments:
    return pooling.Moments.of([(n_each // 2, n_each)] * grantees)


@given(
    st.dictionaries(
        st.sampled_from(["arts", "food", "sports", "faith", "youth", "other"]),
        st.tuples(st.integers(0, 12), st.integers(1, 60)),
        min_size=2,
    )
)
def test_hidden_cells_never_leave_a_small_remainder_to_subtract(
    groups: dict[str, tuple[int, int]],
) -> None:
    cells = {k: {"funder": moments(g, n)} for k, (g, n) in groups.items()}
    result = pooling.protect_breakdown(cells, disjoint=True)
    hidden = [k for k, why in result.items() if why is not None]
    # cells failing the rules stay hidden
    assert all(k in hidden for k, c in cells.items() if pooling.withheld_reason(c))
    shown = [k for k in result if k not in hidden]
    if hidden and shown:
        union = pooling.merged(cells[k]["funder"] for k in hidden)
        assert pooling.primary(union) is None  # total less what is shown: a safe figure
        for left in hidden:  # and what is left once an insider takes away one hidden cell
            rest = pooling.merged(cells[k]["funder"] for k in hidden if k != left)
            assert pooling.primary(rest) is None


@given(st.integers(0, 50_000))
def test_digest_counts_are_rounded_at_every_size(count: int) -> None:
    shown = b.rounded_count(count)
    if count == 0:
        assert shown == "0"
    elif count < 5:
        assert shown == "fewer than 5"
    else:
        value = int(shown.replace(",", ""))
        base = 5 if count < 1000 else 10 if count < 10_000 else 100
        assert value % base == 0 and abs(value - count) <= base / 2
        assert value != count or count % base == 0


def test_counts_round_halves_up() -> None:
    assert [b.rounded_count(c) for c in (12, 13, 1005, 1004, 10_050)] == [
        "10",
        "15",
        "1,010",
        "1,000",
        "10,100",
    ]
