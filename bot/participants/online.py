"""The participant form online: registering its address, opening it by token, pausing, closing."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from bot.conversation.frameworks import framework_for
from bot.participants.printable import form_token
from conversations.framework import Framework
from conversations.participant_items import FormKind
from storage import participant_forms
from storage.participant_forms import FORM_STATUSES, FormState, FormStatus

__all__ = [
    "FORM_STATUSES",
    "FormProblem",
    "FormState",
    "FormStatus",
    "OnlineForm",
    "form_status",
    "grantee_forms",
    "open_form",
    "register_form",
    "registered_form",
    "set_form_status",
    "typed_token",
]
# Letters people mistype in an address they copy from a poster: base32 has no 0, 1 or 8.
_LOOK_ALIKES = str.maketrans("018", "olb")


class FormProblem(enum.StrEnum):
    UNKNOWN = "unknown"  # never made: mistyped, cut short, or made up


@dataclass(frozen=True)
class OnlineForm:
    """A form found by its token: whose it is, for which period and kind, and its status."""

    token: str
    grantee_id: int
    organisation: str
    period: str
    kind: FormKind
    framework: Framework
    status: FormStatus
    status_changed_at: datetime  # UTC


def typed_token(text: str) -> str:
    """A token as typed from a poster (any case, 0 for o, 1 for l) in the one way it is stored."""
    return text.strip().lower().translate(_LOOK_ALIKES)


async def open_form(token: str) -> OnlineForm | FormProblem:
    """The form a token names, as typed or scanned; FormProblem.UNKNOWN if none does."""
    found = await participant_forms.find_form(typed_token(token))
    if found is None:
        return FormProblem.UNKNOWN
    form = found.form
    assert form.token is not None  # found by it
    return OnlineForm(
        token=form.token,
        grantee_id=found.grantee.id,
        organisation=found.grantee.organisation,
        period=form.period,
        kind=form.kind,
        framework=framework_for(found.programme),
        status=form.status,
        status_changed_at=form.status_changed_at,
    )


async def register_form(
    grantee_id: int, period: str, kind: FormKind, *, secret: str, now: datetime
) -> str:
    """The token of a grantee's form for a period and kind, recorded so that its address opens
    it; called whenever a printable form, poster or link is made. A form keeps its first token."""
    state = await registered_form(grantee_id, period, kind, secret=secret, now=now)
    assert state.token is not None  # registering gives it one
    return state.token


async def registered_form(
    grantee_id: int, period: str, kind: FormKind, *, secret: str, now: datetime
) -> FormState:
    """The form registered as register_form does, with its status read in the same breath."""
    made = form_token(secret, grantee_id, period, kind)
    return await participant_forms.register_form(grantee_id, period, kind, made, now=now)


async def set_form_status(
    grantee_id: int, period: str, kind: FormKind, status: FormStatus, *, now: datetime
) -> None:
    """Open, pause or close a form; the change is recorded with its time (UTC). Paused and closed
    forms store nothing sent to them."""
    await participant_forms.set_status(grantee_id, period, kind, status, now=now)


async def form_status(grantee_id: int, period: str, kind: FormKind) -> FormStatus:
    """Whether a form takes answers: open until the grantee or the operator says otherwise."""
    state = await participant_forms.get_form(grantee_id, period, kind)
    return "open" if state is None else state.status


async def grantee_forms(grantee_id: int) -> list[FormState]:
    """A grantee's forms with their tokens and statuses, the most recently made first."""
    return await participant_forms.forms_of(grantee_id)
