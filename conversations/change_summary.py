"""A grantee's own change among its participants, and its business case, in plain sentences."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from decimal import Decimal

from conversations import benchmarks as b
from conversations import uncertainty as u
from conversations.business_case import Assumptions, cost_per_participant, wellbeing_value
from conversations.change_views import ItemChange, ItemLevels, ParticipantChange
from conversations.framework import Framework, ProportionQuestion
from conversations.participant_change import PairedChange, UnpairedChange, unpaired_changes
from conversations.participant_figures import FormFigures
from conversations.participant_items import ParticipantItem
from conversations.summaries import fmt, half_up, judged, points

# the rules for a grantee's own figures apply to its change too (docs/summaries.md)
MIN_PAIRS = b.MIN_RESPONSES  # no change shown from fewer people paired
INDICATIVE_PAIRS = b.INDICATIVE_BELOW  # fewer people paired are flagged "indicative only"


def signed(value: float, places: int = 1) -> str:
    """A change with its sign, rounded half up: +0.8, -1.2, 0.0."""
    shown = half_up(value, places)
    if Decimal(shown) == 0:
        return half_up(0.0, places)
    return shown if shown.startswith("-") else f"+{shown}"


def _small(count: int, what: str = " people") -> str:
    if count < INDICATIVE_PAIRS:
        return f" (fewer than {INDICATIVE_PAIRS}{what}: indicative only)"
    return ""


def _movement(item: ParticipantItem, numerator: str) -> str:
    """What 'better' means for a choice: into the counted answers, or out of them."""
    way = "out of" if item.lower_is_better else "into"
    return f"better means moving {way} \u201c{numerator}\u201d"


def item_change(item: ParticipantItem, change: PairedChange, framework: Framework) -> ItemChange:
    q = framework.question(item.fills)
    if change.pairs < MIN_PAIRS:
        sentence = (
            f"{change.pairs} people filled in both forms: fewer than {MIN_PAIRS}, so no change "
            "is shown."
        )
        return ItemChange(q.id, q.short, change.pairs, False, 0, 0, 0, None, None, False, sentence)
    counts = (
        f"Among the same {change.pairs} people{_small(change.pairs)}: {change.better} better, "
        f"{change.same} the same, {change.worse} worse"
    )
    interval = None
    if change.mean_change is None:
        numerator = q.numerator if isinstance(q, ProportionQuestion) else q.short
        sentence = f"{counts} ({_movement(item, numerator)})."
    else:
        if change.ci_low is not None and change.ci_high is not None:
            interval = u.Interval(change.mean_change, change.ci_low, change.ci_high)
        sentence = f"{counts}; {mean_change_text(change.mean_change, interval, q.better)}"
    return ItemChange(
        q.id,
        q.short,
        change.pairs,
        True,
        change.better,
        change.same,
        change.worse,
        change.mean_change,
        interval,
        change.pairs < INDICATIVE_PAIRS,
        sentence,
    )


def mean_change_text(mean: float, interval: u.Interval | None, better: str | None) -> str:
    """'on average up 0.8 points (95% interval +0.3 to +1.3), which is better.': up or down
    only where the interval leaves out zero, otherwise within sampling noise."""
    span = "" if interval is None else f" (95% interval {signed(interval.low)} to "
    span += "" if interval is None else f"{signed(interval.high)})"
    sign = 0 if interval is None else u.direction(interval.low, interval.high)
    size = points(Decimal(half_up(abs(mean), 1)), "mean")
    if sign == 0:
        return f"on average {signed(mean)} points{span}: about the same, within sampling noise."
    word = "up" if sign > 0 else "down"
    return f"on average {word} {size}{span}{judged(sign, better)}."


def item_levels(item: ParticipantItem, levels: UnpairedChange, framework: Framework) -> ItemLevels:
    """Baseline against follow-up forms, up or down only beyond sampling noise, labelled weaker."""
    q = framework.question(item.fills)
    unit = levels.unit
    fewest = min(levels.baseline_n, levels.follow_up_n)
    if fewest < b.MIN_RESPONSES:
        sentence = (
            f"{levels.baseline_n} baseline and {levels.follow_up_n} follow-up forms answered: "
            f"fewer than {b.MIN_RESPONSES} on one side, so no comparison is shown."
        )
        return ItemLevels(q.id, q.short, sentence)
    before = _interval(item, levels.baseline, levels.baseline_n)
    after = _interval(item, levels.follow_up, levels.follow_up_n)
    sign = u.direction(*u.difference_interval(after, before))
    places = 0 if unit == "percent" else 1  # the difference of the figures as shown
    gap = Decimal(half_up(levels.follow_up, places)) - Decimal(half_up(levels.baseline, places))
    if sign == 0:
        moved = "about the same, within sampling noise"
    else:
        moved = f"{'up' if sign > 0 else 'down'} {points(gap, unit)}{judged(sign, q.better)}"
    small = _small(fewest, " forms on one side")
    sentence = (
        f"{fmt(levels.baseline, unit)} on {levels.baseline_n} baseline forms and "
        f"{fmt(levels.follow_up, unit)} on {levels.follow_up_n} follow-up forms{small}: {moved} "
        f"({levels.evidence})."
    )
    return ItemLevels(q.id, q.short, sentence)


def _interval(item: ParticipantItem, level: float, n: int) -> u.Interval:
    if item.kind == "choice":
        return u.Interval(level, *u.wilson_effective(level / 100.0, n))
    return u.mean_interval(level, n, item.min, item.max)


def business_lines(
    framework: Framework,
    paired: Mapping[str, PairedChange],
    *,
    grant_amount: float | None,
    participants: int | None,
    assumptions: Assumptions | None = None,
) -> Iterator[str]:
    """Cost per participant, and WELLBYs from a shown paired life satisfaction change."""
    cost = cost_per_participant(grant_amount, participants)
    if cost is not None and grant_amount is not None:
        yield (
            f"Cost per participant: {pounds(cost)} (your grant of {pounds(grant_amount)} over "
            f"the {participants:,} unique participants you reported this period)."
        )
    for item in framework.participant_items:
        change = paired.get(item.id)
        if item.kind != "score" or change is None or change.pairs < MIN_PAIRS:
            continue
        value = wellbeing_value(change, assumptions)
        if value is None:
            continue
        span = ""
        if value.low is not None and value.high is not None:
            span = f" (95% interval {half_up(value.low, 1)} to {half_up(value.high, 1)})"
        yield (
            f"Wellbeing: {half_up(value.wellbys, 1)} WELLBYs{span} for the {value.people} "
            f"people paired, {signed(value.per_person, 2)} each. {value.assumptions}"
        )
        yield value.money_note if value.money is None else f"Valued at {pounds(value.money)}."


def pounds(amount: float) -> str:
    return f"\u00a3{int(Decimal(half_up(amount))):,}"


def participant_change(
    framework: Framework,
    paired: Mapping[str, PairedChange],
    figures: FormFigures | None,
    *,
    grant_amount: float | None = None,
    participants: int | None = None,
    assumptions: Assumptions | None = None,
) -> ParticipantChange | None:
    """What a grantee's forms say about change, and its business case; None when nothing does.

    A paired change is given for every item with people paired; an unpaired comparison only
    where no paired change is shown for that item.
    """
    changes = []
    for item in framework.participant_items:
        change = paired.get(item.id)
        if change is not None and change.pairs:
            changes.append(item_change(item, change, framework))
    shown = {c.question_id for c in changes if c.shown}
    levels = []
    if figures is not None:
        by_id = {i.id: i for i in framework.participant_items}
        for item_id, level in unpaired_changes(framework, figures).items():
            item = by_id[item_id]
            if item.fills not in shown:
                levels.append(item_levels(item, level, framework))
    business = tuple(
        business_lines(
            framework,
            paired,
            grant_amount=grant_amount,
            participants=participants,
            assumptions=assumptions,
        )
    )
    held = None
    if figures is not None and figures.held:
        held = (
            f"{figures.held} online form{'s' if figures.held > 1 else ''} held because they "
            "arrived like an automated burst: not counted here until you accept them."
        )
    if not (changes or levels or business or held):
        return None
    return ParticipantChange(tuple(changes), tuple(levels), business, held)
