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
from conversations.participant_change import Move, PairedChange, changes_from_moves
from conversations.participant_figures import AnswerCount
from conversations.participant_items import ParticipantItem
from conversations.pooled_change import (
    ChangeCell,
    ChangeMoments,
    PooledChange,
    as_cell,
    change_line,
    pooled_change,
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


def change_cells(
    framework: Framework,
    moves: Mapping[int, Sequence[Move]],
    funder_of: Mapping[int, str],
    activity_of: Mapping[int, str],
) -> tuple[dict[str, ChangeCell], dict[str, dict[str, ChangeCell]]]:
    """Each grantee's paired change (from its moves, by grantee id) pooled per item, overall
    and by activity type, each grantee a cluster. Grantees not in `funder_of` are left out."""
    overall: dict[tuple[str, str], list[PairedChange]] = defaultdict(list)
    by_activity: dict[tuple[str, str, str], list[PairedChange]] = defaultdict(list)
    for grantee_id, found in moves.items():
        funder = funder_of.get(grantee_id)
        if funder is None:
            continue
        activity = activity_of.get(grantee_id, "")
        for item_id, paired in changes_from_moves(framework, found).items():
            overall[item_id, funder].append(paired)
            by_activity[item_id, activity, funder].append(paired)
    change: dict[str, dict[str, ChangeMoments]] = defaultdict(dict)
    for (item_id, funder), changes in overall.items():
        change[item_id][funder] = ChangeMoments.of(changes)
    activities: dict[str, dict[str, dict[str, ChangeMoments]]] = defaultdict(
        lambda: defaultdict(dict)
    )
    for (item_id, activity, funder), changes in by_activity.items():
        activities[item_id][activity][funder] = ChangeMoments.of(changes)
    return dict(change), {k: dict(v) for k, v in activities.items()}


def level_cells(
    framework: Framework,
    counts: Mapping[int, Sequence[AnswerCount]],
    funder_of: Mapping[int, str],
) -> tuple[Mapping[str, Cell], Mapping[str, Cell]]:
    """(baseline, follow-up) levels on each grantee's forms pooled per item, each grantee a
    cluster (y its counted answers or its scores' sum, n its respondents)."""
    items = {i.id: i for i in framework.participant_items}
    sums: dict[tuple[int, str, str], list[float]] = {}
    for grantee_id, rows in counts.items():
        if grantee_id not in funder_of:
            continue
        for row in rows:
            item = items.get(row.item_id)
            if item is None:
                continue
            tally = sums.setdefault((grantee_id, row.kind, row.item_id), [0.0, 0])
            tally[1] += row.forms
            if item.kind == "score":
                tally[0] += int(row.value) * row.forms
            elif row.value in item.counts:
                tally[0] += row.forms
    clusters: dict[tuple[str, str, str], list[tuple[float, int]]] = defaultdict(list)
    for (grantee_id, kind, item_id), (y, n) in sums.items():
        clusters[kind, item_id, funder_of[grantee_id]].append((y, int(n)))
    levels: dict[str, dict[str, dict[str, Moments]]] = {"baseline": {}, "follow_up": {}}
    for (kind, item_id, funder), found in clusters.items():
        levels[kind].setdefault(item_id, {})[funder] = Moments.of(found)
    return levels["baseline"], levels["follow_up"]


def needing_levels(framework: Framework, change: Mapping[str, ChangeCell]) -> list[str]:
    """Items asked at baseline and follow-up whose pooled paired change is not shown: only for
    these are forms' levels (the weaker evidence) read and given."""
    return [
        i.id
        for i in framework.participant_items
        if "baseline" in i.forms
        and not isinstance(pooled_change(i, change.get(i.id)), PooledChange)
    ]
