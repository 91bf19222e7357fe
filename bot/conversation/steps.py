"""The engine steps a message can make: an answer, a message read as something else, the state."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from bot.conversation.channel import InboundMessage
from conversations import engine
from conversations.framework import Framework
from conversations.state import EngineOptions, Prompt, Reply, SessionState, Status, Transition
from storage.records import CheckInContext


@dataclass(frozen=True)
class Interpretation:
    """A message that is about the check-in rather than an answer ('remind me Friday')."""

    prompt: Prompt  # what to tell the grantee instead of the engine's reply
    pause: bool  # also pause the conversation, as `later` would


Interpreter = Callable[[CheckInContext, InboundMessage, datetime], Awaitable[Interpretation | None]]


def advance_reply(
    fw: Framework, state: SessionState, options: EngineOptions, *, reply: Reply
) -> Transition:
    return engine.advance(fw, state, reply, options)


def interpreted(
    fw: Framework, state: SessionState, options: EngineOptions, *, found: Interpretation
) -> Transition:
    """Say what was understood; pause the conversation too when that was asked for."""
    pausable = (Status.NOT_STARTED, Status.IN_PROGRESS, Status.REVIEWING)
    if found.pause and state.status in pausable:
        state = engine.advance(fw, state, Reply("later"), options).state
    return Transition(state, (found.prompt,))


def state_of(context: CheckInContext, framework: Framework) -> SessionState:
    if not context.checkin.state:
        return engine.new_state(framework)
    return SessionState.from_json(context.checkin.state)
