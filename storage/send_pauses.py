"""Pauses a service asked for (Slack's Retry-After), stored so that every instance keeps them."""

from __future__ import annotations

from datetime import datetime

from storage import models as m
from storage.common import insert_once, utc


async def pause_sending(channel: str, scope: str, *, until: datetime) -> None:
    """Hold `scope` (a method, or "method:conversation") on `channel` until `until`.

    A later pause never shortens one already stored: two instances told different things
    both wait for the longer.
    """
    until = utc(until)
    longer = m.SendPause.filter(channel=channel, scope=scope, until__lt=until)
    if await longer.update(until=until):
        return
    if await insert_once(m.SendPause, channel=channel, scope=scope, until=until) is None:
        await longer.update(until=until)  # stored meanwhile by another instance


async def current_pauses(channel: str, *, now: datetime) -> dict[str, datetime]:
    """The scopes of `channel` still paused at `now`, each with when it ends."""
    rows = await m.SendPause.filter(channel=channel, until__gt=utc(now)).values_list(
        "scope", "until"
    )
    return {str(scope): utc(until) for scope, until in rows}


async def forget_pauses(*, before: datetime) -> int:
    """Remove pauses over before `before` (the table stays a handful of rows)."""
    return await m.SendPause.filter(until__lte=utc(before)).delete()
