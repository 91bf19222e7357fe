"""Held forms as a grantee reviews them: when and how each came in, its answers, why it was held;
and the grantee's word on them (accepted forms count, discarded ones are deleted)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from conversations.framework import Framework
from conversations.participant_bursts import HoldReason, hold_reasons
from conversations.participant_forms import form_layout
from conversations.participant_items import FormKind
from storage import participants
from storage.participants import Channel, StoredResponse

SHOWN = 200  # held forms listed at once; the next ones show once these are settled


@dataclass(frozen=True)
class Answer:
    number: int  # the question's number on the form
    answer: str  # as printed on the form


@dataclass(frozen=True)
class HeldForm:
    id: int
    received_at: datetime  # UTC
    channel: Channel
    kind: FormKind
    answers: tuple[Answer, ...]
    age_band: str | None  # as printed on the form
    coded: bool  # carries a participant code
    reason: HoldReason


@dataclass(frozen=True)
class HeldForms:
    forms: tuple[HeldForm, ...]  # the first SHOWN, oldest first
    total: int  # all held for the period


async def held_forms(framework: Framework, grantee_id: int, period: str) -> HeldForms:
    arrivals = await participants.held_arrivals(grantee_id, period)
    if not arrivals:
        return HeldForms((), 0)
    reasons = hold_reasons(arrivals)
    stored = await participants.responses(grantee_id, period, held=True, limit=SHOWN)
    forms = tuple(_held(framework, r, reasons.get(r.id, HoldReason.BURST)) for r in stored)
    return HeldForms(forms, len(arrivals))


def _held(framework: Framework, stored: StoredResponse, reason: HoldReason) -> HeldForm:
    layout = form_layout(framework, stored.kind)
    answers = []
    for number, item in enumerate(layout.items, start=1):
        value = stored.answers.get(item.id)
        if value is None:
            continue
        labels = {o.value: o.label for o in item.options}
        shown = labels.get(value, value) if item.kind == "choice" else f"{value} out of {item.max}"
        answers.append(Answer(number, shown))
    bands = {b.value: b.label for b in layout.form.age_bands}
    age = bands.get(stored.age_band, stored.age_band) if stored.age_band else None
    return HeldForm(
        stored.id,
        stored.received_at,
        stored.channel,
        stored.kind,
        tuple(answers),
        age,
        stored.paired,
        reason,
    )


async def _of_period(grantee_id: int, period: str, ids: Collection[int]) -> list[int]:
    """The ids among `ids` that are this grantee's held forms for this period."""
    held = {a.response_id for a in await participants.held_arrivals(grantee_id, period)}
    return sorted(held.intersection(ids))


async def accept(grantee_id: int, period: str, ids: Collection[int]) -> int:
    """Held forms the grantee says are genuine: counted from now on. Returns how many."""
    return await participants.accept_held(grantee_id, await _of_period(grantee_id, period, ids))


async def discard(grantee_id: int, period: str, ids: Collection[int]) -> int:
    """Held forms the grantee says are not genuine: deleted. Returns how many."""
    return await participants.discard_held(grantee_id, await _of_period(grantee_id, period, ids))
