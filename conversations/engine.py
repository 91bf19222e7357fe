"""The pure step engine: (framework, state, reply) in, (new state, prompts, answers) out."""

from __future__ import annotations

import re
from dataclasses import replace

from conversations.answers import Rejection, format_answer, parse_answer
from conversations.framework import Framework, Question
from conversations.progress import (
    applicable,
    applicable_questions,
    first_open,
    progress,
    resolve_question,
    rule_violation,
    withdraw_inapplicable,
)
from conversations.state import (
    AnswerEvent,
    Ask,
    Completed,
    EngineOptions,
    Help,
    Invalid,
    Notice,
    NoticeKind,
    Paused,
    Prompt,
    Recorded,
    Reply,
    Review,
    ReviewItem,
    SessionState,
    SkippedNote,
    Status,
    Stopped,
    Suggestion,
    Transition,
    Welcome,
)

_COMMAND = re.compile(
    r"^\s*(?P<word>help|\?|skip|back|edit|change|later|pause|stop|start|resume|continue|review"
    r"|submit|send|done|confirm|yes)\b(?P<arg>.*?)[\s.!]*$",
    re.IGNORECASE,
)
_SUBMIT_WORDS = {"submit", "send", "done", "confirm", "yes"}
_ACCEPT = re.compile(
    r"^\s*(yes|y|yep|ok|okay|accept|use (these|them|those|this|it)( figures?)?)[\s.!]*$",
    re.IGNORECASE,
)
ACCEPTED_PREFIX = "accepted from forms: "


def new_state(framework: Framework) -> SessionState:
    return SessionState(framework=framework.key)


def start(
    framework: Framework, state: SessionState, options: EngineOptions | None = None
) -> Transition:
    """Open the conversation (the round's first message), or show where it stands."""
    options = options or EngineOptions()
    if state.status is Status.NOT_STARTED:
        return _begin(framework, state)
    return _resume(framework, state, options)


def advance(
    framework: Framework,
    state: SessionState,
    reply: Reply,
    options: EngineOptions | None = None,
) -> Transition:
    """Take one reply and decide what happens next."""
    options = options or EngineOptions()
    if state.status is not Status.COMPLETED and not options.round_open:
        return Transition(state, (Notice(NoticeKind.ROUND_CLOSED),))
    if reply.strict and reply.question_id is not None and reply.question_id != state.current:
        return _stale(framework, state)
    command = _recognise_command(framework, state, reply.text)
    if command is not None:
        return _command(framework, state, *command, options)
    if reply.question_id is not None and not reply.strict:
        return _answer_targeted(framework, state, reply, options)
    return _text(framework, state, reply.text, options)


def offer(transition: Transition, options: EngineOptions) -> Transition:
    """Attach the forms' figure to every question asked that one can answer."""
    if not options.suggestions:
        return transition
    prompts = tuple(
        replace(p, suggestion=options.suggestions[p.question_id])
        if isinstance(p, Ask) and p.question_id in options.suggestions
        else p
        for p in transition.prompts
    )
    return replace(transition, prompts=prompts)


def where(framework: Framework, state: SessionState) -> tuple[Prompt, ...]:
    """Prompts that show where a check-in stands, changing nothing."""
    if state.status is Status.IN_PROGRESS and state.current is not None:
        return (_ask(framework, state, framework.question(state.current)),)
    if state.status in (Status.REVIEWING, Status.COMPLETED):
        return (_review(framework, state),)
    if state.status is Status.PAUSED:
        return (Paused(*progress(framework, state.answers)),)
    if state.status is Status.STOPPED:
        return (Notice(NoticeKind.STOPPED_ALREADY),)
    return ()


# ---- commands -------------------------------------------------------------------------------

_FILLER = {"it", "this", "this one", "that", "that one", "question", "this question"}


