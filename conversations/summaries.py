"""View-models every summary template receives: GranteeSummary, FunderDigest, PooledEvidence."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal

from conversations import benchmarks as b
from conversations import national as nf
from conversations import uncertainty as u
from conversations.benchmarks import Observation, PeerFigure, Withheld
from conversations.change_views import ParticipantChange
from conversations.framework import (
    CountQuestion,
    Framework,
    NationalBenchmark,
    NumberQuestion,
    ProportionQuestion,
    Question,
)

CAVEAT = (
    "Participants who fill in your forms are not a national sample: they chose to take part "
    "and may differ from the population in age, background and circumstances, so national "
    "figures are context, not a measure of your effect."
)
# sessions, participants, first-timers, volunteers, hours (the list of outputs)
OUTPUT_IDS = ("O1", "O3", "O4", "O5", "O5H")


@dataclass(frozen=True)
class NationalFigure:
    """An official figure beside ours; value None says there is none comparable (sentence why)."""

    value: float | None
    unit: str  # "percent" or "mean"
    measure: str
    year: str
    geography: str
    source_title: str
    source_url: str
    sentence: str


@dataclass(frozen=True)
class IndicatorSummary:
    question_id: str
    version: int
    title: str
    unit: str  # "percent" or "mean"
    scale_max: float | None
    value: float | None  # shown only when it passes disclosure control
    n: int | None
    x: int | None
    indicative: bool
    interval: u.Interval | None  # 95%, around `value`
    better: str | None  # "higher" or "lower": which way is better for this measure
    sentence: str
    change_sentence: str | None
    peers: PeerFigure | None
    peer_sentence: str
    national: NationalFigure | None


@dataclass(frozen=True)
class OutputSummary:
    question_id: str
    title: str
    unit: str
    value: int | None
    peers: PeerFigure | None
    sentence: str


@dataclass(frozen=True)
class GranteeSummary:
    grantee_name: str
    organisation: str
    programme_name: str
    period: str
    indicators: tuple[IndicatorSummary, ...]
    outputs: tuple[OutputSummary, ...]
    caveat: str = CAVEAT
    participants: ParticipantChange | None = None  # change from the grantee's own forms


# ---- which questions -----------------------------------------------------------------------


def respondents_question(framework: Framework, q: Question) -> str | None:
    """The count question holding how many answered a mean question (the one it is asked if)."""
    if isinstance(q, NumberQuestion) and q.ask_if is not None:
        target = framework.by_id.get(q.ask_if.question)
        if isinstance(target, CountQuestion):
            return target.id
    return None


def indicator_questions(framework: Framework) -> list[Question]:
    """Headline outcome indicators: 'x of n' proportions and reported means."""
    return [
        q
        for q in framework.questions
        if q.headline
        and (isinstance(q, ProportionQuestion) or respondents_question(framework, q) is not None)
    ]


def outcome_questions(framework: Framework) -> list[Question]:
    """Every proportion or mean question, headline or not (digests and evidence)."""
    return [
        q
        for q in framework.questions
        if isinstance(q, ProportionQuestion) or respondents_question(framework, q) is not None
    ]


def output_questions(framework: Framework) -> list[CountQuestion]:
    chosen = [framework.by_id.get(qid) for qid in OUTPUT_IDS]
    found = [q for q in chosen if isinstance(q, CountQuestion)]
    if found:
        return found
    return [q for q in framework.questions if isinstance(q, CountQuestion) and q.headline]


def unit_of(q: Question) -> str:
    return "percent" if isinstance(q, ProportionQuestion) else "mean"


NEAR = "near"  # outside the peers' middle half, but not beyond sampling noise

# ---- formatting ------------------------------------------------------------------------------


def _rounded(value: float | Decimal, places: int = 0) -> Decimal:
    exact = value if isinstance(value, Decimal) else Decimal(repr(value))
    return exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def half_up(value: float, places: int = 0) -> str:
    """`value` rounded half away from zero, as people round: 12.5 is 13, 8.25 is 8.3.

    Python's formatting rounds halves to even (12.5 gives 12), which would show a share as
    12% in a summary beside the 13% of the same answer in the grantee's review.
    """
    return str(_rounded(value, places))


def _places(unit: str) -> int:
    """Decimals shown: whole percentages; means to one place."""
    return 0 if unit == "percent" else 1


def _shown(value: float, unit: str) -> Decimal:
    """The value as `fmt` shows it, so differences read the same as the figures beside them."""
    return _rounded(value, _places(unit))


def _count(value: float) -> str:
    return f"{int(_rounded(value)):,}"


def fmt(value: float, unit: str) -> str:
    shown = str(_shown(value, unit))
    return f"{shown}%" if unit == "percent" else shown


def published(value: float, unit: str) -> str:
    """A national figure as its source publishes it (6.6%, 7.45), not rounded to ours."""
    return f"{value:g}%" if unit == "percent" else f"{value:g}"


def points(value: Decimal, unit: str) -> str:
    """A difference between two figures, `value` in percentage points or points of a mean."""
    word = "percentage point" if unit == "percent" else "point"
    size = str(_rounded(abs(value), _places(unit)))
    return f"{size} {word}{'' if size == '1' else 's'}"


def judged(sign: int, better: str | None) -> str:
    """', which is better' or ', which is worse' for a difference's sign, where a side is."""
    if sign == 0 or better is None:
        return ""
    good = (sign > 0) == (better == "higher")
    return ", which is better" if good else ", which is worse"


