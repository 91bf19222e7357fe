"""Pooled figures across grantees: cluster-robust intervals and the rules for showing a cell."""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from conversations.uncertainty import Interval, t95, wilson_effective

K = TypeVar("K", bound=Hashable)

MIN_GRANTEES = 5  # threshold rule: a pooled figure needs this many grantees
MIN_RESPONSES = 10  # and this many responses
DOMINANCE_SHARE = 0.5  # (1, 50%) dominance: no grantee gives more than half the responses
INDICATIVE_BELOW = 30
SPREAD_GRANTEES = 10  # a spread across grantees (standard deviation) needs this many


@dataclass(frozen=True)
class Moments:
    """Sums over grantees (the clusters) of one cell: enough for the pooled figure, its
    cluster-robust variance, the dominance rule and the spread between grantees.

    `y` is a grantee's numerator (proportions) or mean x respondents (means); `n` its
    responses; `share` its own figure y / n. Sums over disjoint sets of grantees add up.
    """

    grantees: int = 0
    y: float = 0.0
    n: int = 0
    yy: float = 0.0
    yn: float = 0.0
    nn: float = 0.0
    largest: int = 0  # the most responses any one grantee gave
    share: float = 0.0
    share2: float = 0.0

    @staticmethod
    def of(clusters: Iterable[tuple[float, int]]) -> Moments:
        """From each grantee's (y, n): the sums taken in one pass (digests and evidence fold
        thousands of grantees, and a Moments for each would cost more than the sums)."""
        grantees = n_sum = largest = 0
        y_sum = yy = yn = nn = share = share2 = 0.0
        for y, n in clusters:
            if n > 0:
                grantees += 1
                y_sum += y
                n_sum += n
                yy += y * y
                yn += y * n
                nn += n * n
                largest = max(largest, n)
                share += y / n
                share2 += (y / n) ** 2
        return Moments(grantees, y_sum, n_sum, yy, yn, nn, largest, share, share2)

    def __add__(self, other: Moments) -> Moments:
        return Moments(
            self.grantees + other.grantees,
            self.y + other.y,
            self.n + other.n,
            self.yy + other.yy,
            self.yn + other.yn,
            self.nn + other.nn,
            max(self.largest, other.largest),
            self.share + other.share,
            self.share2 + other.share2,
        )

    @property
    def ratio(self) -> float:
        return self.y / self.n

    def robust_variance(self) -> float:
        """Cluster-robust (ultimate cluster) variance of the ratio y / n, grantees as clusters.

        Residual totals e_g = y_g - r n_g; var = G / (G - 1) * sum(e_g^2) / n^2. Answers from
        one grantee (in one round or several, the same people included) move together, and
        this is what allows for it.
        """
        if self.grantees < 2:
            raise ValueError("a cluster-robust variance needs at least two grantees")
        r = self.ratio
        squares = max(self.yy - 2 * r * self.yn + r * r * self.nn, 0.0)
        return self.grantees / (self.grantees - 1) * squares / (self.n * self.n)

    def spread(self) -> float | None:
        """Standard deviation of the grantees' own figures (unweighted), when enough grantees."""
        g = self.grantees
        if g < SPREAD_GRANTEES:
            return None
        return math.sqrt(max(self.share2 - self.share * self.share / g, 0.0) / (g - 1))


def merged(parts: Iterable[Moments]) -> Moments:
    total = Moments()
    for part in parts:
        total = total + part
    return total


def proportion_interval(m: Moments) -> tuple[Interval, float]:
    """Pooled percentage with a Wilson interval on the effective sample size n / deff (Korn and
    Graubard), deff from the cluster-robust variance and never below 1; t with G - 1 df."""
    p = m.ratio
    simple = p * (1 - p) / m.n
    deff = max(1.0, m.robust_variance() / simple) if simple > 0 else 1.0
    low, high = wilson_effective(p, m.n / deff, t95(m.grantees - 1))
    return Interval(100.0 * p, low, high), deff


