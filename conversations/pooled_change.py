"""Paired change pooled across grantees, under the same disclosure rules as every pooled cell."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from conversations import benchmarks as b
from conversations import pooling as pl
from conversations import uncertainty as u
from conversations.change_summary import mean_change_text, signed
from conversations.participant_change import PairedChange
from conversations.participant_items import ParticipantItem
from conversations.pooling import Cell, Moments
from conversations.summaries import half_up

PAIRED_LABEL = "Change among the same people (paired forms)"
UNPAIRED_LABEL = (
    "Baseline against follow-up forms, possibly from different people (unpaired: weaker evidence)"
)


@dataclass(frozen=True)
class ChangeMoments:
    """Sums over grantees of their paired change on one item; they add up like Moments.

    In `moments` each grantee is a cluster with y its summed change (scores) or better less
    worse (choices) and n its people paired: what the threshold, dominance and cluster-robust
    interval need. `squares` sums each person's squared change (scores), for the spread.
    """

    moments: Moments = field(default_factory=Moments)
    better: int = 0
    worse: int = 0
    squares: float = 0.0

    @staticmethod
    def of(changes: Iterable[PairedChange]) -> ChangeMoments:
        """From each grantee's paired change on the item (one per grantee)."""
        found = [c for c in changes if c.pairs]
        clusters = [
            (c.total if c.mean_change is not None else float(c.better - c.worse), c.pairs)
            for c in found
        ]
        return ChangeMoments(
            Moments.of(clusters),
            sum(c.better for c in found),
            sum(c.worse for c in found),
            sum(c.squares for c in found),
        )

    def __add__(self, other: ChangeMoments) -> ChangeMoments:
        return ChangeMoments(
            self.moments + other.moments,
            self.better + other.better,
            self.worse + other.worse,
            self.squares + other.squares,
        )


ChangeCell = Mapping[str, ChangeMoments]  # funder -> that funder's grantees' sums


def as_cell(cell: ChangeCell) -> Cell:
    """The Moments the disclosure rules judge (grantees, people paired, the largest grantee)."""
    return {funder: c.moments for funder, c in cell.items()}


@dataclass(frozen=True)
class PooledChange:
    pairs: int
    grantees: int
    better: float  # percent of the people paired
    same: float
    worse: float
    mean_change: float | None  # scores only
    interval: u.Interval | None  # cluster-robust 95%, around the mean change

    @property
    def indicative(self) -> bool:
        return self.pairs < pl.INDICATIVE_BELOW


@dataclass(frozen=True)
class ChangeLine:
    label: str
    figure: PooledChange | b.Withheld
    text: str


def merged(cell: ChangeCell) -> ChangeMoments:
    total = ChangeMoments()
    for part in cell.values():
        total = total + part
    return total


def pooled_change(item: ParticipantItem, cell: ChangeCell | None) -> PooledChange | b.Withheld:
    """The pooled change of a cell, or why it is withheld (the rules of every pooled cell)."""
    if not cell or not merged(cell).moments.n:
        return b.Withheld("no paired forms")
    reason = pl.withheld_reason(as_cell(cell))
    if reason is not None:
        return b.Withheld(f"not shown: {reason}")
    whole = merged(cell)
    m = whole.moments
    share = 100.0 / m.n
    mean = interval = None
    if item.kind == "score":
        mean = m.ratio
        interval = change_interval(whole)
    same = m.n - whole.better - whole.worse
    return PooledChange(
        m.n, m.grantees, whole.better * share, same * share, whole.worse * share, mean, interval
    )


def change_interval(whole: ChangeMoments) -> u.Interval:
    """Cluster-robust t interval of the mean change (grantees as clusters, G - 1 degrees of
    freedom), never narrower than the people's own spread would give at random."""
    m = whole.moments
    mean = m.ratio
    simple = 0.0
    if m.n > 1:
        simple = max(whole.squares - m.n * mean * mean, 0.0) / (m.n - 1) / m.n
    half = u.t95(m.grantees - 1) * math.sqrt(max(m.robust_variance(), simple))
    return u.Interval(mean, mean - half, mean + half)


def change_text(figure: PooledChange | b.Withheld, better: str | None) -> str:
    if isinstance(figure, b.Withheld):
        return figure.reason
    flag = "; indicative only" if figure.indicative else ""
    text = (
        f"{half_up(figure.better)}% better, {half_up(figure.same)}% the same, "
        f"{half_up(figure.worse)}% worse (n = {b.rounded_count(figure.pairs)} people paired, "
        f"from {figure.grantees} grantees{flag})"
    )
    if figure.mean_change is None:
        return text + "."
    return f"{text}; {mean_change_text(figure.mean_change, figure.interval, better)}"


def change_line(
    label: str, item: ParticipantItem, cell: ChangeCell | None, better: str | None
) -> ChangeLine:
    figure = pooled_change(item, cell)
    return ChangeLine(label, figure, change_text(figure, better))


def wellbys_text(figure: PooledChange, per_person: float, low: float, high: float) -> str:
    """Pooled WELLBYs per person paired; a total only on the rounded count of people."""
    return (
        f"Wellbeing: {signed(per_person, 2)} WELLBYs for each person paired (95% interval "
        f"{signed(low, 2)} to {signed(high, 2)}), about {b.rounded_count(figure.pairs)} people "
        f"from {figure.grantees} grantees."
    )
