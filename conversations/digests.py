"""View-models for funders: FunderDigest (one programme) and PooledEvidence (every programme)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from conversations import benchmarks as b
from conversations import national as nf
from conversations import pooling as pl
from conversations import uncertainty as u
from conversations.framework import Framework, NumberQuestion, Question
from conversations.pooled_change import ChangeLine
from conversations.pooling import Cell, Moments
from conversations.summaries import (
    CAVEAT,
    NationalFigure,
    fmt,
    half_up,
    judged,
    national_line,
    outcome_questions,
    points,
    unit_of,
)

MANY_GROUPS = (
    "Comparing several groups at once: with this many, one or two can look different by chance "
    "alone. These figures describe who took part in each kind of activity; they do not show "
    "that one kind of activity causes better outcomes."
)


@dataclass(frozen=True)
class Pooled:
    """A pooled figure across grantees with its cluster-robust 95% interval."""

    value: float
    n: int
    grantees: int
    interval: u.Interval
    deff: float  # design effect: how much clustering within grantees widens the interval
    spread: float | None  # standard deviation of the grantees' own figures, when 10+ grantees

    @property
    def indicative(self) -> bool:
        return self.n < pl.INDICATIVE_BELOW


@dataclass(frozen=True)
class PooledLine:
    label: str
    figure: Pooled | b.Withheld
    text: str


@dataclass(frozen=True)
class FunnelPoint:
    n: int
    value: float


@dataclass(frozen=True)
class Funnel:
    """Grantees' figures against the pooled one, with limits that widen for small samples."""

    pooled: float
    points: tuple[FunnelPoint, ...]
    above: int  # outside the 99.8% limits
    below: int
    text: str


@dataclass(frozen=True)
class Indicator:
    question_id: str
    title: str
    unit: str
    scale_max: float | None
    better: str | None
    headline: bool
    overall: PooledLine
    national: NationalFigure | None
    trend: tuple[PooledLine, ...]
    trend_sentence: str
    by_activity: tuple[PooledLine | ChangeLine, ...]  # change where paired change is shown
    activity_note: str
    funnel: Funnel | None = None
    change: ChangeLine | None = None  # paired change from participants' forms, or why not
    unpaired: str = ""  # forms' baseline and follow-up levels where no paired change is shown
    activity_compares: str = "level"  # or "change"


@dataclass(frozen=True)
class Quote:
    organisation: str
    text: str


@dataclass(frozen=True)
class Response:
    active: int
    completed: tuple[str, ...]
    in_progress: tuple[str, ...]
    not_started: tuple[str, ...]
    stopped: tuple[str, ...]  # opted out of this round
    late: tuple[str, ...]
    away: tuple[str, ...]
    reminders: int
    in_figures: int = 0  # completed check-ins the figures use (whole blocks, in order)

    @property
    def rate_text(self) -> str:
        if not self.active:
            return "No active grantees."
        share = 100 * len(self.completed) / self.active
        return f"{len(self.completed)} of {self.active} grantees have reported ({half_up(share)}%)."

    @property
    def figures_text(self) -> str:
        """Why the figures may use fewer check-ins than have been completed."""
        done = len(self.completed)
        if done == self.in_figures:
            return f"The figures below use all {done} completed check-ins."
        following = self.in_figures + b.PEER_BLOCK
        return (
            f"The figures below use the first {self.in_figures} completed check-ins; they next "
            f"change when {following} have been completed, so that no single grantee's answers "
            "can be told apart by comparing two digests."
        )


@dataclass(frozen=True)
class OutputTotal:
    title: str
    total: str  # rounded for publication
    grantees: int


@dataclass(frozen=True)
class FunderDigest:
    funder_name: str
    programme_name: str
    period: str
    incidents: tuple[Quote, ...]
    response: Response
    outputs: tuple[OutputTotal, ...]
    indicators: tuple[Indicator, ...]
    stories: tuple[Quote, ...]
    caveat: str = CAVEAT
    business: tuple[str, ...] = ()  # cost per participant and wellbeing, where shown

    @property
    def headlines(self) -> tuple[Indicator, ...]:
        return tuple(i for i in self.indicators if i.headline)


@dataclass(frozen=True)
class PooledEvidence:
    programmes: int
    grantees: int
    indicators: tuple[Indicator, ...]
    caveat: str = CAVEAT
    business: tuple[str, ...] = ()


def figure_of(q: Question, cell: Cell | None) -> Pooled | b.Withheld:
    """The pooled figure of a cell (funder -> sums), or why it is withheld."""
    if not cell:
        return b.Withheld("no answers yet")
    reason = pl.withheld_reason(cell)
    if reason is not None:
        return b.Withheld(f"not shown: {reason}")
    whole = pl.merged(cell.values())
    return pooled(q, whole)


def pooled(q: Question, whole: Moments) -> Pooled:
    if isinstance(q, NumberQuestion) and q.max is not None:
        interval, deff = pl.mean_interval(whole, q.min if q.min is not None else 0.0, q.max)
        spread = whole.spread()
    else:
        interval, deff = pl.proportion_interval(whole)
        spread = None if (sd := whole.spread()) is None else 100.0 * sd
    return Pooled(interval.estimate, whole.n, whole.grantees, interval, deff, spread)


def pooled_text(figure: Pooled | b.Withheld, unit: str) -> str:
    if isinstance(figure, b.Withheld):
        return figure.reason
    i = figure.interval
    flag = "; indicative only" if figure.indicative else ""
    return (
        f"{fmt(figure.value, unit)}, 95% CI {fmt(i.low, unit)} to {fmt(i.high, unit)} "
        f"(n = {b.rounded_count(figure.n)} responses from {figure.grantees} grantees{flag})"
    )


