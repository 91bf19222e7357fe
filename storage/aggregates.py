"""Queries for summaries, digests and evidence: answers as numbers, scoped, only needed columns."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from storage import mapping
from storage import models as m
from storage.checkins import load_checkin_context
from storage.records import CheckInContext, Round

COMPLETED = "completed"


@dataclass(frozen=True)
class AnswerRow:
    """One completed check-in's answer to one question, reduced to numbers."""

    checkin_id: int
    grantee_id: int
    round_id: int
    completed_at: datetime | None
    question_id: str
    version: int
    x: int | None  # proportions: how many gave the counted answer
    n: int | None  # proportions: how many answered
    number: float | None  # counts and numbers: the value itself


@dataclass(frozen=True)
class Scope:
    """Which completed check-ins a query covers; None means no limit on that column."""

    programme_id: int | None = None
    programme_ids: Sequence[int] | None = None
    round_ids: Sequence[int] | None = None
    grantee_id: int | None = None
    checkin_ids: Sequence[int] | None = None


class Sql:
    """The few places where SQLite and PostgreSQL spell things differently."""

    def __init__(self, conn: BaseDBAsyncClient) -> None:
        self.postgres = conn.capabilities.dialect == "postgres"
        self.params: list[Any] = []

    def param(self, value: Any) -> str:
        self.params.append(value)
        return f"${len(self.params)}" if self.postgres else "?"

    def params_in(self, values: Sequence[Any]) -> str:
        return "(" + ", ".join(self.param(v) for v in values) + ")"

    def json_int(self, column: str, key: str) -> str:
        if self.postgres:
            return f"(({column})->>'{key}')::bigint"
        return f"json_extract({column}, '$.{key}')"

    def json_number(self, column: str) -> str:
        # only bare numbers; a proportion's {"x", "n"} object is not a number
        if self.postgres:
            return (
                f"(CASE WHEN jsonb_typeof({column}) = 'number' "
                f"THEN ({column} #>> '{{}}')::float8 END)"
            )
        return (
            f"(CASE WHEN json_type({column}) IN ('integer', 'real') "
            f"THEN json_extract({column}, '$') END)"
        )


def connection() -> BaseDBAsyncClient:
    return m.Answer._meta.db


def where_clause(sql: Sql, scope: Scope, question_ids: Sequence[str]) -> str:
    clauses = [
        f"c.status = {sql.param(COMPLETED)}",
        "a.skipped = FALSE",
        "a.value IS NOT NULL",
        f"a.question_id IN {sql.params_in(question_ids)}",
    ]
    if scope.programme_id is not None:
        clauses.append(f"r.programme_id = {sql.param(scope.programme_id)}")
    if scope.programme_ids is not None:
        clauses.append(f"r.programme_id IN {sql.params_in(list(scope.programme_ids) or [-1])}")
    if scope.round_ids is not None:
        clauses.append(f"c.round_id IN {sql.params_in(list(scope.round_ids) or [-1])}")
    if scope.grantee_id is not None:
        clauses.append(f"c.grantee_id = {sql.param(scope.grantee_id)}")
    if scope.checkin_ids is not None:
        clauses.append(f"c.id IN {sql.params_in(list(scope.checkin_ids) or [-1])}")
    return " AND ".join(clauses)


async def completed_versions(round_id: int) -> dict[int, int]:
    """The round's completed check-ins, each with its version (bumped by every saved step, so
    the same version means the same answers)."""
    conn = connection()
    sql = Sql(conn)
    query = (
        "SELECT id, version FROM checkin "
        f"WHERE round_id = {sql.param(round_id)} AND status = {sql.param(COMPLETED)}"
    )
    rows = await conn.execute_query_dict(query, sql.params)
    return {int(row["id"]): int(row["version"]) for row in rows}


