"""Where a person's check-ins stand, read for what a channel shows them (Home tab, web links)."""

from __future__ import annotations

from dataclasses import dataclass

import storage
from storage.records import CheckInContext, Grantee, Programme


@dataclass(frozen=True)
class Standing:
    """A Slack user's check-ins: the open ones, whose grantee they are, the latest completed."""

    open: list[CheckInContext]
    grantees: list[Grantee]
    latest_completed: list[CheckInContext]


@dataclass(frozen=True)
class ResponseRate:
    """How far a programme's open round has got, for its contacts."""

    programme: Programme
    period: str | None  # None when no round is open
    invited: int = 0
    completed: int = 0
    in_progress: int = 0


async def standing_of_slack_user(user_id: str) -> Standing:
    return Standing(
        await storage.open_checkins_for_slack_user(user_id),
        await storage.grantees_for_slack_user(user_id),
        await storage.completed_checkins_for_slack_user(user_id),
    )


async def open_checkins_of_slack_user(user_id: str) -> list[CheckInContext]:
    return await storage.open_checkins_for_slack_user(user_id)


async def open_checkins_for_email(address: str) -> list[CheckInContext]:
    """The open check-ins of the grantees with this email address (a link asked for by it)."""
    return await storage.open_checkins_for_email(address)


async def programmes_of_slack_user(user_id: str) -> list[Programme]:
    return await storage.programmes_for_slack_user(user_id)


async def response_rates_for_contact(user_id: str) -> list[ResponseRate]:
    """The open round of each programme whose contacts include this Slack user."""
    rates = []
    for programme in await storage.list_programmes():
        if not any(c.slack_user_id == user_id for c in programme.contacts):
            continue
        current = await storage.current_round(programme.id)
        if current is None:
            rates.append(ResponseRate(programme, None))
            continue
        rows = await storage.round_status(current.id)
        statuses = [r.checkin.status for r in rows if r.checkin is not None]
        rates.append(
            ResponseRate(
                programme,
                current.period,
                invited=len(statuses),
                completed=sum(1 for s in statuses if s == "completed"),
                in_progress=sum(1 for s in statuses if s not in ("not_started", "completed")),
            )
        )
    return rates
