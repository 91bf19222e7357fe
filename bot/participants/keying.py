"""Paper forms keyed in by a grantee's staff: stored as keyed (never held), one taken back, and
the forms counted so far."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from bot.participants.intake import Taken, take_form
from conversations.framework import Framework
from conversations.participant_forms import SubmissionProblems
from conversations.participant_items import FormKind
from storage import participants


@dataclass(frozen=True)
class Tally:
    """A grantee's forms for a period: counted, by kind, and held for their review."""

    counted: Mapping[FormKind, int]
    held: int


async def tally(grantee_id: int, period: str) -> Tally:
    counts = await participants.form_counts(grantee_id, period)
    return Tally(dict(counts.forms), counts.held)


async def key_form(
    framework: Framework,
    *,
    grantee_id: int,
    period: str,
    kind: FormKind,
    fields: dict[str, str],
    now: datetime,
    secret: str,
) -> Taken | SubmissionProblems:
    """One paper form as staff typed it: checked, and stored as keyed (counted at once).
    `secret` is the participants' secret (bot.participants.secret): codes then pair with
    those given online."""
    return await take_form(
        framework,
        grantee_id=grantee_id,
        period=period,
        kind=kind,
        channel="keyed",
        fields=fields,
        now=now,
        secret=secret,
    )


async def take_back(grantee_id: int, period: str, kind: FormKind, response_id: int) -> bool:
    """Delete a form keyed in a moment ago by mistake; a form that came in any other way, for
    another grantee, period or kind, is never touched."""
    return await participants.delete_keyed(grantee_id, period, kind, response_id)
