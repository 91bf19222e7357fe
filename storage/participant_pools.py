"""Participants' forms read for many grantees at once, grouped in SQL: pairs' moves, answers."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from conversations.participant_change import Move
from conversations.participant_figures import AnswerCount
from storage import sql


@dataclass(frozen=True)
class FormScope:
    """Whose forms: some grantees, or every grantee of some programmes; and which periods.

    With `follow_up_period`, follow-up forms come from that period only, and baseline forms
    from `baseline_periods` (a baseline is often filled in a period before its follow-up);
    without it, every period.
    """

    grantee_ids: Sequence[int] | None = None
    programme_ids: Sequence[int] | None = None
    follow_up_period: str | None = None
    baseline_periods: Sequence[str] = ()

    def where(self) -> tuple[str, list[object]]:
        clauses: list[str] = []
        params: list[object] = []
        if self.grantee_ids is not None:
            ids = list(self.grantee_ids) or [-1]
            clauses.append(f"r.grantee_id IN ({sql.placeholders(len(ids))})")
            params += ids
        if self.programme_ids is not None:
            ids = list(self.programme_ids) or [-1]
            clauses.append(
                "r.grantee_id IN (SELECT g.id FROM grantee g WHERE g.programme_id IN "
                f"({sql.placeholders(len(ids))}))"
            )
            params += ids
        if self.follow_up_period is not None:
            periods = list(self.baseline_periods) or [self.follow_up_period]
            clauses.append(
                "((r.kind = ? AND r.period = ?) OR "
                f"(r.kind = ? AND r.period IN ({sql.placeholders(len(periods))})))"
            )
            params += ["follow_up", self.follow_up_period, "baseline", *periods]
        return " AND ".join(clauses) or "1 = 1", params


# Each person's latest answer to each item on each kind of form (a window over the pairing key),
# baseline and follow-up side by side per person (a self-join would be planned badly from the
# window's row estimate), then people counted per pair of answers: a grantee's change leaves the
# database as a few rows per item, however many people filled in forms.
_MOVES = (
    "SELECT grantee_id, item_id, before_value, after_value, COUNT(*) AS people FROM ("
    "SELECT grantee_id, pair_key, item_id, MAX(CASE WHEN kind = ? THEN value END) AS before_value, "
    "MAX(CASE WHEN kind = ? THEN value END) AS after_value FROM ("
    "SELECT r.grantee_id AS grantee_id, r.pair_key AS pair_key, r.kind AS kind, "
    "a.item_id AS item_id, a.value AS value, ROW_NUMBER() OVER ("
    "PARTITION BY r.grantee_id, r.pair_key, r.kind, a.item_id "
    "ORDER BY r.received_at DESC, r.id DESC) AS newest "
    "FROM participant_response r JOIN participant_answer a ON a.response_id = r.id "
    "WHERE r.held = ? AND r.pair_key IS NOT NULL AND r.framework = ? AND {where}) ranked "
    "WHERE newest = 1 GROUP BY grantee_id, pair_key, item_id) people "
    "WHERE before_value IS NOT NULL AND after_value IS NOT NULL "
    "GROUP BY grantee_id, item_id, before_value, after_value"
)


async def moves_by_grantee(framework_key: str, scope: FormScope) -> dict[int, list[Move]]:
    """Per grantee, how many people paired by their code went from each baseline answer to
    each follow-up answer, item by item (each person's latest form of each kind).

    Only forms of this framework (`<id>@<version>`) are read: change is only ever worked out
    between answers to the same questions. Held forms are left out.
    """
    where, params = scope.where()
    conn = sql.connection()
    rows = await conn.execute_query_dict(
        sql.spelled(conn, _MOVES.format(where=where)),
        ["baseline", "follow_up", False, framework_key, *params],
    )
    out: dict[int, list[Move]] = defaultdict(list)
    for r in rows:
        out[int(r["grantee_id"])].append(
            Move(r["item_id"], r["before_value"], r["after_value"], int(r["people"]))
        )
    return dict(out)


# participant_answer carries its form's grantee, period, kind and held flag: a grouped scan
_COUNTS = (
    "SELECT r.grantee_id AS grantee_id, r.kind AS kind, r.item_id AS item_id, "
    "r.value AS value, COUNT(*) AS forms FROM participant_answer r "
    "WHERE r.held = ? AND {where} GROUP BY r.grantee_id, r.kind, r.item_id, r.value"
)


async def answer_counts_by_grantee(
    scope: FormScope, period: str | None = None, item_ids: Sequence[str] | None = None
) -> dict[int, list[AnswerCount]]:
    """Counts per kind, item and answer of each grantee's counted forms: one period or all,
    every item or these (the scope's grantees and programmes only)."""
    where, params = FormScope(scope.grantee_ids, scope.programme_ids).where()
    if period is not None:
        where += " AND r.period = ?"
        params.append(period)
    if item_ids is not None:
        where += f" AND r.item_id IN ({sql.placeholders(len(item_ids))})"
        params += list(item_ids)
    conn = sql.connection()
    rows = await conn.execute_query_dict(
        sql.spelled(conn, _COUNTS.format(where=where)), [False, *params]
    )
    out: dict[int, list[AnswerCount]] = defaultdict(list)
    for r in rows:
        out[int(r["grantee_id"])].append(
            AnswerCount(r["kind"], r["item_id"], r["value"], int(r["forms"]))
        )
    return dict(out)
