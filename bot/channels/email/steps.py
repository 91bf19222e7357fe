"""Pure email steps: a reply's answers to engine replies, and what one email asks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.channels.email.parsing import ReadReply
from bot.channels.email.understand import LineNotRead, LineReply, Understood, understand
from conversations import engine
from conversations.framework import Framework, Question
from conversations.progress import applicable
from conversations.state import (
    AnswerEvent,
    Ask,
    Completed,
    EngineOptions,
    Invalid,
    Notice,
    Paused,
    Prompt,
    Recorded,
    Reply,
    Review,
    SessionState,
    SkippedNote,
    Status,
    Stopped,
    Transition,
)

_NEXT_STEP = (Ask, Review, Completed, Paused, Stopped)


@dataclass(frozen=True)
class AttachmentsIgnored:
    """An email-only prompt: the reply carried files, which are not read."""

    names: tuple[str, ...]


@dataclass(frozen=True)
class NothingFound:
    """An email-only prompt: no answer or command could be found in the reply."""


@dataclass(frozen=True)
class LineInvalid:
    """An email-only prompt: an answer refused, with the line of the email it was on."""

    line: int
    text: str
    invalid: Invalid


@dataclass(frozen=True)
class RestSaved:
    """An email-only prompt: after a line that could not be read, what the rest stored."""

    numbers: tuple[int, ...]


def open_questions(fw: Framework, state: SessionState, per_message: int) -> list[Question]:
    """What one email asks: the current question, then the open ones after it.

    `per_message` 0 means the rest of the current section; N means up to N questions.
    """
    if state.status is not Status.IN_PROGRESS or state.current is None:
        return []
    current = fw.question(state.current)
    if current.id in state.answers or current.id in state.skipped:
        return [current]  # going back or editing: that one question alone
    listed = [current]
    start = fw.number_of(current.id)
    for q in fw.questions[start:]:
        if per_message == 0 and q.section != current.section:
            break
        if per_message and len(listed) >= per_message:
            break
        if q.id not in state.answers and q.id not in state.skipped and applicable(q, state.answers):
            listed.append(q)
    return listed


def with_section(
    fw: Framework, state: SessionState, prompts: Sequence[Any], per_message: int
) -> tuple[Prompt, ...]:
    """The prompts with the current Ask followed by the other questions this email asks."""
    out: list[Any] = []
    for prompt in prompts:
        out.append(prompt)
        if isinstance(prompt, Ask) and prompt.question_id == state.current:
            for q in open_questions(fw, state, per_message)[1:]:
                out.append(
                    Ask(
                        question_id=q.id,
                        number=fw.number_of(q.id),
                        answered=prompt.answered,
                        total=prompt.total,
                        section_start=False,
                        current=None,
                        optional=not q.required,
                    )
                )
    return tuple(out)


def understood(
    fw: Framework, state: SessionState, read: ReadReply, *, per_message: int = 0
) -> Understood:
    """What the grantee wrote as engine replies, in the order written, with notes on lines
    that were read in order or could not be placed."""
    current = fw.by_id.get(state.current or "")
    asked = open_questions(fw, state, per_message)
    return understand(fw, current, asked, read.written)


def replies_for(
    fw: Framework, state: SessionState, read: ReadReply, *, per_message: int = 0
) -> list[Reply]:
    """Engine replies for what the grantee wrote, in the order written."""
    return list(understood(fw, state, read, per_message=per_message).replies)


def advance_all(
    fw: Framework,
    state: SessionState,
    replies: Sequence[Reply],
    options: EngineOptions,
    *,
    per_message: int,
    extra: Sequence[Any] = (),
) -> Transition:
    """Every reply through the engine as one step: what was recorded or refused, then what next."""
    prompts: list[Any] = list(extra)  # engine prompts plus this channel's own
    answers: list[AnswerEvent] = []
    notes = [n for n in prompts if isinstance(n, LineNotRead)]
    prompts = [p for p in prompts if not isinstance(p, LineNotRead)]
    for index, reply in enumerate(replies):
        transition = engine.advance(fw, state, reply, options)
        state = transition.state
        answers.extend(transition.answers)
        last = index == len(replies) - 1
        keep = (Recorded, Invalid, SkippedNote, Notice)
        prompts.extend(
            _on_line(p, reply) for p in transition.prompts if last or isinstance(p, keep)
        )
    if not replies and not notes:
        prompts.append(NothingFound())
    if notes or any(isinstance(p, LineInvalid) for p in prompts):
        # after what could not be read, what the rest of the email stored, before what comes next
        saved = dict.fromkeys(fw.number_of(a.question_id) for a in answers if not a.skipped)
        at = next((i for i, p in enumerate(prompts) if isinstance(p, _NEXT_STEP)), len(prompts))
        prompts = [*notes, *prompts[:at], RestSaved(tuple(saved)), *prompts[at:]]
    if not any(isinstance(p, _NEXT_STEP) for p in prompts):
        # every email says what comes next, even after an answer that was not understood
        prompts.extend(engine.where(fw, state))
    elif any(isinstance(p, Completed) for p in prompts) and not any(
        isinstance(p, Review) for p in prompts
    ):
        prompts.extend(engine.where(fw, state))  # the confirmation lists the answers kept
    return Transition(state, with_section(fw, state, prompts, per_message), tuple(answers))


def _on_line(prompt: Any, reply: Reply) -> Any:
    """A refusal of an answer taken from a line of the email names that line."""
    if isinstance(prompt, Invalid) and isinstance(reply, LineReply) and reply.line:
        return LineInvalid(reply.line, reply.written, prompt)
    return prompt


def start_step(
    fw: Framework, state: SessionState, options: EngineOptions, *, per_message: int
) -> Transition:
    transition = engine.start(fw, state, options)
    prompts = with_section(fw, transition.state, transition.prompts, per_message)
    return Transition(transition.state, prompts, transition.answers)
