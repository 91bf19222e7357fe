"""Sampling noise: intervals for a grantee's own figure, and whether a difference is real."""

from __future__ import annotations

import math
from dataclasses import dataclass

Z95 = 1.959963984540054
# Two-sided 95% points of Student's t for 1 to 30 degrees of freedom (any statistics table);
# beyond 30, the Cornish-Fisher expansion of t around the normal point (Abramowitz and Stegun
# 26.7.5), within 0.001 of the table there.
_T95 = (
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
    2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
    2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
)  # fmt: skip


def t95(df: int) -> float:
    """The 95% two-sided point of t with `df` degrees of freedom."""
    if df < 1:
        raise ValueError("t needs at least one degree of freedom")
    if df <= len(_T95):
        return _T95[df - 1]
    z, v = Z95, float(df)
    return (
        z
        + (z**3 + z) / (4 * v)
        + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * v**2)
        + (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / (384 * v**3)
        + (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / (92160 * v**4)
    )


@dataclass(frozen=True)
class Interval:
    """A 95% interval around an estimate, in the figure's own unit (percent or mean points)."""

    estimate: float
    low: float
    high: float

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high


def wilson(x: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for x of n, in percent; sound near 0% and 100%, unlike Wald."""
    if n <= 0 or not 0 <= x <= n:
        raise ValueError(f"need 0 <= x <= n and n >= 1, got {x} of {n}")
    return wilson_effective(x / n, n, z)


def wilson_effective(p: float, n: float, z: float = Z95) -> tuple[float, float]:
    """Wilson interval for a share `p` (0 to 1) with an effective sample size `n`, in percent.

    With clustered data `n` is the responses divided by the design effect (Korn and Graubard's
    adjustment), and `z` the t point for the number of clusters less one.
    """
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(max(p * (1 - p), 0.0) / n + z * z / (4 * n * n)) / denominator
    # exact ends when nobody (or everybody) gave the answer; the formula is off by rounding
    low = 0.0 if p <= 0 else 100.0 * max(0.0, centre - half)
    high = 100.0 if p >= 1 else 100.0 * min(1.0, centre + half)
    return low, high


def proportion_interval(x: int, n: int) -> Interval:
    low, high = wilson(x, n)
    return Interval(100.0 * x / n, low, high)


def mean_interval(mean: float, n: int, scale_min: float, scale_max: float) -> Interval:
    """A deliberately wide t interval for a reported mean whose spread is not reported.

    Grantees report an average and how many answered, not the spread, so the standard
    deviation is taken at its largest possible value for that mean on that scale (the
    Bhatia-Davis bound, sqrt((max - mean) * (mean - min))): the interval can only be too wide.
    """
    if n < 2:
        raise ValueError("a mean's interval needs at least two respondents")
    spread = math.sqrt(max((scale_max - mean) * (mean - scale_min), 0.0))
    half = t95(n - 1) * spread / math.sqrt(n)
    return Interval(mean, max(scale_min, mean - half), min(scale_max, mean + half))


def difference_interval(now: Interval, before: Interval) -> tuple[float, float]:
    """95% interval for now - before from the two intervals (Newcombe's method 10 for shares;
    the same square-and-add of each side's distance for means)."""
    d = now.estimate - before.estimate
    low = d - math.hypot(now.estimate - now.low, before.high - before.estimate)
    high = d + math.hypot(now.high - now.estimate, before.estimate - before.low)
    return low, high


def direction(low: float, high: float) -> int:
    """+1 when a difference's interval lies wholly above zero, -1 wholly below, else 0."""
    if low > 0:
        return 1
    if high < 0:
        return -1
    return 0
