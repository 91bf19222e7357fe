"""Which check-in an inbound message belongs to, and what becomes of those that belong to none.

Every channel hands its inbound messages here as typed values; this is where a reply finds its
check-in, a Slack user is linked to their grantee record, a bounce marks an address as failing
and a message nobody can answer is recorded. Channels themselves never touch storage.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, TypeVar

import storage
from bot.clock import Clock, utc_now
from bot.conversation.channel import InboundMessage, Step
from bot.conversation.dispatcher import Dispatcher, StepReport
from storage.email import OutgoingEmail
from storage.reconnect import retry_on_disconnect
from storage.records import CheckInContext, Grantee, InboundKey, OutboundWrite
from storage.slack_links import OpenCheckIn

log = logging.getLogger(__name__)
EMAIL = "email"
T = TypeVar("T")


async def waiting_for_storage(work: Callable[[], Awaitable[T]]) -> T:
    """Run `work` again while the database is restarting: for work a repeat cannot double,
    such as a step stored with its inbound message's id."""
    return await retry_on_disconnect(work)


@dataclass(frozen=True)
class BounceReport:
    """A delivery status notification: which of our emails it is about, and whether for good."""

    permanent: bool
    original_ids: tuple[str, ...] = ()


class EmailReading(Protocol):
    """A reply's answers, read by the email channel; some replies can only be read against the
    emails we sent in their thread (what they quote of ours is never an answer)."""

    needs_sent: bool

    def step(self, sent: Sequence[str]) -> Step:
        """The engine step of the answers; `sent`: our emails' texts when `needs_sent`."""
        ...


@dataclass(frozen=True)
class EmailArrival:
    """One delivered email as the email channel read it, before anyone knows whose it is."""

    external_id: str  # its Message-ID, or a digest of its bytes when it has none
    sender: str | None = None
    reply_token: str | None = None  # from reply+TOKEN@ in its recipients
    bounce_token: str | None = None  # from bounce+TOKEN@ (our envelope sender)
    referenced_ids: tuple[str, ...] = ()  # In-Reply-To and References
    bounce: BounceReport | None = None
    automated: str | None = None  # why it is an auto-reply, if it is one
    malformed: str | None = None  # why it could not be parsed at all
    unreadable: str | None = None  # why its body could not be read
    reading: EmailReading | None = None  # its answers
    # our own mail server found the From failing DMARC alignment (Authentication-Results)
    dmarc_failed: bool = False
    # the fresh email telling the grantee a reply in their name was not taken
    unverified_notice: Callable[[CheckInContext], Mapping[str, str]] | None = None


@dataclass(frozen=True)
class Received:
    """What became of one inbound email (for logs and tests)."""

    outcome: str  # answered | duplicate | conflict | bounce | auto_reply | sender_mismatch | ...
    checkin_id: int | None = None
    report: StepReport | None = None


@dataclass(frozen=True)
class SlackProfile:
    """What Slack's users.info says of a user, as far as routing needs it."""

    email: str | None
    timezone: str | None
    is_bot: bool = False


