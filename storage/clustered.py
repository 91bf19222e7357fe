"""Per-grantee sums, then sums of their squares per group: what cluster-robust pooling needs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from storage.aggregates import Scope, Sql, connection, moment, where_clause


@dataclass(frozen=True)
class ClusterRow:
    """One group (an activity type or a period) of one programme, for one question version.

    Each grantee is a cluster: y and n are first summed per grantee (over every round in the
    group), then these sums, their squares and products, and their largest n, over grantees.
    """

    group: str
    programme_id: int
    question_id: str
    version: int
    opened: datetime | None  # the group's earliest round opening (periods sort by it)
    grantees: int
    y: float
    n: int
    yy: float
    yn: float
    nn: float
    largest: int
    share: float
    share2: float


async def cluster_rows(
    programme_ids: Sequence[int],
    question_ids: Sequence[str],
    *,
    by: Literal["activity", "period"],
    respondents_of: str | None = None,
) -> list[ClusterRow]:
    """Sums per (group, programme, question version) with each grantee as one cluster.

    Proportions (y = x) by default; with `respondents_of`, the one mean question in
    `question_ids` pooled as y = mean x respondents, the respondents read from that count
    question of the same check-in.
    """
    if not question_ids:
        return []
    conn = connection()
    sql = Sql(conn)
    count_param = sql.param(respondents_of) if respondents_of is not None else None
    where = where_clause(sql, Scope(programme_ids=programme_ids), question_ids)
    if respondents_of is None:
        y, n, join = sql.json_int("a.value", "x"), sql.json_int("a.value", "n"), ""
    else:
        respondents = sql.json_number("b.value")
        y, n = f"{sql.json_number('a.value')} * {respondents}", respondents
        join = (
            f"JOIN answer b ON b.checkin_id = a.checkin_id AND b.question_id = {count_param} "
            "AND b.skipped = FALSE AND b.value IS NOT NULL "
        )
    group = "g.activity_type" if by == "activity" else "r.period"
    share = "(1.0 * t.gy / t.gn)"
    query = (
        "SELECT t.grp, t.programme_id, t.question_id, t.question_version, MIN(t.opened) AS opened, "
        "COUNT(*) AS grantees, SUM(t.gy) AS y, SUM(t.gn) AS n, SUM(t.gy * t.gy) AS yy, "
        "SUM(t.gy * t.gn) AS yn, SUM(t.gn * t.gn) AS nn, MAX(t.gn) AS largest, "
        f"SUM({share}) AS share, SUM({share} * {share}) AS share2 FROM ("
        f"SELECT c.grantee_id, r.programme_id, {group} AS grp, a.question_id, "
        "a.question_version, MIN(r.opened_at) AS opened, "
        f"SUM({y}) AS gy, SUM({n}) AS gn "
        f"FROM answer a JOIN checkin c ON c.id = a.checkin_id {join}"
        "JOIN round r ON r.id = c.round_id JOIN grantee g ON g.id = c.grantee_id "
        f"WHERE {where} "
        f"GROUP BY c.grantee_id, r.programme_id, {group}, a.question_id, a.question_version"
        ") t WHERE t.gn > 0 "
        "GROUP BY t.grp, t.programme_id, t.question_id, t.question_version"
    )
    return [_row(r) for r in await conn.execute_query_dict(query, sql.params)]


def _row(row: dict[str, Any]) -> ClusterRow:
    return ClusterRow(
        group=str(row["grp"]),
        programme_id=int(row["programme_id"]),
        question_id=str(row["question_id"]),
        version=int(row["question_version"]),
        opened=moment(row["opened"]),
        grantees=int(row["grantees"]),
        y=float(row["y"] or 0),
        n=int(row["n"] or 0),
        yy=float(row["yy"] or 0),
        yn=float(row["yn"] or 0),
        nn=float(row["nn"] or 0),
        largest=int(row["largest"] or 0),
        share=float(row["share"] or 0),
        share2=float(row["share2"] or 0),
    )
