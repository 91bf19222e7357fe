"""ORM rows to the frozen records of storage.records; the only place both meet."""

from __future__ import annotations

from typing import Any

from storage import models as m
from storage.records import (
    AnswerChange,
    CheckIn,
    ContactSpec,
    Grantee,
    OutboundMessage,
    Programme,
    Round,
    StoredAnswer,
)


def contacts_json(contacts: tuple[ContactSpec, ...]) -> list[dict[str, Any]]:
    return [{"name": c.name, "email": c.email, "slack_user_id": c.slack_user_id} for c in contacts]


def programme(row: m.Programme, funder: m.Funder) -> Programme:
    contacts = tuple(
        ContactSpec(c["name"], c.get("email"), c.get("slack_user_id")) for c in row.contacts or []
    )
    return Programme(
        id=row.id,
        slug=row.slug,
        name=row.name,
        funder_slug=funder.slug,
        funder_name=funder.name,
        framework_id=row.framework_id,
        framework_version=row.framework_version,
        framework_toml=row.framework_toml,
        contacts=contacts,
        activity_types=tuple(row.activity_types or ()),
        schedule=dict(row.schedule or {}),
        digest_slack_channel=row.digest_slack_channel,
    )


def grantee(row: m.Grantee) -> Grantee:
    return Grantee(
        id=row.id,
        programme_id=row.programme_id,
        name=row.name,
        organisation=row.organisation,
        email=row.email,
        slack_user_id=row.slack_user_id,
        timezone=row.timezone,
        activity_type=row.activity_type,
        local_authority=row.local_authority,
        active=bool(row.active),
        away_until=row.away_until,
        email_failing=bool(row.email_failing),
        grant_amount=None if row.grant_amount is None else float(row.grant_amount),
    )


def round_(row: m.Round) -> Round:
    return Round(
        id=row.id,
        programme_id=row.programme_id,
        period=row.period,
        opened_at=row.opened_at,
        due_at=row.due_at,
        closes_at=row.closes_at,
        closed_at=row.closed_at,
    )


def checkin(row: m.CheckIn) -> CheckIn:
    return CheckIn(
        id=row.id,
        round_id=row.round_id,
        grantee_id=row.grantee_id,
        status=row.status,
        state=dict(row.state or {}),
        version=row.version,
        started_at=row.started_at,
        completed_at=row.completed_at,
        updated_at=row.updated_at,
    )


def answer(row: m.Answer) -> StoredAnswer:
    return StoredAnswer(
        question_id=row.question_id,
        question_version=row.question_version,
        value=row.value,
        raw_text=row.raw_text,
        channel=row.channel,
        skipped=bool(row.skipped),
        answered_at=row.answered_at,
    )


def answer_change(row: m.AnswerChange) -> AnswerChange:
    return AnswerChange(
        question_id=row.question_id,
        question_version=row.question_version,
        old_value=row.old_value,
        new_value=row.new_value,
        old_skipped=None if row.old_skipped is None else bool(row.old_skipped),
        new_skipped=bool(row.new_skipped),
        raw_text=row.raw_text,
        channel=row.channel,
        actor=row.actor,
        changed_at=row.changed_at,
    )


def outbound(row: m.OutboundMessage, *, maybe_sent: bool = False) -> OutboundMessage:
    return OutboundMessage(
        id=row.id,
        idempotency_key=row.idempotency_key,
        channel=row.channel,
        recipient=row.recipient,
        payload=dict(row.payload or {}),
        status=row.status,
        attempts=row.attempts,
        created_at=row.created_at,
        sent_at=row.sent_at,
        last_error=row.last_error,
        lane=row.lane,
        maybe_sent=maybe_sent,
    )