def _recognise_command(fw: Framework, state: SessionState, text: str) -> tuple[str, str] | None:
    """Read a message as a command, unless it is more plausibly an answer."""
    match = _COMMAND.match(text)
    if match is None:
        return None
    word, arg = match.group("word").lower(), match.group("arg").strip()
    asking_text = state.current is not None and fw.question(state.current).kind == "text"
    if word in _SUBMIT_WORDS:
        # outside the review these words are answers ("yes"), or mean "I'm finished" mid-way
        if state.status is Status.REVIEWING and not arg:
            return word, ""
        return None if word == "yes" or asking_text or arg else (word, "")
    if word in ("skip", "edit", "change"):
        if not arg or arg.lower() in _FILLER:
            return (word, "") if word == "skip" or not asking_text else None
        if resolve_question(fw, arg) is not None:
            return word, arg
        return None if asking_text or word == "skip" else (word, arg)
    if asking_text and arg:
        return None  # "stop the rumours" is an answer to a text question, not a command
    return word, arg


def _command(
    fw: Framework, state: SessionState, word: str, arg: str, options: EngineOptions
) -> Transition:
    if word in ("help", "?"):
        return _help(fw, state)
    if word == "review":
        return Transition(state, (_review(fw, state),))
    if word in ("start", "resume", "continue"):
        return _resume(fw, state, options)
    if state.status is Status.STOPPED:
        return Transition(state, (Notice(NoticeKind.STOPPED_ALREADY),))
    if word in ("edit", "change"):
        return _edit(fw, state, arg, options)
    if word in ("later", "pause"):
        return _pause(fw, state)
    if word == "stop":
        return _stop(fw, state)
    if state.status is Status.NOT_STARTED:
        return _begin(fw, state)
    if state.status is Status.PAUSED:
        return _resume(fw, state, options)
    if word == "skip":
        return _skip(fw, state, arg)
    if word == "back":
        return _back(fw, state)
    if word in _SUBMIT_WORDS:
        return _submit(fw, state)
    raise AssertionError(f"unhandled command {word!r}")


def _help(fw: Framework, state: SessionState) -> Transition:
    q = fw.by_id.get(state.current) if state.current else None
    prompts: list[Prompt] = [Help(q.id if q else None, bool(q and not q.required), state.status)]
    if q is not None and state.status is not Status.PAUSED:
        prompts.append(_ask(fw, state, q))
    return Transition(state, tuple(prompts))


def _resume(fw: Framework, state: SessionState, options: EngineOptions) -> Transition:
    if state.status is Status.NOT_STARTED:
        return _begin(fw, state)
    if state.status in (Status.PAUSED, Status.STOPPED):
        target = state.resume_status or Status.IN_PROGRESS
        state = state.with_(status=target, resume_status=None, invalid_attempts=0)
        if target is Status.NOT_STARTED:
            return _begin(fw, state)
    if state.status is Status.COMPLETED:
        if state.current is not None and options.round_open:
            return Transition(state, (_ask(fw, state, fw.question(state.current)),))
        return Transition(state, (Notice(NoticeKind.ALREADY_COMPLETED), _review(fw, state)))
    return _continue(fw, state, ())


def _pause(fw: Framework, state: SessionState) -> Transition:
    if state.status is Status.COMPLETED:
        return Transition(state, (Notice(NoticeKind.ALREADY_COMPLETED), _review(fw, state)))
    resume = state.resume_status if state.status is Status.PAUSED else state.status
    paused = state.with_(status=Status.PAUSED, resume_status=resume, invalid_attempts=0)
    answered, total = progress(fw, paused.answers)
    return Transition(paused, (Paused(answered, total),))


def _stop(fw: Framework, state: SessionState) -> Transition:
    if state.status is Status.COMPLETED:
        return Transition(state, (Notice(NoticeKind.ALREADY_COMPLETED), _review(fw, state)))
    resume = state.resume_status if state.status is Status.PAUSED else state.status
    stopped = state.with_(status=Status.STOPPED, resume_status=resume, invalid_attempts=0)
    return Transition(stopped, (Stopped(progress(fw, stopped.answers)[0]),))


