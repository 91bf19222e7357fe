"""Observations and SQL sums turned into pooled cells (funder -> per-grantee sums) for digests."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime

from conversations import benchmarks as b
from conversations import summaries as s
from conversations.framework import Framework, ProportionQuestion
from conversations.pooling import Cell, Moments
from storage.clustered import ClusterRow, cluster_rows

_EARLIEST = datetime.min.replace(tzinfo=UTC)


def in_blocks(observations: Sequence[b.Observation]) -> list[b.Observation]:
    """Only check-ins in whole blocks, in completion order: two digests use the same check-ins
    or sets differing by at least a block, as peer sets do for grantees."""
    orders = sorted({o.order for o in observations})
    kept = set(orders[: len(orders) - len(orders) % b.PEER_BLOCK])
    return [o for o in observations if o.order in kept]


def checkins_of(observations: Iterable[b.Observation]) -> int:
    return len({o.order for o in observations})


def _y(o: b.Observation) -> float:
    return float(o.x) if o.x is not None else o.value * (o.n or 0)


def cells(
    framework: Framework, observations: Iterable[b.Observation], funder: str
) -> dict[str, Cell]:
    """question id -> one funder's cell, from the observations of the framework's versions."""
    versions = {q.id: q.version for q in s.outcome_questions(framework)}
    per: dict[str, dict[int, tuple[float, int]]] = defaultdict(dict)
    for o in observations:
        if versions.get(o.question_id) != o.version or not o.n:
            continue
        y, n = per[o.question_id].get(o.grantee_id, (0.0, 0))
        per[o.question_id][o.grantee_id] = (y + _y(o), n + o.n)
    return {qid: {funder: Moments.of(sums.values())} for qid, sums in per.items()}


def funnel_points(
    framework: Framework, observations: Iterable[b.Observation]
) -> dict[str, list[tuple[int, float]]]:
    """question id -> each grantee's (n, percentage), for grantees with enough responses."""
    proportions = {
        q.id: q.version for q in framework.questions if isinstance(q, ProportionQuestion)
    }
    out: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for o in observations:
        if proportions.get(o.question_id) == o.version and o.qualifies and o.n:
            out[o.question_id].append((o.n, o.value))
    return {qid: sorted(points) for qid, points in out.items()}


async def evidence_cells(
    framework: Framework, funders: Mapping[int, str]
) -> tuple[dict[str, dict[str, Cell]], dict[str, dict[str, Cell]], dict[str, Cell], list[str]]:
    """(by activity, by period, overall, periods in date order) over these programmes, each
    cell keyed by funder, only answers to this framework's question versions."""
    programme_ids = sorted(funders)
    outcomes = s.outcome_questions(framework)
    proportions = [q.id for q in outcomes if isinstance(q, ProportionQuestion)]
    result = []
    for by in ("activity", "period"):
        rows = await cluster_rows(programme_ids, proportions, by=by)
        for q in outcomes:
            count_id = s.respondents_question(framework, q)
            if count_id is not None:
                rows += await cluster_rows(
                    programme_ids,
                    [q.id],
                    by=by,
                    respondents_of=count_id,
                )
        result.append([r for r in rows if framework.by_id[r.question_id].version == r.version])
    activity_rows, period_rows = result
    by_activity = _grouped(activity_rows, funders)
    by_period = _grouped(period_rows, funders)
    overall: dict[str, Cell] = {}
    for qid, groups in by_activity.items():  # a grantee has one activity type: they add up
        total: dict[str, Moments] = {}
        for cell in groups.values():
            for funder, m in cell.items():
                total[funder] = total.get(funder, Moments()) + m
        overall[qid] = total
    opened: dict[str, datetime] = {}
    for r in period_rows:
        when = r.opened or _EARLIEST
        opened[r.group] = min(opened.get(r.group, when), when)
    periods = sorted(opened, key=lambda p: (opened[p], p))
    return by_activity, by_period, overall, periods


def _grouped(rows: Iterable[ClusterRow], funders: Mapping[int, str]) -> dict[str, dict[str, Cell]]:
    out: dict[str, dict[str, dict[str, Moments]]] = defaultdict(lambda: defaultdict(dict))
    for r in rows:
        funder = funders[r.programme_id]
        m = Moments(r.grantees, r.y, r.n, r.yy, r.yn, r.nn, r.largest, r.share, r.share2)
        cell = out[r.question_id][r.group]
        cell[funder] = cell.get(funder, Moments()) + m
    return {qid: dict(groups) for qid, groups in out.items()}
