"""Pure statistics for summaries: pooled counts, quartiles, percentile rank, Wilson, disclosure."""

from __future__ import annotations

import math
import statistics
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

# Disclosure rules (DESIGN §7, social-cohesion-measures.md §4b).
MIN_PEERS = 5  # a peer figure needs at least this many *other* grantees
MIN_RESPONSES = 10  # no percentage or mean from fewer responses
INDICATIVE_BELOW = 30  # figures from fewer responses are flagged "indicative only"
# Peer sets grow in whole blocks, so two summaries a grantee receives at different times use
# either the same peers or peer sets that differ by at least a block: one newly completed
# grantee can never be isolated by comparing the figures before and after.
PEER_BLOCK = MIN_PEERS
Z95 = 1.959963984540054

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class Observation:
    """One grantee's answer to one question version, reduced to a number.

    `value` is a percentage (proportions), a mean (means) or a count (outputs); `x` and `n`
    are the counts behind a proportion, `n` the respondents behind a mean.
    """

    grantee_id: int
    question_id: str
    version: int
    value: float
    n: int | None = None
    x: int | None = None
    # completion order (time, check-in id): fixes which peers fall in the published blocks
    order: tuple[str, int] = ("", 0)

    @property
    def qualifies(self) -> bool:
        """Enough responses to be shown or to count among peers (counts always qualify)."""
        return self.n is None or self.n >= MIN_RESPONSES


@dataclass(frozen=True)
class Withheld:
    """A figure left out, and why, in words a grantee or funder can read."""

    reason: str


@dataclass(frozen=True)
class PeerFigure:
    median: float
    q1: float
    q3: float
    grantees: int
    percentile_rank: float | None  # the grantee's rank among these peers, when it has a value


@dataclass(frozen=True)
class Pooled:
    """Counts summed across grantees: value is the pooled percentage (or pooled mean)."""

    value: float
    n: int
    grantees: int
    x: int | None = None
    low: float | None = None  # 95% interval, proportions only (Wilson)
    high: float | None = None

    @property
    def indicative(self) -> bool:
        return self.n < INDICATIVE_BELOW


def percent(x: int, n: int) -> float:
    if n <= 0:
        raise ValueError("a percentage needs at least one response")
    return 100.0 * x / n


