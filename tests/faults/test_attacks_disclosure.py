"""The five disclosure attacks, each tried as a property: no grantee's figure comes out of what
is published more closely than docs/summaries.md says it may."""

from __future__ import annotations

import itertools

from hypothesis import assume, given
from hypothesis import strategies as st

from bot.summaries.digest_cells import cells, in_blocks
from conversations import benchmarks as b
from conversations import pooling
from conversations.benchmarks import Observation, PeerFigure, Withheld
from conversations.framework import FRAMEWORKS_DIR, load_framework
from tests.faults.tally import pure

FRAMEWORK = load_framework(FRAMEWORKS_DIR / "social_cohesion_v1.toml")
SHIFT = 2.0  # percentage points every peer behind a quartile could move unseen


def p1(grantee: int, x: int, n: int, order: int | None = None) -> Observation:
    at = grantee if order is None else order
    return Observation(grantee, "P1", 1, b.percent(x, n), n=n, x=x, order=("", at))


def shown(own: Observation, peers: list[Observation]) -> PeerFigure | Withheld:
    return b.compare_with_peers(own, [own, *peers], grantee_id=0, question_id="P1", version=1)


answers = st.integers(min_value=10, max_value=120).flatmap(
    lambda n: st.tuples(st.integers(min_value=0, max_value=n), st.just(n))
)


# ---- 1. sweeping one's own answer ----------------------------------------------------------------


@given(st.lists(answers, min_size=10, max_size=24), st.integers(10, 60))
@pure(150)
def test_sweeping_your_own_answer_reveals_only_the_published_quartiles(
    data: list[tuple[int, int]], my_n: int
) -> None:
    peers = [p1(i + 1, x, n) for i, (x, n) in enumerate(data)]
    sweep = [shown(p1(0, x, my_n), peers) for x in range(my_n + 1)]
    first = sweep[0]
    assert isinstance(first, PeerFigure)
    for figure, x in zip(sweep, range(my_n + 1), strict=True):
        assert isinstance(figure, PeerFigure)
        assert (figure.q1, figure.median, figure.q3) == (first.q1, first.median, first.q3)
        # the band is worked out from the published quartiles alone
        assert figure.band == b.band(100 * x / my_n, first.q1, first.q3)
    # the lowest and highest peers could be anywhere beyond their neighbours: setting them
    # to 0% and 100% changes nothing the whole sweep shows
    used = b.peer_set(peers, 0)
    ordered = sorted(used, key=lambda o: o.value)
    lowest, highest = ordered[0], ordered[-1]
    moved = [
        p1(o.grantee_id, 0, o.n or 1, order=o.order[1])
        if o is lowest
        else p1(o.grantee_id, o.n or 1, o.n or 1, order=o.order[1])
        if o is highest
        else o
        for o in peers
    ]
    assert [shown(p1(0, x, my_n), moved) for x in range(my_n + 1)] == sweep


# ---- 2. small peer sets --------------------------------------------------------------------------


@given(st.lists(answers, min_size=0, max_size=9))
@pure(100)
def test_fewer_than_ten_peers_show_no_quartile_at_all(data: list[tuple[int, int]]) -> None:
    peers = [p1(i + 1, x, n) for i, (x, n) in enumerate(data)]
    assert isinstance(shown(p1(0, 5, 20), peers), Withheld)


# answers in hundredths of a percent (n = 10,000), at least 4.1 points apart
spaced = st.lists(st.integers(0, 5), min_size=10, max_size=20).map(
    lambda steps: [300 + v for v in itertools.accumulate(410 + 10 * s for s in steps)]
)


@given(spaced)
@pure(150)
def test_every_peer_behind_a_quartile_could_be_two_points_either_way(values: list[int]) -> None:
    """Peers with distinct answers (over 4 points apart): for each peer, there is another
    set of answers, with that peer 2 points higher (or lower) and the others' answers as
    different as needed, that shows exactly the same figure."""
    assume(values[-1] <= 9700)
    peers = [p1(i + 1, v, 10_000) for i, v in enumerate(values)]
    published = shown(p1(0, 5000, 10_000), peers)
    assert isinstance(published, PeerFigure)
    used = len(b.peer_set(peers, 0))
    for target in range(used):
        for sign in (1, -1):
            assert _unseen_shift(peers, used, target, sign, published), (target, sign)


def _windows(count: int) -> list[range]:
    last = count - 1
    out = []
    for share in (0.25, 0.5, 0.75):
        centre = int(last * share + 0.5)
        start = min(max(centre - 1, 0), count - 3)
        out.append(range(start, start + 3))
    return out


