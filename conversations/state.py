"""Values the conversation engine works with: session state, replies, prompts and transitions."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from conversations.answers import AnswerValue
from conversations.errors import ConversationsError


class Status(enum.StrEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    PAUSED = "paused"
    REVIEWING = "reviewing"
    COMPLETED = "completed"
    STOPPED = "stopped"


class StateError(ConversationsError):
    """Stored state that cannot be read back: a programming or data fault, not a user mistake."""


@dataclass(frozen=True)
class SessionState:
    """Everything the engine needs to continue a check-in; stored as JSON after every step."""

    framework: str  # "<framework id>@<version>"
    status: Status = Status.NOT_STARTED
    current: str | None = None  # the question being asked, if any
    answers: Mapping[str, AnswerValue] = field(default_factory=dict)
    skipped: frozenset[str] = frozenset()
    invalid_attempts: int = 0
    resume_status: Status | None = None  # where `resume` goes after `later` or `stop`

    def with_(self, **changes: Any) -> SessionState:
        return replace(self, **changes)

    def to_json(self) -> dict[str, Any]:
        return {
            "framework": self.framework,
            "status": self.status.value,
            "current": self.current,
            "answers": dict(self.answers),
            "skipped": sorted(self.skipped),
            "invalid_attempts": self.invalid_attempts,
            "resume_status": self.resume_status.value if self.resume_status else None,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SessionState:
        try:
            resume = data.get("resume_status")
            return cls(
                framework=str(data["framework"]),
                status=Status(data.get("status", Status.NOT_STARTED)),
                current=data.get("current"),
                answers=dict(data.get("answers", {})),
                skipped=frozenset(data.get("skipped", ())),
                invalid_attempts=int(data.get("invalid_attempts", 0)),
                resume_status=Status(resume) if resume else None,
            )
        except (KeyError, ValueError, TypeError) as exc:
            raise StateError(f"stored conversation state is unreadable: {exc}") from exc


@dataclass(frozen=True)
class Reply:
    """Something a grantee said or clicked, already translated by the channel."""

    text: str
    question_id: str | None = None  # the question this reply is for, when the channel knows it
    strict: bool = False  # a button: if its question is not the one being asked, it is stale


@dataclass(frozen=True)
class Suggestion:
    """An answer the participants' forms supply, offered for the grantee to accept or replace."""

    value: AnswerValue
    source: str  # where it came from: "From your 39 follow-up forms: 33 agree that ..."


@dataclass(frozen=True)
class EngineOptions:
    round_open: bool = True  # completed check-ins can be edited only while the round is open
    max_invalid_attempts: int = 3  # after this many invalid answers in a row, offer a way out
    contact_hint: str = ""  # who to ask for help, e.g. "your programme officer"
    # answers the participants' forms supply, by question id: offered, never assumed
    suggestions: Mapping[str, Suggestion] = field(default_factory=dict)


# ---- prompts: what the grantee should be told; channels render them ----------------------------


@dataclass(frozen=True)
class Welcome:
    title: str
    total: int  # questions that apply now
    most: int  # questions that could apply, depending on the answers


@dataclass(frozen=True)
class Ask:
    question_id: str
    number: int  # position in the framework, as used by `edit N`
    answered: int
    total: int
    section_start: bool  # first question of its section in this conversation
    current: str | None  # the answer already given, shown when going back or editing
    optional: bool
    suggestion: Suggestion | None = None  # the forms' figure, to accept with "yes"


@dataclass(frozen=True)
class Recorded:
    question_id: str
    display: str
    changed_from: str | None = None


@dataclass(frozen=True)
class SkippedNote:
    question_id: str


@dataclass(frozen=True)
class Invalid:
    question_id: str
    reason: str
    attempts: int
    offer_way_out: bool  # too many tries: suggest help, skip (if optional) or later
    optional: bool


@dataclass(frozen=True)
class ReviewItem:
    number: int
    question_id: str
    short: str
    display: str
    skipped: bool


@dataclass(frozen=True)
class Review:
    items: tuple[ReviewItem, ...]
    completed: bool  # already submitted: this is a record, not a request to submit


@dataclass(frozen=True)
class Completed:
    answered: int
    skipped: int
    edited: bool  # an answer of an already completed check-in was changed


@dataclass(frozen=True)
class Paused:
    answered: int
    total: int


@dataclass(frozen=True)
class Stopped:
    answered: int


@dataclass(frozen=True)
class Help:
    question_id: str | None
    optional: bool
    status: Status


class NoticeKind(enum.StrEnum):
    CANNOT_SKIP = "cannot_skip"
    NOTHING_BEFORE = "nothing_before"
    NO_SUCH_QUESTION = "no_such_question"
    NOT_APPLICABLE = "not_applicable"
    STALE_BUTTON = "stale_button"
    ROUND_CLOSED = "round_closed"
    ALREADY_COMPLETED = "already_completed"
    REVIEW_WAITING = "review_waiting"
    STOPPED_ALREADY = "stopped_already"
    MISSING_REQUIRED = "missing_required"
    CONFLICT = "conflict"  # the check-in changed elsewhere while this reply was being handled


@dataclass(frozen=True)
class Notice:
    kind: NoticeKind
    detail: str = ""


@dataclass(frozen=True)
class Reminder:
    """A scheduled nudge about a check-in that is not finished yet."""

    number: int  # 1 for the first reminder
    status: Status
    answered: int
    total: int
    overdue: bool  # the due date has passed; answers are still taken until the round closes
    closes: str | None  # when the round closes, in the grantee's timezone and words


@dataclass(frozen=True)
class AvailabilityNoted:
    """The answer to 'remind me Friday', 'away until ...', 'mute reminders' and the like."""

    kind: str  # snooze | away | muted | unmuted | not_understood
    when: str = ""  # the day, in words, for snooze and away
    detail: str = ""  # for not_understood: what to write instead


@dataclass(frozen=True)
class Unanswered:
    """For a programme's contacts at the due date: who has not answered yet."""

    missing: tuple[str, ...]  # "Name, Organisation (status)"
    away: tuple[str, ...]
    completed: int
    total: int
    closes: str | None


Prompt = (
    Welcome
    | Ask
    | Recorded
    | SkippedNote
    | Invalid
    | Review
    | Completed
    | Paused
    | Stopped
    | Help
    | Notice
    | Reminder
    | AvailabilityNoted
    | Unanswered
)


@dataclass(frozen=True)
class AnswerEvent:
    """An answer to persist: given, changed, skipped, or withdrawn because it no longer applies."""

    question_id: str
    question_version: int
    value: AnswerValue | None
    raw_text: str
    skipped: bool = False


@dataclass(frozen=True)
class Transition:
    state: SessionState
    prompts: tuple[Prompt, ...]
    answers: tuple[AnswerEvent, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.answers)
