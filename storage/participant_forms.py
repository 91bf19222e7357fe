"""Participants' online forms: each one's public token, and whether it takes answers now."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from conversations.participant_items import FormKind
from storage import mapping, sql
from storage import models as m
from storage.common import insert_once, utc
from storage.records import Grantee, Programme

FormStatus = Literal["open", "paused", "closed"]
FORM_STATUSES: tuple[FormStatus, ...] = ("open", "paused", "closed")


@dataclass(frozen=True)
class FormState:
    """One grantee's form for a period and kind: its token (once made) and its status."""

    grantee_id: int
    period: str
    kind: FormKind
    token: str | None
    status: FormStatus
    status_changed_at: datetime  # UTC; when it was registered, if it never changed


@dataclass(frozen=True)
class FoundForm:
    """A form found by its token, with the grantee and programme it belongs to."""

    form: FormState
    grantee: Grantee
    programme: Programme


def _state(row: m.ParticipantForm) -> FormState:
    return FormState(
        grantee_id=row.grantee_id,
        period=row.period,
        kind=row.kind,  # type: ignore[arg-type]  # written only from FormKind
        token=row.token,
        status=row.status,  # type: ignore[arg-type]  # written only from FormStatus
        status_changed_at=sql.required_moment(row.status_changed_at),
    )


def _checked(status: str) -> FormStatus:
    if status not in FORM_STATUSES:
        raise ValueError(f"unknown form status {status!r}; expected one of {FORM_STATUSES}")
    return status  # type: ignore[return-value,unused-ignore]  # checked just above


async def register_form(
    grantee_id: int, period: str, kind: FormKind, token: str, *, now: datetime
) -> FormState:
    """Record a form's token; a form that has one keeps it, so that every poster and handout
    printed for it stays right (even after the secret that made it changed)."""
    await insert_once(
        m.ParticipantForm,
        grantee_id=grantee_id,
        period=period,
        kind=kind,
        token=token,
        status="open",
        status_changed_at=utc(now),
        created_at=utc(now),
    )
    # a form paused or closed before any poster was made has no token yet
    await m.ParticipantForm.filter(
        grantee_id=grantee_id, period=period, kind=kind, token__isnull=True
    ).update(token=token)
    found = await get_form(grantee_id, period, kind)
    assert found is not None  # inserted or already there, and never deleted but with its grantee
    return found


async def get_form(grantee_id: int, period: str, kind: FormKind) -> FormState | None:
    row = await m.ParticipantForm.get_or_none(grantee_id=grantee_id, period=period, kind=kind)
    return None if row is None else _state(row)


async def find_form(token: str) -> FoundForm | None:
    """The form with this token, its grantee and programme, in one read; None if unknown."""
    row = (
        await m.ParticipantForm.filter(token=token)
        .select_related("grantee__programme__funder")
        .first()
    )
    if row is None:
        return None
    programme = row.grantee.programme
    return FoundForm(
        _state(row), mapping.grantee(row.grantee), mapping.programme(programme, programme.funder)
    )


async def set_status(
    grantee_id: int, period: str, kind: FormKind, status: str, *, now: datetime
) -> FormState:
    """Open, pause or close a form; when it changes, the time is recorded (UTC). A form with no
    token yet is recorded without one, and keeps this status when its token is made."""
    wanted = _checked(status)
    made = await insert_once(
        m.ParticipantForm,
        grantee_id=grantee_id,
        period=period,
        kind=kind,
        token=None,
        status=wanted,
        status_changed_at=utc(now),
        created_at=utc(now),
    )
    if made is None:
        await (
            m.ParticipantForm.filter(grantee_id=grantee_id, period=period, kind=kind)
            .exclude(status=wanted)
            .update(status=wanted, status_changed_at=utc(now))
        )
    found = await get_form(grantee_id, period, kind)
    assert found is not None
    return found


async def forms_of(grantee_id: int) -> list[FormState]:
    """A grantee's forms, the most recently made first."""
    rows = await m.ParticipantForm.filter(grantee_id=grantee_id).order_by("-created_at", "kind")
    return [_state(row) for row in rows]