async def answer_rows(scope: Scope, question_ids: Sequence[str]) -> list[AnswerRow]:
    """Each completed check-in's answers to these questions, as numbers (one row per answer)."""
    conn = connection()
    sql = Sql(conn)
    where = where_clause(sql, scope, question_ids)
    query = (
        "SELECT c.id AS checkin_id, c.grantee_id, c.round_id, c.completed_at, a.question_id, "
        f"a.question_version, {sql.json_int('a.value', 'x')} AS x, "
        f"{sql.json_int('a.value', 'n')} AS n, {sql.json_number('a.value')} AS number "
        "FROM answer a JOIN checkin c ON c.id = a.checkin_id "
        "JOIN round r ON r.id = c.round_id "
        f"WHERE {where}"
    )
    rows = await conn.execute_query_dict(query, sql.params)
    # a check-in's answers share its completion time: each distinct one is parsed once
    completed = {v: moment(v) for v in {row["completed_at"] for row in rows}}
    return [
        AnswerRow(
            checkin_id=int(row["checkin_id"]),
            grantee_id=int(row["grantee_id"]),
            round_id=int(row["round_id"]),
            completed_at=completed[row["completed_at"]],
            question_id=str(row["question_id"]),
            version=int(row["question_version"]),
            x=_int_or_none(row["x"]),
            n=_int_or_none(row["n"]),
            number=None if row["number"] is None else float(row["number"]),
        )
        for row in rows
    ]


@dataclass(frozen=True)
class TextRow:
    grantee_id: int
    organisation: str
    question_id: str
    text: str


async def text_answers(round_id: int, question_ids: Sequence[str]) -> list[TextRow]:
    """Free-text answers of completed check-ins in a round (stories, incidents), oldest first."""
    if not question_ids:
        return []
    rows = (
        await m.Answer.filter(
            checkin__round_id=round_id,
            checkin__status=COMPLETED,
            question_id__in=list(question_ids),
            skipped=False,
        )
        .order_by("checkin__completed_at", "checkin_id")
        .values("checkin__grantee_id", "checkin__grantee__organisation", "question_id", "value")
    )
    return [
        TextRow(
            grantee_id=int(row["checkin__grantee_id"]),
            organisation=str(row["checkin__grantee__organisation"]),
            question_id=str(row["question_id"]),
            text=str(row["value"]),
        )
        for row in rows
        if isinstance(row["value"], str) and row["value"].strip()
    ]


async def reminders_sent(round_id: int) -> int:
    """Reminder messages sent for the round's check-ins (idempotency keys name them)."""
    return await m.OutboundMessage.filter(
        checkin__round_id=round_id, idempotency_key__icontains="remind", status="sent"
    ).count()


async def programme_rounds(programme_id: int) -> list[tuple[int, str, datetime]]:
    """(id, period, opened_at) of the programme's rounds, oldest first."""
    rows = (
        await m.Round.filter(programme_id=programme_id)
        .order_by("opened_at", "id")
        .values_list("id", "period", "opened_at")
    )
    return [(int(row[0]), str(row[1]), row[2]) for row in rows]


async def completed_checkins(grantee_id: int) -> list[CheckInContext]:
    """A grantee's completed check-ins, in every round, oldest round first."""
    rows = await m.CheckIn.filter(grantee_id=grantee_id, status=COMPLETED).order_by(
        "round__opened_at", "round_id"
    )
    ids = [row.id for row in rows]
    return [await load_checkin_context(int(i)) for i in ids]


async def latest_round(programme_id: int) -> Round | None:
    """The programme's most recently opened round, closed or not."""
    row = await m.Round.filter(programme_id=programme_id).order_by("-opened_at", "-id").first()
    return None if row is None else mapping.round_(row)


async def reporting_grantees() -> int:
    """How many grantees, across every programme, have completed at least one check-in."""
    rows = await m.CheckIn.filter(status=COMPLETED).distinct().values_list("grantee_id", flat=True)
    return len(set(rows))


def _int_or_none(value: Any) -> int | None:
    return None if value is None else int(value)


def moment(value: Any) -> datetime | None:
    """A datetime from a raw row: SQLite hands back the stored ISO text, PostgreSQL a datetime."""
    if value is None:
        return None
    when = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return when if when.tzinfo else when.replace(tzinfo=UTC)
