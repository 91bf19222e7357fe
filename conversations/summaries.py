"""View-models every summary template receives: GranteeSummary, FunderDigest, PooledEvidence."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal

from conversations import benchmarks as b
from conversations import national as nf
from conversations.benchmarks import Observation, PeerFigure, Withheld
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


def ordinal(rank: float) -> str:
    whole = round(rank)
    suffix = "th" if 10 <= whole % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(whole % 10, "th")
    return f"{whole}{suffix}"


def national_figure(
    bench: NationalBenchmark, value: float | None, unit: str, subject: str
) -> NationalFigure:
    shown = published(bench.value, unit)
    sentence = (
        f"National figure: {shown} {bench.measure} ({bench.geography}, {bench.year}; "
        f"source: {bench.source_title})."
    )
    if value is not None:
        # from the figure as shown: 68% against 65% reads as 3 points, whatever the decimals
        gap = _shown(value, unit) - Decimal(repr(bench.value))
        if _rounded(gap, _places(unit)) == 0:
            sentence += f" {subject} is about the same."
        else:
            side = "above" if gap > 0 else "below"
            sentence += f" {subject} is {points(gap, unit)} {side} it."
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
    choice: nf.Choice, value: float | None, unit: str, subject: str
) -> NationalFigure | None:
    """The national figure the picker chose, with its table and mode, or why there is none."""
    if choice is None:
        return None
    if isinstance(choice, nf.NoFigure):
        return NationalFigure(None, unit, "", "", "", "", "", choice.reason)
    figure = national_figure(choice, value, unit, subject)
    return replace(figure, sentence=f"{figure.sentence} {nf.context(choice)}")


def peer_sentence(peers: PeerFigure | Withheld, unit: str, programme: str) -> str:
    if isinstance(peers, Withheld):
        return f"Other grantees: {peers.reason}."
    text = (
        f"Other grantees in {programme}: median {fmt(peers.median, unit)}, middle half "
        f"{fmt(peers.q1, unit)} to {fmt(peers.q3, unit)} (n = {peers.grantees} grantees)."
    )
    if peers.percentile_rank is not None:
        text += " " + rank_sentence(peers.percentile_rank)
    return text


def rank_sentence(rank: float) -> str:
    if rank >= 100:
        return "Yours is higher than all of theirs."
    if rank <= 0:
        return "Yours is lower than all of theirs."
    return f"You are at the {ordinal(rank)} percentile."


def own_sentence(q: Question, obs: Observation | None, framework: Framework) -> str:
    if obs is None:
        return "You didn't report this one this round."
    withheld = b.own_figure(obs)
    if withheld is not None:
        return f"{obs.n} participants answered: {withheld.reason}."
    if isinstance(q, ProportionQuestion):
        text = (
            f"{fmt(obs.value, 'percent')} of {obs.n} participants ({obs.x} of {obs.n}) "
            f"said {q.numerator}."
        )
    else:
        top = f" out of {q.max:g}" if isinstance(q, NumberQuestion) and q.max is not None else ""
        text = f"An average of {fmt(obs.value, 'mean')}{top} from {obs.n} participants."
    if obs.n is not None and obs.n < b.INDICATIVE_BELOW:
        text += f" Fewer than {b.INDICATIVE_BELOW} responses: indicative only."
    return text


def change_sentence(
    obs: Observation | None, previous: tuple[str, Observation] | None, unit: str
) -> str | None:
    if obs is None or previous is None or not obs.qualifies:
        return None
    period, before = previous
    if not before.qualifies or before.version != obs.version:
        return None
    # the difference of the figures as shown: "from 61%" to 68% is up 7 points, not 8
    delta = _shown(obs.value, unit) - _shown(before.value, unit)
    if delta == 0:
        return f"The same as in {period} ({fmt(before.value, unit)})."
    direction = "Up" if delta > 0 else "Down"
    return f"{direction} {points(delta, unit)} from {fmt(before.value, unit)} in {period}."


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
            obs, round_observations, grantee_id=grantee_id, question_id=q.id, version=q.version
        )
        shown = obs is not None and obs.qualifies
        national = national_line(
            nf.for_grantee(q, local_authority), obs.value if shown and obs else None, unit, "Yours"
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
                sentence=own_sentence(q, obs, framework),
                change_sentence=change_sentence(obs, previous.get(q.id), unit),
                peers=peers if isinstance(peers, PeerFigure) else None,
                peer_sentence=peer_sentence(peers, unit, programme_name),
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
                "; " + rank_sentence(peers.percentile_rank).rstrip(".").lower()
                if peers.percentile_rank is not None and value is not None
                else ""
            )
            others = (
                f"others' median {peers.median:,.0f}, middle half {peers.q1:,.0f} to "
                f"{peers.q3:,.0f} (n = {peers.grantees} grantees){rank}"
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