def _skip(fw: Framework, state: SessionState, arg: str) -> Transition:
    if arg:
        q = resolve_question(fw, arg)
        if q is None:
            return Transition(state, (Notice(NoticeKind.NO_SUCH_QUESTION, arg),))
    elif state.current is not None:
        q = fw.question(state.current)
    else:
        return Transition(state, (Notice(NoticeKind.REVIEW_WAITING), _review(fw, state)))
    if not applicable(q, state.answers):
        return Transition(state, (Notice(NoticeKind.NOT_APPLICABLE, str(fw.number_of(q.id))),))
    if q.required:
        prompts: list[Prompt] = [Notice(NoticeKind.CANNOT_SKIP, q.id)]
        if state.current is not None:
            prompts.append(_ask(fw, state, fw.question(state.current)))
        return Transition(state, tuple(prompts))
    answers = {k: v for k, v in state.answers.items() if k != q.id}
    skipped = state.skipped | {q.id}
    event = AnswerEvent(q.id, q.version, None, "skip", skipped=True)
    unchanged = q.id in state.skipped
    state = state.with_(answers=answers, skipped=skipped, invalid_attempts=0)
    state, withdrawn = withdraw_inapplicable(fw, state)
    events = () if unchanged else (event, *withdrawn)
    return _after_answer(fw, state, (SkippedNote(q.id),), events, moved_on_from=q.id)


def _back(fw: Framework, state: SessionState) -> Transition:
    if state.status is Status.COMPLETED:
        return Transition(state, (Notice(NoticeKind.ALREADY_COMPLETED), _review(fw, state)))
    relevant = applicable_questions(fw, state.answers)
    ids = [q.id for q in relevant]
    earlier = relevant[: ids.index(state.current)] if state.current in ids else relevant
    if not earlier:
        prompts: list[Prompt] = [Notice(NoticeKind.NOTHING_BEFORE)]
        if state.current is not None:
            prompts.append(_ask(fw, state, fw.question(state.current)))
        return Transition(state, tuple(prompts))
    target = earlier[-1]
    moved = state.with_(status=Status.IN_PROGRESS, current=target.id, invalid_attempts=0)
    return Transition(moved, (_ask(fw, moved, target),))


def _edit(fw: Framework, state: SessionState, arg: str, options: EngineOptions) -> Transition:
    q = resolve_question(fw, arg) if arg else None
    if q is None:
        return Transition(state, (Notice(NoticeKind.NO_SUCH_QUESTION, arg), _review(fw, state)))
    if not applicable(q, state.answers):
        return Transition(state, (Notice(NoticeKind.NOT_APPLICABLE, str(fw.number_of(q.id))),))
    if state.status is Status.COMPLETED:
        if not options.round_open:
            return Transition(state, (Notice(NoticeKind.ROUND_CLOSED),))
        editing = state.with_(current=q.id, invalid_attempts=0)
        return Transition(editing, (_ask(fw, editing, q),))
    editing = state.with_(
        status=Status.IN_PROGRESS,
        current=q.id,
        invalid_attempts=0,
        resume_status=None,
    )
    return Transition(editing, (_ask(fw, editing, q),))


def _submit(fw: Framework, state: SessionState) -> Transition:
    if state.status is Status.COMPLETED:
        return Transition(state, (Notice(NoticeKind.ALREADY_COMPLETED), _review(fw, state)))
    if state.status is not Status.REVIEWING or first_open(fw, state) is not None:
        # every required answer is checked here, not trusted from the channel
        unfinished = state.with_(status=Status.IN_PROGRESS)
        return _continue(fw, unfinished, (Notice(NoticeKind.MISSING_REQUIRED),))
    done = state.with_(status=Status.COMPLETED, current=None)
    return Transition(done, (_completed(fw, done, edited=False),))


