"""What every channel shares: the inbound message shape and the protocol the dispatcher drives."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from bot.conversation.rendering import ConversationView
from bot.errors import BotError
from conversations.framework import Framework
from conversations.state import EngineOptions, Prompt, SessionState, Transition
from storage.records import BULK, CheckInContext

# One engine step over a check-in's state: the engine's own advance, or a channel's for a
# message that carries several replies at once (an email answering three questions).
Step = Callable[[Framework, SessionState, EngineOptions], Transition]


@dataclass(frozen=True)
class InboundMessage:
    """A grantee's message, translated at the channel's edge."""

    channel: str
    external_id: str  # unique per delivery: Slack event_id, email Message-ID, a console line id
    sender: str  # who sent it, in the channel's terms (email address, Slack user id)
    text: str
    question_id: str | None = None  # the question it answers, when the channel knows
    strict: bool = False  # a button click: stale if its question is no longer being asked
    step: Step | None = None  # how to apply it, when it is more than one reply to the engine
    thread_id: int | None = None  # the email thread it replies to, kept with the step
    # the sender waits for "stored" (a mail server for our 250): send our answer after that
    send_after: bool = False
    # a form made from this version of the check-in: it applies to that version or to none
    made_from_version: int | None = None


@dataclass(frozen=True)
class Delivery:
    """A rendered message ready for a channel to send."""

    outbound_id: int
    recipient: str
    payload: Mapping[str, Any]
    lane: str = BULK  # INTERACTIVE: someone is waiting for it
    maybe_sent: bool = False  # its sender crashed mid-send: check before sending again


class DeliveryError(BotError):
    """A message could not be sent; the outbox decides whether to try again."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TemporaryFailure(DeliveryError):
    """Worth another try later; `retry_after` (seconds): not before then."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class PermanentFailure(DeliveryError):
    """Will never work as it is (a refused address, a revoked token): recorded, not retried."""


class Channel(Protocol):
    """A way of reaching grantees; it paces its own sends by what its service limits."""

    name: str

    def recipient(self, context: CheckInContext) -> str:
        """Where this channel reaches the grantee of a check-in."""
        ...

    def render(self, prompts: Sequence[Prompt], view: ConversationView) -> dict[str, Any]:
        """Turn prompts into this channel's payload (stored before it is sent)."""
        ...

    async def deliver(self, delivery: Delivery) -> str | None:
        """Send one message; return the channel's id for it, if any."""
        ...
