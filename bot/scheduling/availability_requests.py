"""A grantee's own word on when to be asked: 'remind me Friday', 'away until ...', mute."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import storage
from bot.admin.operations import AdminError
from bot.conversation.channel import InboundMessage
from bot.conversation.dispatcher import Dispatcher
from bot.conversation.steps import Interpretation
from bot.scheduling.jobs import ScheduleError, read_schedule
from conversations.availability import (
    AvailabilityRequest,
    Away,
    Mute,
    NotUnderstood,
    Snooze,
    read_availability,
)
from conversations.schedule import local_moment
from conversations.state import AvailabilityNoted
from storage.records import CheckInContext, Grantee

DEFAULT_SEND_TIME = time(10, 0)


def understood(context: CheckInContext, text: str, now: datetime) -> AvailabilityRequest | None:
    """The request in a grantee's message, read against their own calendar day."""
    today = now.astimezone(ZoneInfo(context.grantee.timezone)).date()
    return read_availability(text, today)


async def apply(
    context: CheckInContext, request: AvailabilityRequest, *, now: datetime
) -> AvailabilityNoted:
    """Store the request and say what will happen; the grantee's answers are untouched."""
    zone = ZoneInfo(context.grantee.timezone)
    if isinstance(request, Snooze):
        moment = local_moment(request.until, _send_time(context), zone)
        await storage.snooze(context.checkin.id, moment)
        local = moment.astimezone(zone)
        return AvailabilityNoted("snooze", f"{local:%A} {local.day} {local:%B} at {local:%H:%M}")
    if isinstance(request, Away):
        await storage.set_away([context.grantee.id], request.until)
        back = request.until
        return AvailabilityNoted("away", f"{back:%A} {back.day} {back:%B}")
    if isinstance(request, Mute):
        await storage.set_preference(context.grantee.id, now=now, muted=request.muted)
        return AvailabilityNoted("muted" if request.muted else "unmuted")
    assert isinstance(request, NotUnderstood)
    return AvailabilityNoted("not_understood", detail=request.reason)


def _send_time(context: CheckInContext) -> time:
    try:
        schedule = read_schedule(context.programme)
    except ScheduleError:
        schedule = None
    return schedule.send_time if schedule else DEFAULT_SEND_TIME


class AvailabilityError(AdminError):
    """An operator's availability change cannot be made; the message says what to do."""


async def set_away_by_email(
    email: str, until: date | None, programme_slug: str | None = None
) -> list[Grantee]:
    """Mark the grantee(s) with this address away until `until` (None: back now)."""
    grantees = await storage.find_grantees_by_email(email)
    if programme_slug is not None:
        programme = await storage.get_programme(programme_slug)
        grantees = [g for g in grantees if programme and g.programme_id == programme.id]
    if not grantees:
        where = f" in programme {programme_slug}" if programme_slug else ""
        raise AvailabilityError(
            f"no grantee has the email {email!r}{where}; check the spelling, or import them "
            "with `checkins grantees import FILE --programme SLUG`"
        )
    await storage.set_away([g.id for g in grantees], until)
    return grantees


async def interpret(
    context: CheckInContext, message: InboundMessage, now: datetime
) -> Interpretation | None:
    """The dispatcher's hook: act on an availability request instead of stepping the engine."""
    request = understood(context, message.text, now)
    if request is None:
        return None
    noted = await apply(context, request, now=now)
    return Interpretation(noted, pause=isinstance(request, (Snooze, Away)))


def register(dispatcher: Dispatcher) -> None:
    dispatcher.interpreters.append(interpret)
