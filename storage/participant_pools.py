"""Participants' forms read for many grantees at once: coded answers to pair, answer counts."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from conversations.participant_change import CodedAnswer
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


_CODED = (
    "SELECT r.grantee_id AS grantee_id, r.pair_key AS pair_key, r.kind AS kind, "
    "a.item_id AS item_id, a.value AS value "
    "FROM participant_response r JOIN participant_answer a ON a.response_id = r.id "
    "WHERE r.held = ? AND r.pair_key IS NOT NULL AND r.framework = ? AND {where} "
    "ORDER BY r.received_at, r.id"
)


async def coded_answers_by_grantee(
    framework_key: str, scope: FormScope
) -> dict[int, list[CodedAnswer]]:
    """Answers on counted forms that carry a participant code, oldest first, per grantee.

    Only forms of this framework (`<id>@<version>`) are read: change is only ever worked out
    between answers to the same questions. Held forms are left out.
    """
    where, params = scope.where()
    conn = sql.connection()
    rows = await conn.execute_query_dict(
        sql.spelled(conn, _CODED.format(where=where)), [False, framework_key, *params]
    )
    out: dict[int, list[CodedAnswer]] = defaultdict(list)
    for r in rows:
        out[int(r["grantee_id"])].append(
            CodedAnswer(r["pair_key"], r["kind"], r["item_id"], r["value"])
        )
    return dict(out)


# participant_answer carries its form's grantee, period, kind and held flag: a grouped scan
_COUNTS = (
    "SELECT r.grantee_id AS grantee_id, r.kind AS kind, r.item_id AS item_id, "
    "r.value AS value, COUNT(*) AS forms FROM participant_answer r "
    "WHERE r.held = ? AND {where} GROUP BY r.grantee_id, r.kind, r.item_id, r.value"
)


async def answer_counts_by_grantee(
    grantee_ids: Sequence[int] | None = None,
    programme_ids: Sequence[int] | None = None,
    period: str | None = None,
) -> dict[int, list[AnswerCount]]:
    """Counts per kind, item and answer of each grantee's counted forms (one period, or all)."""
    where, params = FormScope(grantee_ids, programme_ids).where()
    if period is not None:
        where += " AND r.period = ?"
        params.append(period)
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
