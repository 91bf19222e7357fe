"""A grantee's forms as the channel tests need them: online and keyed, paired, and a held flood."""

from __future__ import annotations

from datetime import datetime, timedelta

from conversations.framework import Framework
from storage import participants
from tests.support.participant_forms import code, take

AGREE = "tend_to_agree"
DISAGREE = "definitely_disagree"


def follow_up(n: int) -> dict[str, str]:
    """The n-th follow-up form: 33 of the first 39 agree; life satisfaction 6, 7, 8 in turn."""
    return {
        "get_on_well": AGREE if n < 33 else DISAGREE,
        "life_satisfaction": str(6 + n % 3),
        "code": code(n),
    }


def baseline(n: int) -> dict[str, str]:
    """The n-th baseline form: nobody agreed yet; life satisfaction 5 and 6 in turn. Paired
    with the first 12 follow-ups, life satisfaction rises by 1.5 on average (standard
    deviation 1.0): 10 people higher, 2 the same."""
    return {"get_on_well": DISAGREE, "life_satisfaction": str(5 + n % 2), "code": code(n)}


async def feed(framework: Framework, grantee_id: int, period: str, now: datetime) -> None:
    """39 follow-up forms (20 online, 19 keyed from paper: 33 agree, mean life satisfaction
    7.0), 12 keyed baselines paired by code with the first 12, and a flood of 8 online forms
    from one address that is held, all agreeing: if counted, it would make 41 of 47."""
    await take(framework, grantee_id, period, "baseline", [baseline(n) for n in range(12)],
               channel="keyed", now=now)  # fmt: skip
    online = [follow_up(n) for n in range(0, 39, 2)]
    keyed = [follow_up(n) for n in range(1, 39, 2)]
    await take(framework, grantee_id, period, "follow_up", online, channel="online",
               now=now + timedelta(days=30))  # fmt: skip
    await take(framework, grantee_id, period, "follow_up", keyed, channel="keyed",
               now=now + timedelta(days=31))  # fmt: skip
    flood = [{"get_on_well": "definitely_agree", "life_satisfaction": "10"}] * 8
    await take(framework, grantee_id, period, "follow_up", flood, channel="online",
               now=now + timedelta(days=32), sender="203.0.113.50")  # fmt: skip
    held = await participants.responses(grantee_id, period, held=True)
    assert len(held) == 8
    channels = {r.channel for r in await participants.responses(grantee_id, period, held=False)}
    assert channels == {"online", "keyed"}


OFFERED_P1 = (
    "From your 39 follow-up forms: 33 of 39 agree that this local area is a place where people "
    "from different backgrounds get on well together."
)
