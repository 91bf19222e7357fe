"""Participants' change and the business case added to a digest's or evidence's indicators."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from conversations import pooling as pl
from conversations import uncertainty as u
from conversations.business_case import Assumptions, wellbys_for
from conversations.change_summary import pounds
from conversations.digests import MANY_GROUPS, Indicator, Pooled, figure_of, pooled_text
from conversations.framework import Framework, Question
from conversations.participant_change import Move, changes_from_moves
from conversations.participant_figures import AnswerCount, figures_from_counts
from conversations.participant_items import ParticipantItem
from conversations.pooled_change import (
    ChangeCell,
    ChangeMoments,
    PooledChange,
    as_cell,
    change_line,
    wellbys_text,
)
from conversations.pooling import Cell, Moments
from conversations.summaries import judged, points, unit_of

UNPAIRED_EVIDENCE = (
    "Unpaired: different people may have answered each time, so this is weaker evidence."
)


@dataclass(frozen=True)
class FormCells:
    """Every pooled cell the participants' forms give, keyed by participant item id."""

    change: Mapping[str, ChangeCell]
    change_by_activity: Mapping[str, Mapping[str, ChangeCell]]
    baseline: Mapping[str, Cell]  # levels on baseline forms (unpaired)
    follow_up: Mapping[str, Cell]  # levels on follow-up forms (unpaired)


def with_change(
    framework: Framework, indicators: Sequence[Indicator], cells: FormCells
) -> tuple[Indicator, ...]:
    """Each indicator a participant item fills, with its pooled paired change; where that is
    shown, outcomes by activity type compare change, otherwise forms' levels are given as
    unpaired (weaker) evidence."""
    items = {i.fills: i for i in framework.participant_items}
    out = []
    for ind in indicators:
        item = items.get(ind.question_id)
        if item is None:
            out.append(ind)
            continue
        q = framework.question(ind.question_id)
        change = None
        if item.id in cells.change:
            change = change_line("All grantees", item, cells.change[item.id], q.better)
            ind = replace(ind, change=change)
        if change is not None and isinstance(change.figure, PooledChange):
            ind = _activities_by_change(ind, item, cells.change_by_activity.get(item.id, {}), q)
        else:
            ind = replace(ind, unpaired=unpaired_text(q, cells, item.id))
        out.append(ind)
    return tuple(out)


def _activities_by_change(
    ind: Indicator, item: ParticipantItem, by_activity: Mapping[str, ChangeCell], q: Question
) -> Indicator:
    """Outcomes by activity type as paired change, with the same protection of hidden cells."""
    rules = pl.protect_breakdown(
        {k: as_cell(c) for k, c in sorted(by_activity.items())}, disjoint=True
    )
    shown = [k for k, why in rules.items() if why is None]
    lines = [change_line(k, item, by_activity[k], q.better) for k in shown]
    note = MANY_GROUPS if len(lines) > 1 else ""
    left_out = len(rules) - len(shown)
    if left_out:
        note += (
            f" {left_out} activity type{'s' if left_out > 1 else ''} with too few grantees with "
            "paired forms to show safely left out."
        )
    return replace(
        ind, by_activity=tuple(lines), activity_note=note.strip(), activity_compares="change"
    )


def unpaired_text(q: Question, cells: FormCells, item_id: str) -> str:
    """Pooled levels on baseline and on follow-up forms, labelled as the weaker evidence."""
    before_cell, after_cell = cells.baseline.get(item_id), cells.follow_up.get(item_id)
    if not before_cell or not after_cell:
        return ""
    unit = unit_of(q)
    before, after = figure_of(q, before_cell), figure_of(q, after_cell)
    text = (
        f"Baseline forms: {pooled_text(before, unit)}. Follow-up forms: {pooled_text(after, unit)}."
    )
    if isinstance(before, Pooled) and isinstance(after, Pooled):
        sign = u.direction(*u.difference_interval(after.interval, before.interval))
        if sign == 0:
            text += " About the same, within sampling noise."
        else:
            gap = points(Decimal(repr(after.value)) - Decimal(repr(before.value)), unit)
            text += f" {'Up' if sign > 0 else 'Down'} {gap}{judged(sign, q.better)}."
    return f"{text} {UNPAIRED_EVIDENCE}"


def business_lines(
    framework: Framework,
    indicators: Sequence[Indicator],
    cost: Cell | None = None,
    assumptions: Assumptions | None = None,
) -> Iterator[str]:
    """Pooled cost per participant (where grant amounts are known) and WELLBYs per person
    from a shown pooled life satisfaction change, with the assumptions beside them."""
    if cost:
        reason = pl.withheld_reason(cost)
        whole = pl.merged(cost.values())
        if reason is None:
            yield (
                f"Cost per participant: {pounds(whole.ratio)} (the grants of the "
                f"{whole.grantees} grantees with a grant amount on file, over the unique "
                "participants they reported this round)."
            )
        else:
            yield f"Cost per participant: not shown: {reason}."
    scores = {i.fills for i in framework.participant_items if i.kind == "score"}
    for ind in indicators:
        change = ind.change.figure if ind.change else None
        if ind.question_id not in scores or not isinstance(change, PooledChange):
            continue
        if change.mean_change is None or change.interval is None:
            continue
        low = wellbys_for(change.interval.low, 1, None, assumptions).per_person
        high = wellbys_for(change.interval.high, 1, None, assumptions).per_person
        value = wellbys_for(change.mean_change, 1, None, assumptions)
        yield f"{wellbys_text(change, value.per_person, low, high)} {value.assumptions}"
        yield value.money_note if value.money is None else f"Valued at {pounds(value.money)}."


def form_cells(
    framework: Framework,
    moves: Mapping[int, Sequence[Move]],
    counts: Mapping[int, Sequence[AnswerCount]],
    funder_of: Mapping[int, str],
    activity_of: Mapping[int, str],
) -> FormCells:
    """Each grantee's forms (by grantee id) folded into pooled cells, each grantee a cluster.

    Grantees missing from `funder_of` are left out (not in the figures).
    """
    change: dict[str, dict[str, ChangeMoments]] = defaultdict(dict)
    by_activity: dict[str, dict[str, dict[str, ChangeMoments]]] = defaultdict(
        lambda: defaultdict(dict)
    )
    for grantee_id, found in moves.items():
        funder = funder_of.get(grantee_id)
        if funder is None:
            continue
        activity = activity_of.get(grantee_id, "")
        for item_id, paired in changes_from_moves(framework, found).items():
            part = ChangeMoments.of([paired])
            change[item_id][funder] = change[item_id].get(funder, ChangeMoments()) + part
            cell = by_activity[item_id][activity]
            cell[funder] = cell.get(funder, ChangeMoments()) + part
    levels: dict[str, dict[str, dict[str, Moments]]] = {"baseline": {}, "follow_up": {}}
    scores = {i.id for i in framework.participant_items if i.kind == "score"}
    for grantee_id, rows in counts.items():
        funder = funder_of.get(grantee_id)
        if funder is None:
            continue
        figures = figures_from_counts(framework, rows, {}, held=0)
        for kind, figs in (("baseline", figures.baseline), ("follow_up", figures.follow_up)):
            for item_id, fig in figs.items():
                y = fig.total if item_id in scores else fig.counted
                level_part = Moments.of([(float(y), fig.respondents)])
                level = levels[kind].setdefault(item_id, {})
                level[funder] = level.get(funder, Moments()) + level_part
    return FormCells(
        change=dict(change),
        change_by_activity={k: dict(v) for k, v in by_activity.items()},
        baseline=levels["baseline"],
        follow_up=levels["follow_up"],
    )