def own_interval(q: Question, obs: Observation) -> u.Interval | None:
    """The 95% interval around a grantee's own shown figure."""
    if not obs.qualifies or obs.n is None:
        return None
    if isinstance(q, ProportionQuestion) and obs.x is not None:
        return u.proportion_interval(obs.x, obs.n)
    if isinstance(q, NumberQuestion) and q.max is not None:
        return u.mean_interval(obs.value, obs.n, q.min if q.min is not None else 0.0, q.max)
    return None


def national_figure(
    bench: NationalBenchmark,
    value: float | None,
    unit: str,
    subject: str,
    *,
    interval: u.Interval | None = None,
    better: str | None = None,
) -> NationalFigure:
    """The national figure's sentence; above or below only where the national figure lies
    outside the 95% interval around ours (the national survey's own error is far smaller)."""
    shown = published(bench.value, unit)
    sentence = (
        f"National figure: {shown} {bench.measure} ({bench.geography}, {bench.year}; "
        f"source: {bench.source_title})."
    )
    if value is not None:
        # from the figure as shown: 68% against 65% reads as 3 points, whatever the decimals
        gap = _shown(value, unit) - Decimal(repr(bench.value))
        noise = interval is not None and interval.contains(bench.value)
        if _rounded(gap, _places(unit)) == 0 or noise:
            sentence += f" {subject} is about the same"
            sentence += ", within sampling error." if noise and gap else "."
        else:
            side = "above" if gap > 0 else "below"
            sign = 1 if gap > 0 else -1
            sentence += f" {subject} is {points(gap, unit)} {side} it{judged(sign, better)}."
    return NationalFigure(
        value=bench.value,
        unit=unit,
        measure=bench.measure,
        year=bench.year,
        geography=bench.geography,
        source_title=bench.source_title,
        source_url=str(bench.source_url),
        sentence=sentence,
    )


def national_line(
    choice: nf.Choice,
    value: float | None,
    unit: str,
    subject: str,
    *,
    interval: u.Interval | None = None,
    better: str | None = None,
) -> NationalFigure | None:
    """The national figure the picker chose, with its table and mode, or why there is none."""
    if choice is None:
        return None
    if isinstance(choice, nf.NoFigure):
        return NationalFigure(None, unit, "", "", "", "", "", choice.reason)
    figure = national_figure(choice, value, unit, subject, interval=interval, better=better)
    return replace(figure, sentence=f"{figure.sentence} {nf.context(choice)}")


def peer_sentence(
    peers: PeerFigure | Withheld,
    unit: str,
    programme: str,
    better: str | None = None,
    interval: u.Interval | None = None,
) -> str:
    if isinstance(peers, Withheld):
        return f"Other grantees: {peers.reason}."
    text = (
        f"Other grantees in {programme}: median {fmt(peers.median, unit)}, middle half "
        f"{fmt(peers.q1, unit)} to {fmt(peers.q3, unit)} (n = {peers.grantees} grantees)."
    )
    if peers.band is not None:
        text += " " + band_sentence(_clear_band(peers, interval), better)
    return text


def _clear_band(peers: PeerFigure, interval: u.Interval | None) -> str:
    """Below or above the middle half only where the grantee's whole interval is; else within
    reach of it by chance (the band still uses nothing but the published quartiles)."""
    if interval is None or peers.band is None:
        return peers.band or b.WITHIN
    if peers.band == b.BELOW and interval.high >= peers.q1:
        return NEAR
    if peers.band == b.ABOVE and interval.low <= peers.q3:
        return NEAR
    return peers.band


def band_sentence(band: str, better: str | None = None) -> str:
    """Which side of the peers' middle half: bands, never an exact rank (docs/summaries.md)."""
    if band == b.WITHIN:
        return "Yours is within their middle half."
    if band == NEAR:
        return "Yours is outside their middle half by no more than sampling noise."
    return f"Yours is {band} their middle half{judged(1 if band == b.ABOVE else -1, better)}."


def _interval_text(interval: u.Interval | None, unit: str) -> str:
    if interval is None:
        return ""
    return f"; 95% interval {fmt(interval.low, unit)} to {fmt(interval.high, unit)}"


def own_sentence(q: Question, obs: Observation | None, framework: Framework) -> str:
    if obs is None:
        return "You didn't report this one this round."
    withheld = b.own_figure(obs)
    if withheld is not None:
        return f"{obs.n} participants answered: {withheld.reason}."
    interval = _interval_text(own_interval(q, obs), unit_of(q))
    small = (
        f" (fewer than {b.INDICATIVE_BELOW} responses: indicative only)"
        if obs.n is not None and obs.n < b.INDICATIVE_BELOW
        else ""
    )
    if isinstance(q, ProportionQuestion):
        return (
            f"{fmt(obs.value, 'percent')}{small} of {obs.n} participants ({obs.x} of {obs.n}"
            f"{interval}) said {q.numerator}."
        )
    top = f" out of {q.max:g}" if isinstance(q, NumberQuestion) and q.max is not None else ""
    return (
        f"An average of {fmt(obs.value, 'mean')}{top}{small} from {obs.n} participants{interval}."
    )


