"""Pure email steps: a reply's answers to engine replies, and what one email asks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.channels.email_parsing import ReadReply
from conversations import engine
from conversations.framework import Framework, Question
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
_SKIP_WORDS = {"skip", "skip it", "pass", "n/a", "-"}


@dataclass(frozen=True)
class AttachmentsIgnored:
    """An email-only prompt: the reply carried files, which are not read."""

    names: tuple[str, ...]


@dataclass(frozen=True)
class NothingFound:
    """An email-only prompt: no answer or command could be found in the reply."""


def applicable(q: Question, state: SessionState) -> bool:
    return q.ask_if is None or q.ask_if.holds(state.answers.get(q.ask_if.question))


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
        if q.id not in state.answers and q.id not in state.skipped and applicable(q, state):
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


def replies_for(fw: Framework, state: SessionState, read: ReadReply) -> list[Reply]:
    """Engine replies for what the grantee wrote, in the order written."""
    replies: list[Reply] = []
    for number, text in read.numbered:
        if not 1 <= number <= len(fw.questions):
            replies.append(Reply(text or "?", question_id=str(number)))  # "no question 42"
            continue
        q = fw.questions[number - 1]
        if text.strip().lower().rstrip(".") in _SKIP_WORDS:
            replies.append(Reply(f"skip {number}"))
        elif text.strip():
            replies.append(Reply(text, question_id=q.id))
    if replies or not read.text.strip():
        return replies
    current = fw.by_id.get(state.current or "")
    if current is not None and current.kind == "text":
        return [Reply(read.text.strip())]
    # a bare answer (or a command): its first line; later lines are greetings or sign-offs
    first = next(line.strip() for line in read.text.splitlines() if line.strip())
    return [Reply(first)]


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
    for index, reply in enumerate(replies):
        transition = engine.advance(fw, state, reply, options)
        state = transition.state
        answers.extend(transition.answers)
        last = index == len(replies) - 1
        keep = (Recorded, Invalid, SkippedNote, Notice)
        prompts.extend(p for p in transition.prompts if last or isinstance(p, keep))
    if not replies:
        prompts.append(NothingFound())
    if not any(isinstance(p, _NEXT_STEP) for p in prompts):
        # every email says what comes next, even after an answer that was not understood
        prompts.extend(engine.where(fw, state))
    elif any(isinstance(p, Completed) for p in prompts) and not any(
        isinstance(p, Review) for p in prompts
    ):
        prompts.extend(engine.where(fw, state))  # the confirmation lists the answers kept
    return Transition(state, with_section(fw, state, prompts, per_message), tuple(answers))


def start_step(
    fw: Framework, state: SessionState, options: EngineOptions, *, per_message: int
) -> Transition:
    transition = engine.start(fw, state, options)
    prompts = with_section(fw, transition.state, transition.prompts, per_message)
    return Transition(transition.state, prompts, transition.answers)
