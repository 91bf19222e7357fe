"""Reading check-ins: with their context, by email or Slack user, their answers and history."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from tortoise.queryset import QuerySet

from storage import framework_texts, mapping, plans, sql
from storage import models as m
from storage.errors import NotFound
from storage.grantees import normalise_email
from storage.plans import Statement
from storage.records import (
    AnswerChange,
    CheckIn,
    CheckInContext,
    ContactSpec,
    Grantee,
    Programme,
    Round,
    StoredAnswer,
)

_RELATED = ("grantee", "round", "round__programme", "round__programme__funder")


async def _context(row: m.CheckIn) -> CheckInContext:
    # all four are already loaded by select_related; awaiting a loaded relation is free
    grantee = await row.grantee
    rnd = await row.round
    programme = await rnd.programme
    funder = await programme.funder
    return CheckInContext(
        checkin=mapping.checkin(row),
        grantee=mapping.grantee(grantee),
        round=mapping.round_(rnd),
        programme=mapping.programme(programme, funder),
    )


async def contexts_of(query: QuerySet[m.CheckIn]) -> list[CheckInContext]:
    rows = await query.select_related(*_RELATED).order_by("-round__opened_at", "-round_id", "id")
    return [await _context(row) for row in rows]


def _open() -> QuerySet[m.CheckIn]:
    # a grantee taken off the programme (inactive) no longer answers through any channel
    return m.CheckIn.filter(round__closed_at__isnull=True, grantee__active=True)


async def open_checkins_for_email(email: str) -> list[CheckInContext]:
    """Check-ins in rounds not yet closed, for active grantees with this address; newest first."""
    return await contexts_of(_open().filter(grantee__email=normalise_email(email)))


async def open_checkins_for_slack_user(slack_user_id: str) -> list[CheckInContext]:
    """Check-ins in rounds not yet closed, for active grantees with this Slack user."""
    return await contexts_of(_open().filter(grantee__slack_user_id=slack_user_id))


# a grantee's columns (grantee_of reads them), and its programme's and funder's (programme_of);
# the programme's framework text (tens of KB) is read only when this process does not hold it
GRANTEE_COLUMNS = """g.programme_id AS g_programme_id, g.name AS g_name,
       g.organisation AS g_organisation, g.email AS g_email,
       g.slack_user_id AS g_slack_user_id, g.timezone AS g_timezone,
       g.activity_type AS g_activity_type, g.local_authority AS g_local_authority,
       g.active AS g_active, g.away_until AS g_away_until, g.email_failing AS g_email_failing,
       g.grant_amount AS g_grant_amount"""
_PROGRAMME_COLUMNS_TEXT_OR_NOT = """p.slug AS p_slug, p.name AS p_name,
       p.framework_id AS p_framework_id, p.framework_version AS p_framework_version,
       {framework_text}, p.framework_sha256 AS p_framework_sha256,
       p.contacts AS p_contacts, p.activity_types AS p_activity_types,
       p.schedule AS p_schedule, p.digest_slack_channel AS p_digest_slack_channel,
       f.slug AS f_slug, f.name AS f_name"""
PROGRAMME_COLUMNS = _PROGRAMME_COLUMNS_TEXT_OR_NOT.replace(
    "{framework_text}", framework_texts.column(0)
)
# a check-in with its grantee, round, programme and funder, one row each (context_of reads it)
_CONTEXT_SELECT = f"""
SELECT c.id AS c_id, c.round_id AS c_round_id, c.grantee_id AS c_grantee_id,
       c.status AS c_status, c.state AS c_state, c.version AS c_version,
       c.started_at AS c_started_at, c.completed_at AS c_completed_at,
       c.updated_at AS c_updated_at,
       {GRANTEE_COLUMNS},
       r.period AS r_period, r.opened_at AS r_opened_at, r.due_at AS r_due_at,
       r.closes_at AS r_closes_at, r.closed_at AS r_closed_at,
       {_PROGRAMME_COLUMNS_TEXT_OR_NOT}