class Routing:
    """Finds the check-in behind each inbound message and hands it to the dispatcher."""

    def __init__(self, dispatcher: Dispatcher, *, clock: Clock = utc_now) -> None:
        self.dispatcher = dispatcher
        self.clock = clock

    # ---- email ------------------------------------------------------------------------------

    async def email(self, arrival: EmailArrival) -> Received:
        """Record or answer one email; returns only once it is stored (or refused)."""
        key = InboundKey(EMAIL, arrival.external_id)
        if arrival.malformed is not None:
            return await self._record(key, "malformed", arrival.malformed, None)
        if arrival.bounce is not None or arrival.bounce_token:
            bounce = arrival.bounce
            ids = bounce.original_ids if bounce else ()
            return await self._bounced(
                key, arrival.bounce_token, ids, bounce is None or bounce.permanent
            )
        token, refs = arrival.reply_token, arrival.referenced_ids
        if arrival.automated is not None:
            thread = await storage.find_email_thread(token=token, message_ids=refs)
            log.info("automated email %s not answered: %s", key.external_id, arrival.automated)
            found_id = thread.checkin_id if thread else None
            return await self._record(key, "auto_reply", arrival.automated, found_id)
        found = await storage.reply_thread(token=token, message_ids=refs)
        if found is None:
            log.warning("email %s matches no check-in; nothing stored", key.external_id)
            return await self._record(key, "unknown_thread", "", None)
        thread, context = found
        checkin_id = thread.checkin_id
        if arrival.sender != context.grantee.email.lower():
            log.warning(
                "email %s for check-in %s came from %s, not the grantee; nothing stored",
                key.external_id,
                checkin_id,
                arrival.sender,
            )
            return await self._record(key, "sender_mismatch", f"from {arrival.sender}", checkin_id)
        if arrival.dmarc_failed:
            return await self._unverified(key, arrival, context)
        reading = arrival.reading
        try:
            if arrival.unreadable is not None or reading is None:
                raise ValueError(arrival.unreadable or "no text part to read")
            sent = (
                await storage.sent_email_texts(checkin_id, referenced=refs)
                if reading.needs_sent
                else []
            )
            step = reading.step(sent)
        except Exception as exc:  # unreadable body parts: recorded, and the grantee can resend
            log.warning("email %s could not be read: %s", key.external_id, exc)
            return await self._record(key, "malformed", str(exc), checkin_id)
        if context.grantee.email_failing:
            await storage.set_email_failing(context.grantee.id, False)  # it works again
        message = InboundMessage(
            EMAIL,
            arrival.external_id,
            context.grantee.email.lower(),
            "",  # its answers travel as the step, read line by line
            step=step,
            thread_id=thread.id,  # the reply's Message-ID, kept for threading with the step
            send_after=True,  # our 250 goes back once the reply is stored; its email after
        )
        report = await self.dispatcher.handle(checkin_id, message, context=context)
        return Received(report.outcome.value, checkin_id, report)

    async def _unverified(
        self, key: InboundKey, arrival: EmailArrival, context: CheckInContext
    ) -> Received:
        """A reply our mail server found failing DMARC: recorded, not read, and the grantee
        told at the address on file (at most once a day per check-in: a forger could send many)."""
        checkin_id = context.checkin.id
        log.warning(
            "email %s for check-in %s from %s failed DMARC at our mail server; not taken",
            key.external_id,
            checkin_id,
            arrival.sender,
        )
        received = await self._record(
            key, "unverified_sender", f"from {arrival.sender}", checkin_id
        )
        if received.outcome == "duplicate" or arrival.unverified_notice is None:
            return received
        now = self.clock()
        write = OutboundWrite(
            f"{EMAIL}:unverified:{checkin_id}:{now.date().isoformat()}",
            EMAIL,
            context.grantee.email,
            dict(arrival.unverified_notice(context)),
        )
        if await storage.enqueue_outbound([write], now=now):
            self.dispatcher.outbox.wake()  # sent by the outbox, after our 250
        return received

    async def _bounced(
        self, key: InboundKey, token: str | None, ids: Sequence[str], permanent: bool
    ) -> Received:
        thread = await storage.find_email_thread(token=token, message_ids=ids)
        checkin_id = thread.checkin_id if thread else None
        fresh = await storage.record_inbound(
            key, now=self.clock(), outcome="bounce", detail="", checkin_id=checkin_id
        )
        if thread is not None and fresh and permanent:
            context = await storage.load_checkin_context(thread.checkin_id)
            await storage.set_email_failing(context.grantee.id, True)
            log.warning("email to %s bounced; marked as failing", context.grantee.email)
        return Received("bounce" if fresh else "duplicate", checkin_id)

    async def _record(
        self, key: InboundKey, outcome: str, detail: str, checkin_id: int | None
    ) -> Received:
        fresh = await storage.record_inbound(
            key, now=self.clock(), outcome=outcome, detail=detail, checkin_id=checkin_id
        )
        return Received(outcome if fresh else "duplicate", checkin_id)

    # ---- Slack ------------------------------------------------------------------------------

    async def slack_checkins(
        self, user_id: str, choose: Callable[[Sequence[OpenCheckIn]], OpenCheckIn | None]
    ) -> tuple[list[OpenCheckIn], CheckInContext | None]:
        """A Slack user's open check-ins, with the context of the one `choose` picks, in one
        read; [] for a user not linked to any grantee yet."""
        return await storage.open_checkins_routed(user_id, choose)

    async def slack_open_checkins(self, user_id: str) -> list[OpenCheckIn]:
        return await storage.open_checkins_brief(user_id)

    async def slack_grantees(self, user_id: str) -> list[Grantee]:
        return await storage.grantees_for_slack_user(user_id)

    async def link_slack_profile(self, user_id: str, profile: SlackProfile) -> bool:
        """Link the user to grantees with their profile's email; fill a missing timezone."""
        if profile.is_bot:
            return False
        linked = await storage.link_slack_user(profile.email, user_id) if profile.email else []
        if profile.timezone:
            await storage.set_missing_timezone(user_id, profile.timezone)
        return bool(linked)


# ---- what channels need to know while sending ---------------------------------------------------


async def email_thread_for_sending(
    outbound_id: int,
    *,
    now: datetime,
    new_token: Callable[[], str],
    new_message_id: Callable[[], str],
) -> OutgoingEmail | None:
    """The thread an outbound email belongs to (its reply token and Message-IDs), made on its
    first send; None for an email outside any check-in (a digest). NotFound if it is gone."""
    return await storage.outgoing_email(
        outbound_id, now=now, new_token=new_token, new_message_id=new_message_id
    )


async def slack_question_message(channel: str, recipient: str, question_id: str) -> str | None:
    """The Slack message ("channel:ts") that last asked a question of this recipient."""
    return await storage.question_message(channel, recipient, question_id)


async def link_slack_email(email: str, user_id: str) -> list[Grantee]:
    """Link the grantees with this email to the Slack user Slack found for it."""
    return await storage.link_slack_user(email, user_id)
