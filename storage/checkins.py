"""Reading check-ins: with their context, by email or Slack user, their answers and history."""

from __future__ import annotations

from tortoise.queryset import QuerySet

from storage import mapping
from storage import models as m
from storage.db import NotFound
from storage.grantees import normalise_email
from storage.records import AnswerChange, CheckIn, CheckInContext, StoredAnswer

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


async def _contexts(query: QuerySet[m.CheckIn]) -> list[CheckInContext]:
    rows = await query.select_related(*_RELATED).order_by("-round__opened_at", "-round_id", "id")
    return [await _context(row) for row in rows]


def _open() -> QuerySet[m.CheckIn]:
    # a grantee taken off the programme (inactive) no longer answers through any channel
    return m.CheckIn.filter(round__closed_at__isnull=True, grantee__active=True)


async def open_checkins_for_email(email: str) -> list[CheckInContext]:
    """Check-ins in rounds not yet closed, for active grantees with this address; newest first."""
    return await _contexts(_open().filter(grantee__email=normalise_email(email)))


async def open_checkins_for_slack_user(slack_user_id: str) -> list[CheckInContext]:
    """Check-ins in rounds not yet closed, for active grantees with this Slack user."""
    return await _contexts(_open().filter(grantee__slack_user_id=slack_user_id))


async def load_checkin_context(checkin_id: int) -> CheckInContext:
    row = await m.CheckIn.filter(id=checkin_id).select_related(*_RELATED).first()
    if row is None:
        raise NotFound(f"no check-in with id {checkin_id}")
    return await _context(row)


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