def wilson(x: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for x of n, in percent; sound near 0% and 100%, unlike Wald."""
    if n <= 0 or not 0 <= x <= n:
        raise ValueError(f"need 0 <= x <= n and n >= 1, got {x} of {n}")
    p = x / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    # exact ends when nobody (or everybody) gave the answer; the formula is off by rounding
    low = 0.0 if x == 0 else 100.0 * max(0.0, centre - half)
    high = 100.0 if x == n else 100.0 * min(1.0, centre + half)
    return low, high


def quartiles(values: Sequence[float]) -> tuple[float, float, float]:
    """(lower quartile, median, upper quartile), interpolated between the ordered values."""
    if len(values) < 2:
        raise ValueError("quartiles need at least two values")
    q1, median, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return q1, median, q3


def percentile_rank(value: float, others: Sequence[float]) -> float:
    """Percent of `others` below `value`, counting ties as half (mid-rank)."""
    if not others:
        raise ValueError("a percentile rank needs others to compare with")
    below = sum(1 for v in others if v < value)
    equal = sum(1 for v in others if v == value)
    return 100.0 * (below + 0.5 * equal) / len(others)


def same_version(
    observations: Iterable[Observation], question_id: str, version: int
) -> list[Observation]:
    """Only answers to exactly this question version are ever combined."""
    return [o for o in observations if o.question_id == question_id and o.version == version]


def peer_set(observations: Sequence[Observation], exclude_grantee: int) -> list[Observation]:
    """The peers a grantee is compared with: others only, enough responses, whole blocks."""
    others = sorted(
        (o for o in observations if o.grantee_id != exclude_grantee and o.qualifies),
        key=lambda o: o.order,
    )
    usable = len(others) - len(others) % PEER_BLOCK
    return others[:usable]


def compare_with_peers(
    own: Observation | None,
    observations: Sequence[Observation],
    *,
    grantee_id: int,
    question_id: str,
    version: int,
) -> PeerFigure | Withheld:
    """Median, quartiles and the grantee's percentile rank among other grantees."""
    peers = peer_set(same_version(observations, question_id, version), grantee_id)
    if len(peers) < MIN_PEERS:
        return Withheld(
            f"not shown: fewer than {MIN_PEERS} other grantees have comparable answers yet"
        )
    values = [o.value for o in peers]
    q1, median, q3 = quartiles(values)
    rank = None
    if own is not None and own.qualifies:
        rank = percentile_rank(own.value, values)
    return PeerFigure(median=median, q1=q1, q3=q3, grantees=len(peers), percentile_rank=rank)


def pool_proportions(observations: Sequence[Observation]) -> Pooled | Withheld:
    """Sum numerators and denominators (never average percentages), with a Wilson interval."""
    _one_version(observations)
    grantees = len({o.grantee_id for o in observations})
    x = sum(o.x or 0 for o in observations)
    n = sum(o.n or 0 for o in observations)
    return pooled_counts(x, n, grantees)


def pooled_counts(x: int, n: int, grantees: int) -> Pooled | Withheld:
    """A pooled proportion from already summed counts (SQL sums them), or why it is withheld."""
    withheld = _too_few(n, grantees)
    if withheld is not None:
        return withheld
    low, high = wilson(x, n)
    return Pooled(value=percent(x, n), n=n, grantees=grantees, x=x, low=low, high=high)


def pooled_mean(total: float, n: int, grantees: int) -> Pooled | Withheld:
    """A mean pooled as (sum of means x respondents) / respondents; no interval without spread."""
    withheld = _too_few(n, grantees)
    if withheld is not None:
        return withheld
    return Pooled(value=total / n, n=n, grantees=grantees)


def _too_few(n: int, grantees: int) -> Withheld | None:
    if grantees < MIN_PEERS:
        return Withheld(f"not shown: fewer than {MIN_PEERS} grantees")
    if n < MIN_RESPONSES:
        return Withheld(f"not shown: fewer than {MIN_RESPONSES} responses")
    return None


def _one_version(observations: Sequence[Observation]) -> None:
    keys = {(o.question_id, o.version) for o in observations}
    if len(keys) > 1:
        raise ValueError(f"refusing to pool different question versions: {sorted(keys)}")


def own_figure(obs: Observation) -> Withheld | None:
    """Why a grantee's own percentage or mean is not shown, or None when it can be."""
    if not obs.qualifies:
        return Withheld(f"fewer than {MIN_RESPONSES} responses, so no percentage is shown")
    return None


def secondary_suppression(cells: Mapping[K, Pooled | Withheld]) -> dict[K, Pooled | Withheld]:
    """Hide one more cell when exactly one is hidden, so it can't be found by subtraction.

    A breakdown shown beside its total gives away a single hidden cell (total minus the rest);
    hiding the smallest shown cell as well leaves two unknowns that can't be told apart.
    """
    result: dict[K, Pooled | Withheld] = dict(cells)
    hidden = [k for k, v in result.items() if isinstance(v, Withheld)]
    shown = [(v.n, str(k), k) for k, v in result.items() if isinstance(v, Pooled)]
    if len(hidden) == 1 and shown:
        _, _, smallest = min(shown)
        result[smallest] = Withheld("not shown, so that a smaller group can't be worked out")
    return result


def rounded_count(count: int) -> str:
    """A count for funder digests: 0, 'fewer than 5', else to the nearest 5 below 1,000."""
    if count < 0:
        raise ValueError("counts are never negative")
    if count == 0:
        return "0"
    if count < 5:
        return "fewer than 5"
    if count >= 1000:
        return f"{count:,}"
    return f"{5 * round(count / 5):,}"