FROM checkin c
JOIN grantee g ON g.id = c.grantee_id
JOIN round r ON r.id = c.round_id
JOIN programme p ON p.id = r.programme_id
JOIN funder f ON f.id = p.funder_id
"""


@lru_cache(maxsize=64)
def _context_select(known_texts: int, also: str = "") -> str:
    select = _CONTEXT_SELECT.replace("{framework_text}", framework_texts.column(known_texts))
    return select.replace("SELECT ", f"SELECT {also}, ", 1) if also else select


async def load_checkin_context(checkin_id: int) -> CheckInContext:
    """The check-in with its grantee, round and programme, in one statement."""
    statement = context_statement(checkin_id)
    row = plans.first(await plans.query(statement.sql, statement.values))
    if row is None:
        raise NotFound(f"no check-in with id {checkin_id}")
    return context_of(row)


def context_statement(checkin_id: int) -> Statement:
    """The statement load_checkin_context runs, for plans that read a context on the way."""
    return contexts_statement("WHERE c.id = ?\n", [checkin_id])


def contexts_statement(where: str, values: Sequence[Any], *, also: str = "") -> Statement:
    """Contexts of the check-ins `where` picks (a WHERE clause, and ORDER BY if it matters;
    it may begin with further JOINs), with the columns `also` names read beside them."""
    held = framework_texts.held()  # the SELECT's values come before the WHERE's
    return Statement(_context_select(len(held), also) + where, [*held, *values])


def context_of(row: dict[str, Any]) -> CheckInContext:
    checkin = CheckIn(
        id=int(row["c_id"]),
        round_id=int(row["c_round_id"]),
        grantee_id=int(row["c_grantee_id"]),
        status=str(row["c_status"]),
        state=dict(sql.decoded(row["c_state"]) or {}),
        version=int(row["c_version"]),
        started_at=sql.moment(row["c_started_at"]),
        completed_at=sql.moment(row["c_completed_at"]),
        updated_at=sql.required_moment(row["c_updated_at"]),
    )
    grantee = grantee_of(row, checkin.grantee_id)
    rnd = Round(
        id=checkin.round_id,
        programme_id=grantee.programme_id,
        period=str(row["r_period"]),
        opened_at=sql.required_moment(row["r_opened_at"]),
        due_at=sql.moment(row["r_due_at"]),
        closes_at=sql.moment(row["r_closes_at"]),
        closed_at=sql.moment(row["r_closed_at"]),
    )
    programme = programme_of(row, grantee.programme_id)
    return CheckInContext(checkin=checkin, grantee=grantee, round=rnd, programme=programme)


def grantee_of(row: dict[str, Any], grantee_id: int) -> Grantee:
    """The grantee in a row read with GRANTEE_COLUMNS."""
    return Grantee(
        id=grantee_id,
        programme_id=int(row["g_programme_id"]),
        name=str(row["g_name"]),
        organisation=str(row["g_organisation"]),
        email=str(row["g_email"]),
        slack_user_id=row["g_slack_user_id"],
        timezone=str(row["g_timezone"]),
        activity_type=str(row["g_activity_type"]),
        local_authority=str(row["g_local_authority"]),
        active=bool(row["g_active"]),
        away_until=sql.day(row["g_away_until"]),
        email_failing=bool(row["g_email_failing"]),
        grant_amount=None if row["g_grant_amount"] is None else float(row["g_grant_amount"]),
    )


def programme_of(row: dict[str, Any], programme_id: int) -> Programme:
    """The programme in a row read with PROGRAMME_COLUMNS."""
    contacts = tuple(
        ContactSpec(c["name"], c.get("email"), c.get("slack_user_id"))
        for c in sql.decoded(row["p_contacts"]) or []
    )
    return Programme(
        id=programme_id,
        slug=str(row["p_slug"]),
        name=str(row["p_name"]),
        funder_slug=str(row["f_slug"]),
        funder_name=str(row["f_name"]),
        framework_id=str(row["p_framework_id"]),
        framework_version=int(row["p_framework_version"]),
        framework_toml=framework_texts.text_of(row["p_framework_toml"], row["p_framework_sha256"]),
        contacts=contacts,
        activity_types=tuple(sql.decoded(row["p_activity_types"]) or ()),
        schedule=dict(sql.decoded(row["p_schedule"]) or {}),
        digest_slack_channel=row["p_digest_slack_channel"],
    )


async def get_checkin(checkin_id: int) -> CheckIn:
    row = await m.CheckIn.get_or_none(id=checkin_id)
    if row is None:
        raise NotFound(f"no check-in with id {checkin_id}")
    return mapping.checkin(row)


async def answers_for_checkin(checkin_id: int) -> list[StoredAnswer]:
    """Current answers, in the order the questions were first answered."""
    rows = await m.Answer.filter(checkin_id=checkin_id).order_by("id")
    return [mapping.answer(row) for row in rows]


async def answer_history(checkin_id: int) -> list[AnswerChange]:
    """Every change to the check-in's answers, oldest first."""
    rows = await m.AnswerChange.filter(checkin_id=checkin_id).order_by("changed_at", "id")
    return [mapping.answer_change(row) for row in rows]
