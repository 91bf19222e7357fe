"""Plain, frozen values that storage takes and returns, so no caller ever touches an ORM object."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from conversations.state import Status

JSONValue = Any  # what json.dumps accepts: answer values, conversation state, message payloads


# ---- what callers hand to storage -------------------------------------------------------------


@dataclass(frozen=True)
class ContactSpec:
    name: str
    email: str | None = None
    slack_user_id: str | None = None


@dataclass(frozen=True)
class ProgrammeSpec:
    funder_slug: str
    funder_name: str
    slug: str
    name: str
    framework_id: str
    framework_version: int
    framework_toml: str
    contacts: tuple[ContactSpec, ...] = ()
    activity_types: tuple[str, ...] = ()
    schedule: Mapping[str, JSONValue] = field(default_factory=dict)
    digest_slack_channel: str | None = None


@dataclass(frozen=True)
class GranteeSpec:
    name: str
    organisation: str
    email: str  # already lower-cased and validated
    slack_user_id: str | None
    timezone: str  # IANA name, already validated
    activity_type: str
    local_authority: str
    grant_amount: float | None = None  # pounds; None when the grantee file leaves it out


@dataclass(frozen=True)
class AnswerWrite:
    """One answer set, changed or skipped by a conversation step."""

    question_id: str
    question_version: int
    value: JSONValue  # None when skipped
    raw_text: str
    skipped: bool = False


@dataclass(frozen=True)
class InboundKey:
    """Identifies a delivered message so that a second delivery is handled once."""

    channel: str
    external_id: str


INTERACTIVE, BULK = "interactive", "bulk"  # outbox lanes: someone is waiting, or nobody is


@dataclass(frozen=True)
class OutboundWrite:
    idempotency_key: str
    channel: str
    recipient: str
    payload: Mapping[str, JSONValue]
    # INTERACTIVE: a reply someone is waiting for (the next question, a command's answer);
    # BULK: what nobody is waiting for this second (a round's first messages, reminders)
    lane: str = BULK


# ---- what storage returns ---------------------------------------------------------------------


@dataclass(frozen=True)
class Programme:
    id: int
    slug: str
    name: str
    funder_slug: str
    funder_name: str
    framework_id: str
    framework_version: int
    framework_toml: str
    contacts: tuple[ContactSpec, ...]
    activity_types: tuple[str, ...]
    schedule: Mapping[str, JSONValue]
    digest_slack_channel: str | None


@dataclass(frozen=True)
class Grantee:
    id: int
    programme_id: int
    name: str
    organisation: str
    email: str
    slack_user_id: str | None
    timezone: str
    activity_type: str
    local_authority: str
    active: bool
    away_until: date | None
    email_failing: bool
    grant_amount: float | None = None  # pounds, when known


@dataclass(frozen=True)
class Round:
    id: int
    programme_id: int
    period: str
    opened_at: datetime
    due_at: datetime | None
    closes_at: datetime | None
    closed_at: datetime | None

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


CheckInStatus = Status  # one list of statuses: the engine's, stored as its string values


@dataclass(frozen=True)
class CheckIn:
    id: int
    round_id: int
    grantee_id: int
    status: str
    state: Mapping[str, JSONValue]
    version: int
    started_at: datetime | None
    completed_at: datetime | None
    updated_at: datetime


@dataclass(frozen=True)
class CheckInContext:
    """A check-in with everything a conversation step needs to know about it."""

    checkin: CheckIn
    grantee: Grantee
    round: Round
    programme: Programme


@dataclass(frozen=True)
class StoredAnswer:
    question_id: str
    question_version: int
    value: JSONValue
    raw_text: str
    channel: str
    skipped: bool
    answered_at: datetime


@dataclass(frozen=True)
class AnswerChange:
    question_id: str
    question_version: int
    old_value: JSONValue
    new_value: JSONValue
    old_skipped: bool | None  # None when there was no earlier answer
    new_skipped: bool
    raw_text: str
    channel: str
    actor: str
    changed_at: datetime


class StepOutcome(enum.StrEnum):
    SAVED = "saved"
    DUPLICATE = "duplicate"  # the inbound message was handled before; nothing changed
    CONFLICT = "conflict"  # the check-in changed since it was loaded; nothing changed


@dataclass(frozen=True)
class StepResult:
    outcome: StepOutcome
    checkin: CheckIn  # the stored check-in after the attempt
    outbound_ids: tuple[int, ...] = ()
    claimed: tuple[OutboundMessage, ...] = ()  # the new outbound rows, claimed for the caller


@dataclass(frozen=True)
class OpenedRound:
    round: Round
    created: int  # check-ins created by this call
    existed: bool  # the round was already there


@dataclass(frozen=True)
class GranteeStatus:
    grantee: Grantee
    checkin: CheckIn | None
    answered: int  # answers given (not skipped)
    last_activity: datetime | None


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int


@dataclass(frozen=True)
class OutboundMessage:
    id: int
    idempotency_key: str
    channel: str
    recipient: str
    payload: Mapping[str, JSONValue]
    status: str  # pending | sent | failed
    attempts: int
    created_at: datetime
    sent_at: datetime | None
    last_error: str | None
    lane: str = BULK
    # claimed before by a sender that never said how it went (it crashed mid-send): the
    # message may have gone out already, so a channel that can check should check first
    maybe_sent: bool = False