def _stale(fw: Framework, state: SessionState) -> Transition:
    prompts: list[Prompt] = [Notice(NoticeKind.STALE_BUTTON)]
    if state.current is not None and state.status is Status.IN_PROGRESS:
        prompts.append(_ask(fw, state, fw.question(state.current)))
    elif state.status is Status.REVIEWING:
        prompts.append(_review(fw, state))
    return Transition(state, tuple(prompts))


# ---- answers --------------------------------------------------------------------------------


def _text(fw: Framework, state: SessionState, text: str, options: EngineOptions) -> Transition:
    if state.status is Status.NOT_STARTED:
        return _begin(fw, state)
    if state.status is Status.PAUSED:
        return _resume(fw, state, options)
    if state.status is Status.STOPPED:
        return Transition(state, (Notice(NoticeKind.STOPPED_ALREADY),))
    if state.status is Status.REVIEWING:
        return Transition(state, (Notice(NoticeKind.REVIEW_WAITING), _review(fw, state)))
    if state.current is None:
        if state.status is Status.COMPLETED:
            return Transition(state, (Notice(NoticeKind.ALREADY_COMPLETED), _review(fw, state)))
        return _continue(fw, state, ())
    if state.status is Status.COMPLETED and not options.round_open:
        return Transition(state.with_(current=None), (Notice(NoticeKind.ROUND_CLOSED),))
    return _answer(fw, state, fw.question(state.current), text, options)


def _answer_targeted(
    fw: Framework, state: SessionState, reply: Reply, options: EngineOptions
) -> Transition:
    q = fw.by_id.get(reply.question_id or "")
    if q is None:
        return Transition(state, (Notice(NoticeKind.NO_SUCH_QUESTION, reply.question_id or ""),))
    if state.status in (Status.NOT_STARTED, Status.PAUSED, Status.STOPPED):
        state = state.with_(status=state.resume_status or Status.IN_PROGRESS, resume_status=None)
        if state.status is Status.NOT_STARTED:
            state = state.with_(status=Status.IN_PROGRESS)
    if state.status is Status.COMPLETED and not options.round_open:
        return Transition(state, (Notice(NoticeKind.ROUND_CLOSED),))
    if not applicable(q, state.answers):
        return Transition(state, (Notice(NoticeKind.NOT_APPLICABLE, str(fw.number_of(q.id))),))
    return _answer(fw, state, q, reply.text, options, targeted=True)


def _answer(
    fw: Framework,
    state: SessionState,
    q: Question,
    text: str,
    options: EngineOptions,
    *,
    targeted: bool = False,
) -> Transition:
    suggestion = options.suggestions.get(q.id)
    if suggestion is not None and _ACCEPT.match(text):
        # the grantee took the forms' figure: it is checked like a typed one, and the stored
        # raw text says where it came from
        text = ACCEPTED_PREFIX + suggestion.source
        parsed = parse_answer(q, _as_typed(suggestion))
    else:
        parsed = parse_answer(q, text)
    reason = parsed.reason if isinstance(parsed, Rejection) else None
    if not isinstance(parsed, Rejection):
        # rules are checked against what the answers will be, after withdrawals
        candidate, _ = withdraw_inapplicable(
            fw, state.with_(answers={**state.answers, q.id: parsed.value})
        )
        reason = rule_violation(fw, candidate.answers, q)
    if reason is not None:
        attempts = state.invalid_attempts + 1 if not targeted else state.invalid_attempts
        retry = state.with_(invalid_attempts=attempts)
        way_out = attempts >= options.max_invalid_attempts
        return Transition(retry, (Invalid(q.id, reason, attempts, way_out, not q.required),))
    assert not isinstance(parsed, Rejection)
    value = parsed.value
    old = state.answers.get(q.id)
    changed = old != value or q.id in state.skipped
    answers = {**state.answers, q.id: value}
    state = state.with_(answers=answers, skipped=state.skipped - {q.id}, invalid_attempts=0)
    state, withdrawn = withdraw_inapplicable(fw, state)
    events: tuple[AnswerEvent, ...] = ()
    if changed:
        events = (AnswerEvent(q.id, q.version, value, text.strip()), *withdrawn)
    was = format_answer(q, old) if old is not None and old != value else None
    recorded = Recorded(q.id, format_answer(q, value), changed_from=was)
    moved_on_from = q.id if q.id == state.current else None
    return _after_answer(fw, state, (recorded,), events, moved_on_from=moved_on_from)