def change_sentence(
    q: Question, obs: Observation | None, previous: tuple[str, Observation] | None
) -> str | None:
    """Up or down only where the change is larger than sampling noise (Newcombe's interval for
    a difference of two shares); otherwise about the same."""
    unit = unit_of(q)
    if obs is None or previous is None or not obs.qualifies:
        return None
    period, before = previous
    if not before.qualifies or before.version != obs.version:
        return None
    now_i, before_i = own_interval(q, obs), own_interval(q, before)
    # the difference of the figures as shown: "from 61%" to 68% is up 7 points, not 8
    delta = _shown(obs.value, unit) - _shown(before.value, unit)
    sign = 0 if delta == 0 else (1 if delta > 0 else -1)
    if now_i is not None and before_i is not None:
        sign = sign if u.direction(*u.difference_interval(now_i, before_i)) == sign else 0
    if sign == 0:
        if delta == 0:
            return f"The same as in {period} ({fmt(before.value, unit)})."
        return (
            f"About the same as in {period} ({fmt(before.value, unit)}): the change of "
            f"{points(delta, unit)} is within sampling noise."
        )
    word = "Up" if sign > 0 else "Down"
    return (
        f"{word} {points(delta, unit)} from {fmt(before.value, unit)} in {period}"
        f"{judged(sign, q.better)}."
    )


# ---- the grantee summary ---------------------------------------------------------------------


def grantee_summary(
    framework: Framework,
    *,
    grantee_id: int,
    grantee_name: str,
    organisation: str,
    programme_name: str,
    period: str,
    round_observations: Sequence[Observation],
    previous: Mapping[str, tuple[str, Observation]],
    local_authority: str | None = None,
) -> GranteeSummary:
    """Indicators and outputs of one grantee's check-in beside its peers and national figures.

    `round_observations` holds every completed check-in of the round (the grantee's own
    included; it is left out of its peer set here). `previous` maps a question id to the
    grantee's latest earlier answer and that round's period. `local_authority` decides which
    nation's (or council area's) national figures apply.
    """
    own = {o.question_id: o for o in round_observations if o.grantee_id == grantee_id}
    indicators = []
    for q in indicator_questions(framework):
        obs = own.get(q.id)
        unit = unit_of(q)
        peers = b.compare_with_peers(
            obs,
            round_observations,
            grantee_id=grantee_id,
            question_id=q.id,
            version=q.version,
            places=_places(unit),
        )
        shown = obs is not None and obs.qualifies
        interval = own_interval(q, obs) if obs is not None else None
        national = national_line(
            nf.for_grantee(q, local_authority),
            obs.value if shown and obs else None,
            unit,
            "Yours",
            interval=interval,
            better=q.better,
        )
        indicators.append(
            IndicatorSummary(
                question_id=q.id,
                version=q.version,
                title=q.short,
                unit=unit,
                scale_max=q.max if isinstance(q, NumberQuestion) else None,
                value=obs.value if shown and obs else None,
                n=obs.n if obs else None,
                x=obs.x if shown and obs else None,
                indicative=bool(obs and obs.n is not None and obs.n < b.INDICATIVE_BELOW),
                interval=interval,
                better=q.better,
                sentence=own_sentence(q, obs, framework),
                change_sentence=change_sentence(q, obs, previous.get(q.id)),
                peers=peers if isinstance(peers, PeerFigure) else None,
                peer_sentence=peer_sentence(peers, unit, programme_name, q.better, interval),
                national=national,
            )
        )
    outputs = []
    for cq in output_questions(framework):
        obs = own.get(cq.id)
        peers = b.compare_with_peers(
            obs, round_observations, grantee_id=grantee_id, question_id=cq.id, version=cq.version
        )
        value = int(obs.value) if obs else None
        mine = f"{value:,} {cq.unit}" if value is not None else "not reported"
        if isinstance(peers, PeerFigure):
            rank = (
                "; " + band_sentence(peers.band).rstrip(".").lower()
                if peers.band is not None and value is not None
                else ""
            )
            others = (
                f"others' median {_count(peers.median)}, middle half {_count(peers.q1)} to "
                f"{_count(peers.q3)} (n = {peers.grantees} grantees){rank}"
            )
        else:
            others = f"others {peers.reason}"
        outputs.append(
            OutputSummary(
                question_id=cq.id,
                title=cq.short,
                unit=cq.unit,
                value=value,
                peers=peers if isinstance(peers, PeerFigure) else None,
                sentence=f"{cq.short}: {mine}; {others}.",
            )
        )
    return GranteeSummary(
        grantee_name=grantee_name,
        organisation=organisation,
        programme_name=programme_name,
        period=period,
        indicators=tuple(indicators),
        outputs=tuple(outputs),
    )
