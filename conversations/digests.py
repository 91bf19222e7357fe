"""View-models for funders: FunderDigest (one programme) and PooledEvidence (every programme)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from conversations import benchmarks as b
from conversations import national as nf
from conversations.benchmarks import Observation, PeerFigure, Pooled, Withheld
from conversations.framework import Framework, NumberQuestion, Question
from conversations.summaries import (
    CAVEAT,
    NationalFigure,
    fmt,
    half_up,
    national_line,
    outcome_questions,
    unit_of,
)


@dataclass(frozen=True)
class Counts:
    """Summed counts for one question version in one group (a round, an activity type)."""

    question_id: str
    version: int
    grantees: int
    x: int
    n: int
    total: float  # means: sum of mean x respondents


@dataclass(frozen=True)
class PooledLine:
    label: str
    figure: Pooled | Withheld
    text: str


@dataclass(frozen=True)
class Indicator:
    question_id: str
    title: str
    unit: str
    scale_max: float | None
    overall: PooledLine
    national: NationalFigure | None
    trend: tuple[PooledLine, ...]
    spread: PeerFigure | None
    spread_text: str
    by_activity: tuple[PooledLine, ...]


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

    @property
    def rate_text(self) -> str:
        if not self.active:
            return "No active grantees."
        share = 100 * len(self.completed) / self.active
        return f"{len(self.completed)} of {self.active} grantees have reported ({half_up(share)}%)."


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


@dataclass(frozen=True)
class PooledEvidence:
    programmes: int
    grantees: int
    indicators: tuple[Indicator, ...]
    caveat: str = CAVEAT


def figure_of(q: Question, counts: Counts | None) -> Pooled | Withheld:
    if counts is None:
        return Withheld("no answers yet")
    if unit_of(q) == "percent":
        return b.pooled_counts(counts.x, counts.n, counts.grantees)
    return b.pooled_mean(counts.total, counts.n, counts.grantees)


def pooled_text(figure: Pooled | Withheld, unit: str) -> str:
    if isinstance(figure, Withheld):
        return figure.reason
    interval = ""
    if figure.low is not None and figure.high is not None:
        interval = f", 95% CI {fmt(figure.low, unit)} to {fmt(figure.high, unit)}"
    flag = "; indicative only" if figure.indicative else ""
    return (
        f"{fmt(figure.value, unit)}{interval} (n = {b.rounded_count(figure.n)} responses from "
        f"{figure.grantees} grantees{flag})"
    )


def spread_of(q: Question, observations: Sequence[Observation]) -> PeerFigure | Withheld:
    """Quartiles across grantees (each with enough responses); no grantee's own value."""
    values = [o.value for o in b.same_version(observations, q.id, q.version) if o.qualifies]
    if len(values) < b.MIN_PEERS:
        return Withheld(
            f"not shown: fewer than {b.MIN_PEERS} grantees with {b.MIN_RESPONSES}+ responses"
        )
    q1, median, q3 = b.quartiles(values)
    return PeerFigure(median=median, q1=q1, q3=q3, grantees=len(values), percentile_rank=None)


def indicator(
    q: Question,
    *,
    overall: Counts | None,
    trend: Sequence[tuple[str, Counts | None]],
    by_activity: Mapping[str, Counts],
    observations: Sequence[Observation] = (),
    with_spread: bool = True,
    local_authorities: Sequence[str] = (),
) -> Indicator:
    unit = unit_of(q)
    whole = figure_of(q, overall)
    cells = b.secondary_suppression({k: figure_of(q, v) for k, v in sorted(by_activity.items())})
    spread = spread_of(q, observations) if with_spread else Withheld("")
    spread_text = (
        f"Across grantees: median {fmt(spread.median, unit)}, middle half {fmt(spread.q1, unit)} "
        f"to {fmt(spread.q3, unit)} (n = {spread.grantees} grantees)."
        if isinstance(spread, PeerFigure)
        else f"Across grantees: {spread.reason}."
    )
    value = whole.value if isinstance(whole, Pooled) else None
    # the grantees' local authorities decide whose national figure, if any, is comparable
    national = national_line(nf.for_group(q, local_authorities), value, unit, "The pooled figure")
    return Indicator(
        question_id=q.id,
        title=q.short,
        unit=unit,
        scale_max=q.max if isinstance(q, NumberQuestion) else None,
        overall=PooledLine("All grantees", whole, pooled_text(whole, unit)),
        national=national,
        trend=tuple(
            PooledLine(label, fig, pooled_text(fig, unit))
            for label, fig in ((label, figure_of(q, c)) for label, c in trend)
        ),
        spread=spread if isinstance(spread, PeerFigure) else None,
        spread_text=spread_text,
        by_activity=tuple(
            PooledLine(label, fig, pooled_text(fig, unit)) for label, fig in cells.items()
        ),
    )


def outcome_indicators(
    framework: Framework,
    *,
    overall: Mapping[str, Counts],
    trend: Sequence[tuple[str, Mapping[str, Counts]]],
    by_activity: Mapping[str, Mapping[str, Counts]],
    observations: Sequence[Observation] = (),
    with_spread: bool = True,
    local_authorities: Sequence[str] = (),
) -> tuple[Indicator, ...]:
    """Every outcome question; maps are keyed by question id (then period or activity)."""
    return tuple(
        indicator(
            q,
            overall=overall.get(q.id),
            trend=[(period, counts.get(q.id)) for period, counts in trend],
            by_activity=by_activity.get(q.id, {}),
            observations=observations,
            with_spread=with_spread,
            local_authorities=local_authorities,
        )
        for q in outcome_questions(framework)
    )