def spread_text(figure: Pooled | b.Withheld, unit: str) -> str:
    if isinstance(figure, b.Withheld) or figure.spread is None:
        return ""
    return f"; grantees' own figures vary by {points_of(figure.spread, unit)} (standard deviation)"


def points_of(value: float, unit: str) -> str:
    return points(Decimal(repr(value)), unit)


def trend_sentence(q: Question, trend: Sequence[PooledLine], unit: str) -> str:
    """The latest shown round against the one before: up or down only beyond sampling noise
    (the two intervals combined as for a difference; rounds sharing grantees makes it
    cautious)."""
    shown = [(t.label, t.figure) for t in trend if isinstance(t.figure, Pooled)]
    if len(shown) < 2:
        return "No trend yet: fewer than two rounds with a figure to show."
    (before_label, before), (_, now) = shown[-2], shown[-1]
    assert isinstance(before, Pooled) and isinstance(now, Pooled)
    sign = u.direction(*u.difference_interval(now.interval, before.interval))
    if sign == 0:
        return (
            f"About the same as {before_label} ({fmt(before.value, unit)}): the change is within "
            "sampling noise."
        )
    word = "Up" if sign > 0 else "Down"
    gap = Decimal(repr(now.value)) - Decimal(repr(before.value))
    return (
        f"{word} {points(gap, unit)} from {fmt(before.value, unit)} in {before_label}"
        f"{judged(sign, q.better)}."
    )


def funnel_of(
    q: Question, figure: Pooled | b.Withheld, values: Sequence[tuple[int, float]]
) -> Funnel | None:
    """Each grantee (n, percentage) against the pooled percentage; proportions only."""
    if unit_of(q) != "percent" or not isinstance(figure, Pooled) or not values:
        return None
    above = below = 0
    for n, value in values:
        low, high = pl.funnel_limits(figure.value, n, pl.Z998)
        above += value > high
        below += value < low
    text = (
        f"{len(values)} grantees against the pooled {fmt(figure.value, 'percent')}: "
        f"{above} above and {below} below the 99.8% limits, which widen for grantees with fewer "
        "responses; the rest differ from the pooled figure by no more than chance would give."
    )
    return Funnel(figure.value, tuple(FunnelPoint(n, v) for n, v in values), above, below, text)


def indicator(
    q: Question,
    *,
    overall: Cell | None,
    trend: Sequence[tuple[str, Cell | None]],
    by_activity: Mapping[str, Cell],
    trend_is_breakdown: bool = False,
    funnel: Sequence[tuple[int, float]] = (),
    local_authorities: Sequence[str] = (),
) -> Indicator:
    unit = unit_of(q)
    whole = figure_of(q, overall)
    value = whole.value if isinstance(whole, Pooled) else None
    interval = whole.interval if isinstance(whole, Pooled) else None
    # the grantees' local authorities decide whose national figure, if any, is comparable
    national = national_line(
        nf.for_group(q, local_authorities),
        value,
        unit,
        "The pooled figure",
        interval=interval,
        better=q.better,
    )
    activity_rules = pl.protect_breakdown(dict(sorted(by_activity.items())), disjoint=True)
    shown_types = [k for k, why in activity_rules.items() if why is None]
    activities = []
    for label in shown_types:
        fig = figure_of(q, by_activity[label])
        activities.append(PooledLine(label, fig, pooled_text(fig, unit) + spread_text(fig, unit)))
    left_out = len(activity_rules) - len(shown_types)
    note = MANY_GROUPS if len(activities) > 1 else ""
    if left_out:
        note += (
            f" {left_out} activity type{'s' if left_out > 1 else ''} with too few grantees to "
            "show safely left out."
        )
    trend_cells = dict(trend)
    hidden_periods = (
        pl.protect_breakdown({k: v for k, v in trend_cells.items() if v}, disjoint=False)
        if trend_is_breakdown
        else {}
    )
    lines = []
    for label, cell in trend:
        fig = figure_of(q, cell)
        if hidden_periods.get(label) and isinstance(fig, Pooled):
            fig = b.Withheld(f"not shown: {hidden_periods[label]}")
        lines.append(PooledLine(label, fig, pooled_text(fig, unit)))
    return Indicator(
        question_id=q.id,
        title=q.short,
        unit=unit,
        scale_max=q.max if isinstance(q, NumberQuestion) else None,
        better=q.better,
        headline=q.headline,
        overall=PooledLine("All grantees", whole, pooled_text(whole, unit)),
        national=national,
        trend=tuple(lines),
        trend_sentence=trend_sentence(q, lines, unit),
        by_activity=tuple(activities),
        activity_note=note.strip(),
        funnel=funnel_of(q, whole, funnel),
    )


def outcome_indicators(
    framework: Framework,
    *,
    overall: Mapping[str, Cell],
    trend: Sequence[tuple[str, Mapping[str, Cell]]],
    by_activity: Mapping[str, Mapping[str, Cell]],
    funnels: Mapping[str, Sequence[tuple[int, float]]] | None = None,
    trend_is_breakdown: bool = False,
    local_authorities: Sequence[str] = (),
) -> tuple[Indicator, ...]:
    """Every outcome question that has answers anywhere; maps are keyed by question id (then
    period or activity)."""
    answered = {*overall, *by_activity, *(qid for _, cells in trend for qid in cells)}
    return tuple(
        indicator(
            q,
            overall=overall.get(q.id),
            trend=[(period, cells.get(q.id)) for period, cells in trend],
            by_activity=by_activity.get(q.id, {}),
            trend_is_breakdown=trend_is_breakdown,
            funnel=(funnels or {}).get(q.id, ()),
            local_authorities=local_authorities,
        )
        for q in outcome_questions(framework)
        if q.id in answered
    )
