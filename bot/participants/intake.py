"""Taking in one filled-in form from any route (online, paper, keyed): check, store, hold bursts."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from conversations.framework import Framework
from conversations.participant_bursts import BurstRule, to_hold
from conversations.participant_forms import (
    SubmissionProblems,
    form_layout,
    pairing_key,
    read_submission,
)
from conversations.participant_items import FormKind
from storage import participants
from storage.participants import Channel, ResponseWrite


@dataclass(frozen=True)
class Taken:
    response_id: int
    held: bool  # part of a burst that looks automated: not counted until the grantee accepts


async def take_form(
    framework: Framework,
    *,
    grantee_id: int,
    period: str,
    kind: FormKind,
    channel: Channel,
    fields: dict[str, str],
    now: datetime,
    sender: str | None = None,
    secret: str = "",
    rule: BurstRule | None = None,
) -> Taken | SubmissionProblems:
    """Check and store one form. Online forms are then looked at with the others that came in
    lately: a burst is held for the grantee to accept or discard, and never counted silently."""
    layout = form_layout(framework, kind)
    read = read_submission(layout, fields)
    if isinstance(read, SubmissionProblems):
        return read
    scope = f"grantee:{grantee_id}"
    write = ResponseWrite(
        grantee_id=grantee_id,
        period=period,
        kind=kind,
        channel=channel,
        framework=framework.key,
        received_at=now,
        answers=dict(read.answers),
        age_band=read.age_band,
        pair_key=pairing_key(read.code, scope, secret) if read.code else None,
        source_key=pairing_key(sender, "sender", secret) if sender else None,
    )
    if channel != "online":
        return Taken(await participants.add_response(write), held=False)  # keyed by staff
    rule = rule or BurstRule()
    response_id, arrivals = await participants.add_online_response(write, now - rule.window)
    # the form-wide limit: every online form for this grantee and period counts as one source
    form_wide = [replace(a, source="form", answered=0) for a in arrivals]
    held = to_hold(arrivals, rule) | to_hold(
        form_wide,
        BurstRule(rule.window, rule.per_form, rule.identical, rule.identical_min_answers),
    )
    await participants.hold(sorted(held))
    return Taken(response_id, held=response_id in held)
