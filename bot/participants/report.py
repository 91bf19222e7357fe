"""A grantee's participant figures, change and business case, in plain sentences."""

from __future__ import annotations

from collections.abc import Iterator

from conversations.business_case import Assumptions, cost_per_participant, wellbeing_value
from conversations.framework import Framework
from conversations.participant_change import PairedChange, paired_changes, unpaired_changes
from conversations.participant_figures import FormFigures
from storage import participants


async def change_for(framework: Framework, grantee_id: int) -> dict[str, PairedChange]:
    """Paired change over all of a grantee's coded forms (a baseline may precede the period)."""
    return paired_changes(framework, await participants.coded_answers(grantee_id))


def describe(
    framework: Framework,
    figures: FormFigures,
    paired: dict[str, PairedChange],
    *,
    grant_amount: float | None = None,
    participants_count: int | None = None,
    assumptions: Assumptions | None = None,
) -> Iterator[str]:
    """Lines for an operator or a summary: levels, change (paired first), cost and wellbeing."""
    base, follow = figures.forms.get("baseline", 0), figures.forms.get("follow_up", 0)
    yield f"Forms: {base} baseline, {follow} follow-up."
    if figures.held:
        yield (
            f"{figures.held} forms are held because they arrived like an automated burst; "
            "they are not counted until the grantee accepts them."
        )
    for item in framework.participant_items:
        fig = figures.follow_up.get(item.id)
        if fig is None or not fig.respondents:
            continue
        if item.kind == "choice":
            yield f"{item.fills}: {fig.counted} of {fig.respondents} {item.counted_label}."
        elif fig.mean is not None:
            yield f"{item.fills}: mean {fig.mean:.1f} from {fig.respondents} answers."
    for item in framework.participant_items:
        change = paired.get(item.id)
        if change is None:
            continue
        line = (
            f"{item.fills} change ({change.evidence}, {change.pairs} people): "
            f"{change.better} better, {change.same} the same, {change.worse} worse"
        )
        if change.mean_change is not None:
            line += f"; mean change {change.mean_change:+.2f}"
            if change.ci_low is not None and change.ci_high is not None:
                line += f" (95% interval {change.ci_low:+.2f} to {change.ci_high:+.2f})"
        yield line + "."
    for item_id, unpaired in unpaired_changes(framework, figures).items():
        if item_id in paired:
            continue
        unit = "%" if unpaired.unit == "percent" else ""
        yield (
            f"{framework_item_fills(framework, item_id)} levels: {unpaired.baseline:.1f}{unit} "
            f"at baseline, {unpaired.follow_up:.1f}{unit} at follow-up ({unpaired.evidence})."
        )
    cost = cost_per_participant(grant_amount, participants_count)
    if cost is not None:
        yield (
            f"Cost per participant: £{cost:,.0f} "
            f"(grant £{grant_amount:,.0f}, {participants_count} participants)."
        )
    life = next((i for i in framework.participant_items if i.kind == "score"), None)
    value = wellbeing_value(paired[life.id], assumptions) if life and life.id in paired else None
    if value is not None:
        yield (
            f"Wellbeing: {value.wellbys:.1f} WELLBYs for {value.people} people "
            f"({value.per_person:+.2f} each). {value.assumptions}"
        )
        yield value.money_note if value.money is None else f"Valued at £{value.money:,.0f}."


def framework_item_fills(framework: Framework, item_id: str) -> str:
    return next(i.fills for i in framework.participant_items if i.id == item_id)