def _after_answer(
    fw: Framework,
    state: SessionState,
    prompts: tuple[Prompt, ...],
    events: tuple[AnswerEvent, ...],
    *,
    moved_on_from: str | None,
) -> Transition:
    if state.status is Status.COMPLETED:
        if first_open(fw, state) is None:
            done = state.with_(current=None)
            return Transition(done, (*prompts, _completed(fw, done, edited=True)), events)
        # the change made new questions apply: the check-in needs them before it is complete
        state = state.with_(status=Status.IN_PROGRESS)
    current = state.current
    if (
        moved_on_from is None
        and current is not None
        and state.status is Status.IN_PROGRESS
        and current not in state.answers
        and current not in state.skipped
    ):
        # an answer to another question (by number, from email) keeps the current one open
        return Transition(state, (*prompts, _ask(fw, state, fw.question(current))), events)
    return _continue(fw, state, prompts, events)


def _continue(
    fw: Framework,
    state: SessionState,
    prompts: tuple[Prompt, ...],
    events: tuple[AnswerEvent, ...] = (),
) -> Transition:
    """Ask the first open question, or show the review when everything is answered."""
    nxt = first_open(fw, state)
    if nxt is None:
        reviewing = state.with_(status=Status.REVIEWING, current=None)
        return Transition(reviewing, (*prompts, _review(fw, reviewing)), events)
    asking = state.with_(status=Status.IN_PROGRESS, current=nxt.id)
    return Transition(asking, (*prompts, _ask(fw, asking, nxt)), events)


def _begin(fw: Framework, state: SessionState) -> Transition:
    started = state.with_(status=Status.IN_PROGRESS, resume_status=None)
    total = progress(fw, started.answers)[1]
    return _continue(fw, started, (Welcome(fw.title, total, len(fw.questions)),))


# ---- pure helpers ---------------------------------------------------------------------------


def _as_typed(suggestion: Suggestion) -> str:
    """A suggested value as a grantee would type it, so it passes the same checks."""
    value = suggestion.value
    if isinstance(value, dict):
        return f"{value['x']} of {value['n']}"
    return str(value)


def _completed(fw: Framework, state: SessionState, *, edited: bool) -> Completed:
    relevant = applicable_questions(fw, state.answers)
    answered = len([q for q in relevant if q.id in state.answers])
    skipped = len([q for q in relevant if q.id in state.skipped])
    return Completed(answered, skipped, edited=edited)


def _ask(fw: Framework, state: SessionState, q: Question) -> Ask:
    relevant = applicable_questions(fw, state.answers)
    ids = [a.id for a in relevant]
    position = ids.index(q.id) if q.id in ids else 0
    section_start = position == 0 or relevant[position - 1].section != q.section
    current = state.answers.get(q.id)
    answered, total = progress(fw, state.answers)
    return Ask(
        question_id=q.id,
        number=fw.number_of(q.id),
        answered=answered,
        total=total,
        section_start=section_start,
        current=format_answer(q, current) if current is not None else None,
        optional=not q.required,
    )


def _review(fw: Framework, state: SessionState) -> Review:
    items = []
    for q in applicable_questions(fw, state.answers):
        value = state.answers.get(q.id)
        display = format_answer(q, value) if value is not None else "(not answered)"
        items.append(ReviewItem(fw.number_of(q.id), q.id, q.short, display, q.id in state.skipped))
    return Review(tuple(items), completed=state.status is Status.COMPLETED)
