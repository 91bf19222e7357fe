"""Slack identities of grantees: link a Slack user, fill a missing timezone, find sent questions."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from tortoise.expressions import Q

from storage import mapping, plans
from storage import models as m
from storage.checkins import context_of, contexts_of, contexts_statement
from storage.grantees import normalise_email
from storage.plans import Plan
from storage.records import CheckInContext, Grantee, Programme

# how far back to look for the message that asked a question (a check-in has a few dozen)
_RECENT_MESSAGES = 30


@dataclass(frozen=True)
class OpenCheckIn:
    """Just enough of an open check-in to route a Slack message to it (one light query)."""

    checkin_id: int
    status: str
    programme_name: str
    period: str
    timezone: str


# the user's check-ins in rounds not yet closed, most recently updated first
_OPEN_FOR_USER = (
    "WHERE g.slack_user_id = ? AND g.active = ? AND r.closed_at IS NULL "
    "ORDER BY c.updated_at DESC, c.id DESC"
)
# the columns named as in a check-in's context, so that both reads make briefs alike
_BRIEF = (
    """
SELECT c.id AS c_id, c.status AS c_status, r.period AS r_period, p.name AS p_name,
       g.timezone AS g_timezone
FROM checkin c
JOIN grantee g ON g.id = c.grantee_id
JOIN round r ON r.id = c.round_id
JOIN programme p ON p.id = r.programme_id
"""
    + _OPEN_FOR_USER
)


async def open_checkins_brief(slack_user_id: str) -> list[OpenCheckIn]:
    """The user's check-ins in rounds not yet closed, most recently updated first."""
    return _briefs(await plans.query(_BRIEF, [slack_user_id, True]))


async def open_checkins_routed(
    slack_user_id: str, choose: Callable[[Sequence[OpenCheckIn]], OpenCheckIn | None]
) -> tuple[list[OpenCheckIn], CheckInContext | None]:
    """As open_checkins_brief, with the context of the one `choose` picks (if any), in one read."""
    return await plans.run(_routed(slack_user_id, choose), atomic=False)


def _routed(
    slack_user_id: str, choose: Callable[[Sequence[OpenCheckIn]], OpenCheckIn | None]
) -> Plan[tuple[list[OpenCheckIn], CheckInContext | None]]:
    # every open check-in's whole context: a user has one or two, and a second read costs more
    rows = yield contexts_statement(_OPEN_FOR_USER, [slack_user_id, True])
    briefs = _briefs(rows)
    chosen = choose(briefs) if briefs else None
    if chosen is None:
        return briefs, None
    return briefs, context_of(next(r for r in rows if int(r["c_id"]) == chosen.checkin_id))


def _briefs(rows: plans.Rows) -> list[OpenCheckIn]:
    return [
        OpenCheckIn(
            int(row["c_id"]),
            str(row["c_status"]),
            str(row["p_name"]),
            str(row["r_period"]),
            str(row["g_timezone"] or ""),
        )
        for row in rows
    ]


async def link_slack_user(email: str, slack_user_id: str) -> list[Grantee]:
    """Give grantees with this email and no Slack user yet this one; the grantees now linked.

    A grantee already linked to a different Slack user keeps that link: an email match must
    never move someone's check-ins to another account.
    """
    address = normalise_email(email)
    await m.Grantee.filter(email=address, slack_user_id__isnull=True).update(
        slack_user_id=slack_user_id
    )
    rows = await m.Grantee.filter(email=address, slack_user_id=slack_user_id).order_by("id")
    return [mapping.grantee(row) for row in rows]


async def set_missing_timezone(slack_user_id: str, timezone: str) -> int:
    """Use the Slack profile's timezone for this user's grantees that have none; rows changed."""
    return await m.Grantee.filter(
        Q(timezone="") | Q(timezone__isnull=True), slack_user_id=slack_user_id
    ).update(timezone=timezone)


async def grantees_for_slack_user(slack_user_id: str) -> list[Grantee]:
    rows = await m.Grantee.filter(slack_user_id=slack_user_id).order_by("programme_id", "id")
    return [mapping.grantee(row) for row in rows]


async def programmes_for_slack_user(slack_user_id: str) -> list[Programme]:
    """Programmes in which this Slack user is an active grantee."""
    rows = await m.Programme.filter(
        grantees__slack_user_id=slack_user_id, grantees__active=True
    ).select_related("funder")
    unique = {row.id: row for row in rows}
    return [mapping.programme(row, await row.funder) for row in unique.values()]


async def completed_checkins_for_slack_user(
    slack_user_id: str, *, limit: int = 1
) -> list[CheckInContext]:
    """The user's completed check-ins, most recently completed first."""
    query = m.CheckIn.filter(
        grantee__slack_user_id=slack_user_id, status="completed", completed_at__isnull=False
    )
    contexts = await contexts_of(query)
    contexts.sort(key=lambda c: c.checkin.completed_at or c.checkin.updated_at, reverse=True)
    return contexts[:limit]


async def question_message(channel: str, recipient: str, question_id: str) -> str | None:
    """The channel's id (external_id) of the latest message sent to `recipient` asking this.

    Only a fallback (the Slack channel remembers what it posted), so a short look back is enough.
    """
    rows = (
        await m.OutboundMessage.filter(
            channel=channel, recipient=recipient, status="sent", external_id__isnull=False
        )
        .order_by("-id")
        .limit(_RECENT_MESSAGES)
    )
    for row in rows:
        if isinstance(row.payload, dict) and row.payload.get("ask") == question_id:
            return row.external_id
    return None