def mean_interval(m: Moments, scale_min: float, scale_max: float) -> tuple[Interval, float]:
    """Pooled mean with a cluster-robust t interval, never narrower than simple random sampling
    with the largest spread the scale allows at this mean (grantees report no spread)."""
    mean = m.ratio
    bound = max((scale_max - mean) * (mean - scale_min), 0.0) / m.n
    robust = m.robust_variance()
    half = t95(m.grantees - 1) * math.sqrt(max(robust, bound))
    deff = robust / bound if bound > 0 else 1.0
    return Interval(mean, max(scale_min, mean - half), min(scale_max, mean + half)), deff


# ---- when a pooled cell may be shown ---------------------------------------------------------


def primary(m: Moments) -> str | None:
    """Why a cell may not be shown on its own, or None: threshold and dominance rules."""
    if m.grantees < MIN_GRANTEES:
        return f"fewer than {MIN_GRANTEES} grantees"
    if m.n < MIN_RESPONSES:
        return f"fewer than {MIN_RESPONSES} responses"
    if m.largest > DOMINANCE_SHARE * m.n:
        return "one grantee gave most of the responses"
    return None


def withheld_reason(parts: Mapping[str, Moments]) -> str | None:
    """A cell made of parts keyed by funder: the whole must pass, and so must what is left for
    each funder once it takes away its own grantees (it knows their answers exactly)."""
    whole = merged(parts.values())
    reason = primary(whole)
    if reason is not None:
        return reason
    for funder in parts:
        outside = merged(m for f, m in parts.items() if f != funder)
        if outside.grantees and primary(outside) is not None:
            return "too few grantees outside one funder's programmes"
    return None


Cell = Mapping[str, Moments]  # funder -> that funder's grantees' sums in the cell


def _union(cells: Iterable[Cell], disjoint: bool) -> dict[str, Moments]:
    """Cells added together. Where a grantee can sit in several cells (periods), the grantee
    count is only known to be at least the largest cell's, and the largest contribution at most
    the sum of the largest ones: both are taken on the safe side."""
    out: dict[str, Moments] = {}
    for cell in cells:
        for funder, m in cell.items():
            seen = out.get(funder)
            if seen is None:
                out[funder] = m
            elif disjoint:
                out[funder] = seen + m
            else:
                joined = seen + m
                out[funder] = Moments(
                    max(seen.grantees, m.grantees),
                    joined.y,
                    joined.n,
                    joined.yy,
                    joined.yn,
                    joined.nn,
                    seen.largest + m.largest,
                    joined.share,
                    joined.share2,
                )
    return out


def _complements_safe(hidden: list[Cell], disjoint: bool) -> bool:
    """What the hidden cells give away by subtraction from the total is safe to show: their
    union, and their union without any one of them (for an insider who knows that one)."""
    if not hidden:
        return True
    if withheld_reason(_union(hidden, disjoint)) is not None:
        return False
    if len(hidden) == 1:
        return False  # the total less the shown cells is this very cell
    return all(
        withheld_reason(_union(hidden[:i] + hidden[i + 1 :], disjoint)) is None
        for i in range(len(hidden))
    )


def protect_breakdown(cells: Mapping[K, Cell], *, disjoint: bool) -> dict[K, str | None]:
    """Each cell of a breakdown shown beside its total: None (shown) or why it is hidden.

    Cells failing the rules are hidden; then, while the hidden cells together (or less any one
    of them) would not pass the rules themselves, the smallest shown cell is hidden as well.
    """
    result: dict[K, str | None] = {k: withheld_reason(c) for k, c in cells.items()}
    while True:
        hidden = [k for k, why in result.items() if why is not None]
        shown = [k for k, why in result.items() if why is None]
        if not shown or _complements_safe([cells[k] for k in hidden], disjoint):
            return result
        smallest = min(shown, key=lambda k: (merged(cells[k].values()).n, str(k)))
        result[smallest] = "hidden so that a smaller group can't be worked out"


# ---- funnel plots ----------------------------------------------------------------------------

Z998 = 3.090232306167813  # 99.8% two-sided, the usual outer funnel limit


def funnel_limits(pooled: float, n: int, z: float) -> tuple[float, float]:
    """Limits (percent) around a pooled percentage that a grantee with `n` responses falls
    inside by chance alone at the given z, from the binomial normal approximation."""
    p = pooled / 100.0
    half = z * math.sqrt(max(p * (1 - p), 0.0) / n)
    return 100.0 * max(0.0, p - half), 100.0 * min(1.0, p + half)