def _unseen_shift(
    peers: list[Observation], used: int, target: int, sign: int, published: PeerFigure
) -> bool:
    """Move the target by SHIFT, and one other member of each of its windows the other way."""
    step = int(SHIFT * 100)
    windows = [w for w in _windows(used) if target in w]
    choices = [[i for i in w if i != target] for w in windows]
    for partners in itertools.product(*choices):
        if len(set(partners)) != len(partners):
            continue
        if any(sum(p in w for w in _windows(used)) > 1 for p in partners):
            continue  # a partner in another window would move that one
        changed = {target: sign * step, **{p: -sign * step for p in partners}}
        moved = [
            p1(o.grantee_id, (o.x or 0) + changed.get(i, 0), 10_000) if i in changed else o
            for i, o in enumerate(peers)
        ]
        if shown(p1(0, 5000, 10_000), moved) == published:
            return True
    return False


# ---- 3. a funder subtracting its own grantees from a cross-programme pool ------------------------


@given(st.lists(answers, min_size=1, max_size=15), st.lists(answers, min_size=1, max_size=9))
@pure(200)
def test_subtracting_your_own_grantees_leaves_only_a_safe_aggregate(
    mine: list[tuple[int, int]], theirs: list[tuple[int, int]]
) -> None:
    cell = {"A": pooling.Moments.of(mine), "B": pooling.Moments.of(theirs)}
    if pooling.withheld_reason(cell) is not None:
        return  # nothing shown, nothing to subtract from
    # shown: funder A takes its own grantees away and is left with B's grantees pooled
    outside = cell["B"]
    assert outside.grantees >= pooling.MIN_GRANTEES
    assert outside.largest <= pooling.DOMINANCE_SHARE * outside.n
    x_b, n_b = outside.y, outside.n
    if 0 < x_b < n_b:
        # any one of B's grantees could have a different answer, with another of B's making up
        # the difference: the same totals, so the same result of the subtraction
        for t, (x_t, n_t) in enumerate(theirs):
            movable = sum(
                min(x_t, n_o - x_o) + min(n_t - x_t, x_o)
                for o, (x_o, n_o) in enumerate(theirs)
                if o != t
            )
            assert movable >= 1


@given(st.lists(answers, min_size=5, max_size=15), st.integers(1, 2), st.data())
@pure(150)
def test_one_or_two_of_another_funders_grantees_are_never_pooled_with_yours(
    mine: list[tuple[int, int]], few: int, data: st.DataObject
) -> None:
    theirs = [data.draw(answers) for _ in range(few)]
    cell = {"A": pooling.Moments.of(mine), "B": pooling.Moments.of(theirs)}
    assert pooling.withheld_reason(cell) is not None


# ---- 4. complementary hidden cells ---------------------------------------------------------------


groups = st.dictionaries(
    st.sampled_from(["arts", "food", "sports", "faith", "youth", "other"]),
    st.lists(answers, min_size=1, max_size=8),
    min_size=2,
)


@given(groups)
@pure(200)
def test_hidden_cells_never_give_one_away_by_subtraction_even_to_an_insider(
    breakdown: dict[str, list[tuple[int, int]]],
) -> None:
    cells_ = {k: {"A": pooling.Moments.of(v)} for k, v in breakdown.items()}
    result = pooling.protect_breakdown(cells_, disjoint=True)
    hidden = [k for k, why in result.items() if why is not None]
    if not hidden or len(hidden) == len(result):
        return  # nothing hidden, or nothing shown beside the total
    # total less what is shown: the hidden cells together
    union = pooling.merged(cells_[k]["A"] for k in hidden)
    assert pooling.primary(union) is None
    # an insider who knows one hidden cell exactly is left with the others together
    for known in hidden:
        rest = pooling.merged(cells_[k]["A"] for k in hidden if k != known)
        assert pooling.primary(rest) is None


# ---- 5. successive digests -----------------------------------------------------------------------


@given(st.lists(answers, min_size=1, max_size=25))
@pure(150)
def test_one_more_report_never_shows_up_alone_between_two_digests(
    data: list[tuple[int, int]],
) -> None:
    reports = [p1(i + 1, x, n) for i, (x, n) in enumerate(data)]
    before = in_blocks(reports[:-1])
    after = in_blocks(reports)
    if {o.order for o in before} != {o.order for o in after}:
        # figures change only when a whole block has completed
        assert len({o.order for o in after}) - len({o.order for o in before}) >= b.PEER_BLOCK
    else:
        assert cells(FRAMEWORK, before, "A") == cells(FRAMEWORK, after, "A")


@given(st.integers(5, 200_000))
@pure(300)
def test_no_count_is_shown_exactly_unless_it_is_already_a_round_number(count: int) -> None:
    value = int(b.rounded_count(count).replace(",", ""))
    base = 5 if count < 1000 else 10 if count < 10_000 else 100
    assert value % base == 0 and abs(value - count) <= base / 2
