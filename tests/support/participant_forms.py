"""Participants' forms for tests, taken through the same intake as every route (take_form)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from bot.participants.intake import Taken, take_form
from conversations.framework import Framework
from conversations.participant_items import FormKind
from storage.participants import Channel

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
