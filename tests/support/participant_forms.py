"""Participants' forms made as the public online form takes them in, for the grantee's screens."""

from __future__ import annotations

from datetime import timedelta

from bot.clock import utc_now
from bot.conversation.frameworks import framework_for
from bot.participants.intake import Taken, take_form
from tests.support.web_harness import PERIOD, WebWorld


async def online_burst(world: WebWorld, how_many: int, sender: str = "203.0.113.9") -> list[int]:
    """Follow-up forms from one address a few seconds apart: more than 5 are held as a burst."""
    context = await world.context()
    framework = framework_for(context.programme)
    start = utc_now() - timedelta(minutes=5)
    ids = []
    for n in range(how_many):
        taken = await take_form(
            framework,
            grantee_id=context.grantee.id,
            period=PERIOD,
            kind="follow_up",
            channel="online",
            fields={"belong": ["1", "2"][n % 2], "age_band": "a25_34"},
            now=start + timedelta(seconds=20 * n),
            sender=sender,
        )
        assert isinstance(taken, Taken)
        ids.append(taken.response_id)
    return ids
