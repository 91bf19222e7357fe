"""Participants' forms for tests, taken through the same intake as every route (take_form)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from bot.clock import utc_now
from bot.conversation.frameworks import framework_for
from bot.participants.intake import Taken, take_form
from conversations.framework import Framework
from conversations.participant_items import FormKind
from storage.participants import Channel
from tests.support.web_harness import PERIOD, WebWorld

Person = tuple[Mapping[str, str], Mapping[str, str]]  # (baseline answers, follow-up answers)


def code(person: int, prefix: str = "PX") -> str:
    """A participant code as someone might write it (prefix, two digits, two letters)."""
    return f"{prefix}{person:02d}ZQ"


async def take(
    framework: Framework,
    grantee_id: int,
    period: str,
    kind: FormKind,
    forms: Sequence[Mapping[str, str]],
    *,
    channel: Channel,
    now: datetime,
    sender: str | None = None,
) -> list[Taken]:
    """Each form taken in, a second apart; every one must be accepted as a form."""
    taken = []
    for n, fields in enumerate(forms):
        found = await take_form(
            framework,
            grantee_id=grantee_id,
            period=period,
            kind=kind,
            channel=channel,
            fields=dict(fields),
            now=now + timedelta(seconds=n),
            sender=sender if sender is not None or channel != "online" else f"198.51.100.{n}",
        )
        assert isinstance(found, Taken), found
        taken.append(found)
    return taken


async def paired_people(
    framework: Framework,
    grantee_id: int,
    people: Sequence[Person],
    *,
    baseline_period: str,
    follow_up_period: str,
    now: datetime,
    channel: Channel = "keyed",
    prefix: str = "PX",
) -> None:
    """Each person's baseline and follow-up form, carrying the same participant code."""
    baselines = [{**b, "code": code(n, prefix)} for n, (b, _) in enumerate(people)]
    follow_ups = [{**f, "code": code(n, prefix)} for n, (_, f) in enumerate(people)]
    await take(
        framework, grantee_id, baseline_period, "baseline", baselines, channel=channel, now=now
    )
    later = now + timedelta(days=60)
    await take(
        framework, grantee_id, follow_up_period, "follow_up", follow_ups, channel=channel, now=later
    )


def agreeing(before: str, after: str, life: tuple[int, int]) -> Person:
    """A person's answers on 'get on well' and life satisfaction, before and after."""
    return (
        {"get_on_well": before, "life_satisfaction": str(life[0])},
        {"get_on_well": after, "life_satisfaction": str(life[1])},
    )


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
