"""Lock, load, step, save, send: the one path every channel's messages take through the engine."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from collections.abc import Awaitable, Callable, Coroutine, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

import storage
from bot.clock import Clock as Clock
from bot.clock import utc_now as utc_now
from bot.conversation.channel import Channel, Delivery, InboundMessage, Step
from bot.conversation.frameworks import framework_for
from bot.conversation.outbox import Outbox
from bot.conversation.rendering import ConversationView
from bot.conversation.steps import Interpreter, advance_reply, interpreted, state_of
from bot.conversation.views import FormLinks, conversation_view, linked_view
from bot.participants.offer import form_suggestions, step_with_offers
from conversations import engine
from conversations.state import (
    EngineOptions,
    Notice,
    NoticeKind,
    Prompt,
    Reply,
    SessionState,
    Status,
)
from storage.records import (
    BULK,
    INTERACTIVE,
    AnswerWrite,
    CheckIn,
    CheckInContext,
    InboundKey,
    OutboundMessage,
    OutboundWrite,
    StepOutcome,
)

log = logging.getLogger(__name__)
CompletionHook = Callable[[CheckInContext, str], Awaitable[None]]
StoredHook = Callable[[CheckIn], None]


@dataclass(frozen=True)
class StepReport:
    """What happened to one message, for the channel and for tests."""

    outcome: StepOutcome
    prompts: tuple[Prompt, ...]
    deliveries: tuple[Delivery, ...]
    # the check-in as stored once the message was taken: saved by it, or as found when
    # another step went first
    checkin: CheckIn | None = None


class Dispatcher:
    def __init__(
        self,
        channels: Mapping[str, Channel],
        *,
        clock: Clock = utc_now,
        max_invalid_attempts: int = 3,
        contact_hint: str = "",
    ) -> None:
        self.channels = channels
        self.clock = clock
        self.max_invalid_attempts = max_invalid_attempts
        self.contact_hint = contact_hint
        self.outbox = Outbox(channels, clock=clock)
        self.on_completed: list[CompletionHook] = []
        # told of each check-in as stored after a step of this process, whichever channel it
        # came by (saved, or found moved on); called before the step's caller hears of it
        self.on_stored: list[StoredHook] = []
        # the service runs completion hooks as tasks of their own (see step); a terminal
        # session or a script wants them done before the next line
        self.completion_in_background = False
        self._background: set[asyncio.Task[None]] = set()
        # each check-in's messages still being sent after its step (send_after), if any
        self._sending: weakref.WeakValueDictionary[int, asyncio.Task[None]] = (
            weakref.WeakValueDictionary()
        )
        self.interpreters: list[Interpreter] = []
        self.form_links: FormLinks | None = None  # set when the web check-in is served
        # the figures participants' forms supply, offered when their questions are asked
        self.suggestions = form_suggestions
        self._answering = 0  # interactive steps under way
        self._quiet = asyncio.Event()  # set while none is
        self._quiet.set()
        # one step at a time per check-in in this process, whichever channel it came by, so two
        # quick replies both count (across processes the version compare-and-set decides)
        self._locks: weakref.WeakValueDictionary[int, asyncio.Lock] = weakref.WeakValueDictionary()

    async def bulk_turn(self) -> None:
        """Wait until no interactive step is under way: bulk work (a round's first messages,
        reminders) starts its next message only then, so someone answering never shares the
        database and the loop with it."""
        await self._quiet.wait()

    async def start(
        self, checkin_id: int, channel: str, occasion: str, *, lane: str = BULK
    ) -> StepReport:
        """Send a check-in's opening message, or where it stands, once per occasion.

        The occasion names why ("round-12" when a round opens, a terminal session's id), so
        that running the same job twice sends nothing new. `lane`: BULK for a round's opening
        (nobody is waiting this second), INTERACTIVE when someone asked (/checkin).
        """
        # a channel may open differently (email lists the whole section, not one question)
        opening: Step = getattr(self.channels[channel], "opening", engine.start)
        async with self._lock(checkin_id):
            context = await storage.load_checkin_context(checkin_id)
            return await self._step(
                context,
                channel,
                opening,
                inbound=None,
                idempotency_key=f"{channel}:start:{checkin_id}:{occasion}",
                actor="system",
                lane=lane,
            )

    async def handle(
        self, checkin_id: int, message: InboundMessage, *, context: CheckInContext | None = None
    ) -> StepReport:
        """Take one inbound message for a check-in; a second delivery of it changes nothing.

        `context`: the check-in as the caller just read it, saving a second read (read again
        when another step of the same check-in went first).
        """
        lock = self._lock(checkin_id)
        waited = lock.locked()
        async with lock:
            pinned = message.made_from_version is not None
            if context is None or context.checkin.id != checkin_id or (waited and not pinned):
                context = await storage.load_checkin_context(checkin_id)
            step = message.step or await self._reply_step(context, message)
            return await self._step(
                context,
                message.channel,
                step,
                # a form made from a version needs no inbound record: a replay of it meets a
                # newer version and is a conflict
                inbound=None if pinned else InboundKey(message.channel, message.external_id),
                idempotency_key=f"{message.channel}:reply:{message.external_id}",
                actor=f"{message.channel}:{message.sender}",
                thread_id=message.thread_id,
                send_after=message.send_after,
            )

    def _lock(self, checkin_id: int) -> asyncio.Lock:
        lock = self._locks.get(checkin_id)
        if lock is None:
            lock = self._locks[checkin_id] = asyncio.Lock()
        return lock

    async def _reply_step(self, context: CheckInContext, message: InboundMessage) -> Step:
        """The engine's answer to one reply, unless an interpreter reads it as something else."""
        for interpret in self.interpreters if message.question_id is None else ():
            found = await interpret(context, message, self.clock())
            if found is not None:
                return partial(interpreted, found=found)
        return partial(
            advance_reply, reply=Reply(message.text, message.question_id, message.strict)
        )

    @contextlib.contextmanager
    def _answering_while(self, interactive: bool) -> Iterator[None]:
        """Count an interactive step under way (see bulk_turn)."""
        if not interactive:
            yield
            return
        self._answering += 1
        self._quiet.clear()
        try:
            yield
        finally:
            self._answering -= 1
            if not self._answering:
                self._quiet.set()

    async def _step(
        self,
        context: CheckInContext,
        channel_name: str,
        step: Step,
        *,
        inbound: InboundKey | None,
        idempotency_key: str,
        actor: str,
        thread_id: int | None = None,
        send_after: bool = False,
        lane: str = INTERACTIVE,
    ) -> StepReport:
        """Run one engine step for a check-in and save it with its messages, once.

        With `send_after`, it returns once the step is saved and sends its messages after: a
        mail server waiting for our 250 need not wait for our relay. Either way a check-in's
        messages go out in order, each step's after those of the step before. `lane`: a
        step is a reply someone waits for (INTERACTIVE) unless the caller says otherwise.
        """
        with self._answering_while(lane == INTERACTIVE):
            return await self._saved_and_sent(
                context,
                channel_name,
                step,
                inbound=inbound,
                idempotency_key=idempotency_key,
                actor=actor,
                thread_id=thread_id,
                send_after=send_after,
                lane=lane,
            )

    async def _saved_and_sent(
        self,
        context: CheckInContext,
        channel_name: str,
        step: Step,
        *,
        inbound: InboundKey | None,
        idempotency_key: str,
        actor: str,
        thread_id: int | None,
        send_after: bool,
        lane: str,
    ) -> StepReport:
        channel = self.channels[channel_name]
        framework = framework_for(context.programme)
        state = state_of(context, framework)
        options = EngineOptions(
            round_open=context.round.is_open,
            max_invalid_attempts=self.max_invalid_attempts,
            contact_hint=self.contact_hint,
        )
        transition = await step_with_offers(
            step, framework, state, options, context, self.suggestions
        )
        view = await self.linked_view(context, channel_name)
        recipient = channel.recipient(context)
        payload = channel.render(transition.prompts, view)
        result = await storage.save_step(
            context.checkin.id,
            expected_version=context.checkin.version,
            state=transition.state.to_json(),
            status=transition.state.status.value,
            answers=[
                AnswerWrite(a.question_id, a.question_version, a.value, a.raw_text, a.skipped)
                for a in transition.answers
            ],
            channel=channel_name,
            actor=actor,
            now=self.clock(),
            inbound=inbound,
            # a channel whose replies are its own pages (the web) queues nothing to send
            outbound=[OutboundWrite(idempotency_key, channel_name, recipient, payload, lane)]
            if getattr(channel, "queues_messages", True)
            else [],
            claim_for=self.outbox.lease,  # sent right below, without a separate claim
            holder=self.outbox.holder,
            thread_id=thread_id,
        )
        for told in self.on_stored:
            told(result.checkin)
        if result.outcome is StepOutcome.DUPLICATE:
            log.info("duplicate delivery %s ignored", inbound)
            return StepReport(result.outcome, (), (), result.checkin)
        if result.outcome is StepOutcome.CONFLICT:
            report = await self._tell_conflict(
                result.checkin.state, context, channel, inbound, view
            )
            return replace(report, checkin=result.checkin)
        deliveries = tuple(
            Delivery(outbound_id, recipient, payload, lane=lane)
            for outbound_id in result.outbound_ids
        )
        # completing (submit) changes no answer; an edit after completing changes one
        just_completed = context.checkin.status != Status.COMPLETED.value
        completed = transition.state.status is Status.COMPLETED and (
            transition.changed or just_completed
        )
        checkin_id = context.checkin.id
        after = self._sending.get(checkin_id)
        sent = self._sent(result.claimed, context, channel_name, completed=completed, after=after)
        if send_after:
            self._sending[checkin_id] = self._in_background(sent)
        else:
            await sent
        return StepReport(result.outcome, transition.prompts, deliveries, result.checkin)

    async def _sent(
        self,
        claimed: Sequence[OutboundMessage],
        context: CheckInContext,
        channel_name: str,
        *,
        completed: bool,
        after: asyncio.Task[None] | None,
    ) -> None:
        """Send a saved step's messages (once `after` is done, however it ended); then, for a
        completed check-in, the summary."""
        if after is not None:
            await asyncio.wait({after})
        await self.outbox.deliver_claimed(claimed)
        if not completed:
            return
        if self.completion_in_background:
            # after the answer is stored and confirmed: a summary with charts takes a while,
            # and Slack or the sending mail server is waiting for our answer
            self._in_background(self._completed(context, channel_name))
        else:
            await self._completed(context, channel_name)

    def _in_background(self, work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        """Run `work` as a task that settle() waits for; a failure is logged (what it was
        sending stays queued, for the outbox to send when its claim runs out)."""
        task = asyncio.create_task(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        task.add_done_callback(_log_failure)
        return task

    async def settle(self) -> None:
        """Wait for work started after earlier steps (completion summaries) to finish."""
        while self._background:
            await asyncio.wait(set(self._background))

    async def _completed(self, context: CheckInContext, channel_name: str) -> None:
        fresh = await storage.load_checkin_context(context.checkin.id)
        for hook in self.on_completed:
            try:
                await hook(fresh, channel_name)
            except Exception:  # a summary that fails must not undo or hide the saved answers
                log.exception("completion hook %r failed for check-in %s", hook, fresh.checkin.id)

    async def _tell_conflict(
        self,
        fresh_state: Mapping[str, object],
        context: CheckInContext,
        channel: Channel,
        inbound: InboundKey | None,
        view: ConversationView,
    ) -> StepReport:
        """Someone else changed the check-in first: say so, and show where it now stands."""
        framework = view.framework
        fresh = SessionState.from_json(fresh_state) if fresh_state else engine.new_state(framework)
        where = engine.where(framework, fresh)
        prompts = (Notice(NoticeKind.CONFLICT), *where)
        recipient = channel.recipient(context)
        payload = channel.render(prompts, view)
        key = f"{channel.name}:conflict:{inbound.external_id if inbound else context.checkin.id}"
        ids: tuple[int, ...] = ()
        if inbound is not None:
            # recorded, so that a redelivery of the same message is not handled a second time
            await storage.record_inbound(
                inbound, now=self.clock(), outcome="conflict", checkin_id=context.checkin.id
            )
        ids = await storage.enqueue_outbound(
            [OutboundWrite(key, channel.name, recipient, payload, INTERACTIVE)],
            checkin_id=context.checkin.id,
            now=self.clock(),
        )
        deliveries = tuple(Delivery(i, recipient, payload, lane=INTERACTIVE) for i in ids)
        await self.outbox.send_now(ids)
        return StepReport(StepOutcome.CONFLICT, prompts, deliveries)

    async def linked_view(self, context: CheckInContext, channel_name: str) -> ConversationView:
        """The view for a message on this channel: with the web link, minted if need be."""
        return await linked_view(self.view(context), context, channel_name, self.form_links)

    async def context(self, checkin_id: int) -> CheckInContext:
        """A check-in as it is stored now."""
        return await storage.load_checkin_context(checkin_id)

    async def send_outside_step(
        self, write: OutboundWrite, *, checkin_id: int | None = None
    ) -> tuple[int, ...]:
        """Queue and send a message that changes no check-in (a notice), once per its key."""
        ids = await storage.enqueue_outbound([write], checkin_id=checkin_id, now=self.clock())
        await self.outbox.send_now(ids)
        return ids

    def view(self, context: CheckInContext) -> ConversationView:
        """The words' setting for a check-in's messages (with its web link, where one is made)."""
        return conversation_view(context, self.contact_hint, self.form_links)


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("work after a step failed", exc_info=task.exception())
