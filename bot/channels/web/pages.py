"""What each page shows, worked out from a check-in's state alone (no I/O)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.channels.web.forms import Entered, shown_value, web_hint
from bot.conversation.rendering import ConversationView
from conversations.answers import format_answer
from conversations.framework import (
    ChoiceQuestion,
    Framework,
    ProportionQuestion,
    Question,
    ScaleQuestion,
    TextQuestion,
    YesNoQuestion,
)
from conversations.progress import applicable, applicable_questions, progress
from conversations.state import SessionState, Status

# rough seconds a grantee needs per kind of question, with records to hand
_SECONDS = {"count": 30, "number": 30, "scale": 15, "choice": 20, "yes_no": 10}
_SECONDS_PROPORTION, _SECONDS_TEXT = 60, 120


@dataclass(frozen=True)
class Choice:
    value: str
    label: str
    hint: str = ""


@dataclass(frozen=True)
class QuestionPage:
    q: Question
    number: int
    section_title: str
    answered: int
    total: int
    entered: Entered
    choices: tuple[Choice, ...]
    hint: str
    error: str | None = None
    changing: bool = False  # came from "check your answers" or the submitted check-in


@dataclass(frozen=True)
class Row:
    number: int
    question_id: str
    question: str
    answer: str
    skipped: bool


@dataclass(frozen=True)
class SectionOutline:
    title: str
    intro: str
    questions: tuple[Question, ...] = field(default_factory=tuple)


def state_of(framework: Framework, stored: Mapping[str, Any]) -> SessionState:
    if not stored:
        return SessionState(framework=framework.key)
    return SessionState.from_json(stored)


def page_for(state: SessionState) -> str:
    """The path (after /checkin/TOKEN) of the page that shows where a check-in stands."""
    if state.status is Status.COMPLETED:
        return "/done"
    if state.status is Status.REVIEWING:
        return "/check"
    if state.status is Status.IN_PROGRESS and state.current is not None:
        return f"/question/{state.current}"
    return ""


def choices(q: Question) -> tuple[Choice, ...]:
    if isinstance(q, ChoiceQuestion):
        return tuple(Choice(o.value, o.label) for o in q.options)
    if isinstance(q, YesNoQuestion):
        return (Choice("yes", "Yes"), Choice("no", "No"))
    if isinstance(q, ScaleQuestion):
        ends = {q.min: q.min_label, q.max: q.max_label}
        return tuple(Choice(str(v), str(v), ends.get(v, "")) for v in range(q.min, q.max + 1))
    return ()


def question_page(
    fw: Framework,
    state: SessionState,
    q: Question,
    *,
    entered: Entered | None = None,
    error: str | None = None,
    changing: bool = False,
) -> QuestionPage:
    answered, total = progress(fw, state.answers)
    shown = entered if entered is not None else shown_value(q, state.answers.get(q.id))
    return QuestionPage(
        q=q,
        number=fw.number_of(q.id),
        section_title=fw.section(q.section).title,
        answered=answered,
        total=total,
        entered=shown,
        choices=choices(q),
        hint=web_hint(q),
        error=error,
        changing=changing,
    )


def rows(fw: Framework, state: SessionState) -> list[Row]:
    """Every question that applies, with its answer, for "check your answers"."""
    found = []
    for q in applicable_questions(fw, state.answers):
        value = state.answers.get(q.id)
        shown = format_answer(q, value) if value is not None else "Not answered"
        if q.id in state.skipped:
            shown = "Skipped"
        found.append(Row(fw.number_of(q.id), q.id, q.short, shown, q.id in state.skipped))
    return found


def previous_question(fw: Framework, state: SessionState, q: Question) -> Question | None:
    """The question before `q` among those that apply: where the back link goes."""
    relevant = applicable_questions(fw, state.answers)
    ids = [r.id for r in relevant]
    if q.id not in ids:
        return None
    position = ids.index(q.id)
    return relevant[position - 1] if position > 0 else None


def can_show(q: Question, state: SessionState) -> bool:
    return applicable(q, state.answers)


def outline(fw: Framework) -> list[SectionOutline]:
    """The whole question set, grouped by section, for the page before starting."""
    return [
        SectionOutline(s.title, s.intro, tuple(q for q in fw.questions if q.section == s.id))
        for s in fw.sections
    ]


def minutes_needed(fw: Framework) -> int:
    """Roughly how long a check-in takes, from the kinds of its questions."""
    seconds = 0
    for q in fw.questions:
        if isinstance(q, ProportionQuestion):
            seconds += _SECONDS_PROPORTION
        elif isinstance(q, TextQuestion):
            seconds += _SECONDS_TEXT
        else:
            seconds += _SECONDS.get(q.kind, 30)
    return max(5, 5 * math.ceil(seconds / 300))


def page_context(view: ConversationView, state: SessionState) -> dict[str, Any]:
    """What every page of a check-in says about it."""
    return {
        "view": view,
        "status": state.status.value,
        "round_label": f"{view.programme_name} check-in for {view.period}",
    }
