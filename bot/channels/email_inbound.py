"""The email channel's inbound side: an in-loop aiosmtpd server taking replies to check-ins."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import weakref
from collections.abc import Sequence
from dataclasses import dataclass

from aiosmtpd.smtp import SMTP, Envelope, Session

import storage
from bot.channels.email import EmailChannel
from bot.channels.email_parsing import (
    BOUNCE_PREFIX,
    REPLY_PREFIX,
    ReadReply,
    automated,
    bounce,
    external_id,
    parse_message,
    read_reply,
    referenced_ids,
    sender_address,
    token_from_address,
)
from bot.channels.email_smtp import InboundSMTP
from bot.channels.email_steps import (
    AttachmentsIgnored,
    advance_all,
    replies_for,
    start_step,
)
from bot.clock import Clock, utc_now
from bot.dispatcher import Dispatcher, StepReport
from bot.settings import EmailSettings, SettingsError
from conversations.framework import Framework
from conversations.state import EngineOptions, SessionState, Transition
from storage.plans import Statement
from storage.records import CheckInContext, InboundKey

log = logging.getLogger(__name__)
CHANNEL = "email"


@dataclass(frozen=True)
class Received:
    """What became of one inbound email (for logs and tests)."""

    outcome: str  # answered | duplicate | conflict | bounce | auto_reply | sender_mismatch | ...
    checkin_id: int | None = None
    report: StepReport | None = None


class EmailInbound:
    """Receives replies over SMTP and steps their check-ins; a service component."""

    name = "email-inbound"

    def __init__(
        self,
        settings: EmailSettings,
        dispatcher: Dispatcher,
        channel: EmailChannel,
        *,
        clock: Clock = utc_now,
    ) -> None:
        self.config = settings
        self.dispatcher = dispatcher
        self.channel = channel
        self.clock = clock
        self.port: int | None = None
        self._server: asyncio.Server | None = None
        # one reply at a time per check-in in this process, so two quick emails both count
        self._locks: weakref.WeakValueDictionary[int, asyncio.Lock] = weakref.WeakValueDictionary()

    # ---- the SMTP server ----------------------------------------------------------------------

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        host, port = self.config.inbound_host, self.config.inbound_port
        handler = _Handler(self)
        try:
            # in this loop, not aiosmtpd's threaded Controller: handlers need tortoise's context
            self._server = await loop.create_server(
                lambda: InboundSMTP(
                    handler,
                    hostname=self.config.reply_domain,
                    ident="Cohesion Check-ins",
                    data_size_limit=self.config.max_message_bytes,
                    enable_SMTPUTF8=True,
                ),
                host=host,
                port=port,
            )
        except OSError as exc:
            raise SettingsError(
                f"email.inbound_host/inbound_port = {host}:{port}: cannot listen for replies "
                f"({exc.strerror or exc}); choose a free port with CHECKINS_EMAIL__INBOUND_PORT "
                "(0 picks any free port)"
            ) from exc
        self.port = int(self._server.sockets[0].getsockname()[1])
        log.info("email inbound listening on %s:%s", self.config.inbound_host, self.port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    def accepts(self, address: str) -> bool:
        domain = self.config.reply_domain
        return any(token_from_address(address, domain, p) for p in (REPLY_PREFIX, BOUNCE_PREFIX))

    # ---- conversation steps -------------------------------------------------------------------

    async def open_checkin(self, checkin_id: int, occasion: str) -> StepReport:
        """Send the check-in's email: the welcome and the first questions, or where it stands."""
        context = await storage.load_checkin_context(checkin_id)
        per_message = self.channel.per_message

        def step(fw: Framework, state: SessionState, options: EngineOptions) -> Transition:
            return start_step(fw, state, options, per_message=per_message)

        async with self._lock(checkin_id):
            return await self.dispatcher.step(
                context,
                CHANNEL,
                step,
                inbound=None,
                idempotency_key=f"{CHANNEL}:start:{checkin_id}:{occasion}",
                actor="system",
            )

    def _lock(self, checkin_id: int) -> asyncio.Lock:
        lock = self._locks.get(checkin_id)
        if lock is None:
            lock = self._locks[checkin_id] = asyncio.Lock()
        return lock

    async def receive(self, raw: bytes, mail_from: str, rcpt_tos: Sequence[str]) -> Received:
        """Handle one delivered email; returns only once it is stored (or refused)."""
        now = self.clock()
        try:
            message = parse_message(raw)
            key = InboundKey(CHANNEL, external_id(message, raw))
        except Exception as exc:  # the parser is lenient, but a broken message must not crash
            digest = f"<sha256:{hashlib.sha256(raw).hexdigest()}>"
            await storage.record_inbound(
                InboundKey(CHANNEL, digest), now=now, outcome="malformed", detail=str(exc)
            )
            return Received("malformed")
        domain = self.config.reply_domain
        tokens = [token_from_address(a, domain) for a in rcpt_tos]
        bounce_tokens = [token_from_address(a, domain, BOUNCE_PREFIX) for a in rcpt_tos]
        try:
            dsn = bounce(message)
        except Exception:  # a DSN too broken to read still counts as a bounce below
            dsn = None
        bounce_token = next((t for t in bounce_tokens if t), None)
        if dsn is not None or bounce_token:
            ids = dsn.original_ids if dsn else ()
            return await self._bounced(key, bounce_token, ids, dsn is None or dsn.permanent)
        token = next((t for t in tokens if t), None)
        refs = referenced_ids(message)
        reason = automated(message, mail_from)
        if reason is not None:
            thread = await storage.find_email_thread(token=token, message_ids=refs)
            log.info("automated email %s not answered: %s", key.external_id, reason)
            found_id = thread.checkin_id if thread else None
            return await self._record(key, "auto_reply", reason, found_id)
        found = await storage.reply_thread(token=token, message_ids=refs)
        if found is None:
            log.warning("email %s matches no check-in; nothing stored", key.external_id)
            return await self._record(key, "unknown_thread", "", None)
        thread, context = found
        checkin_id = thread.checkin_id
        lock = self._lock(checkin_id)
        waited = lock.locked()
        async with lock:
            if waited:  # another reply to this check-in went first: start from what it saved
                context = await storage.load_checkin_context(checkin_id)
            sender = sender_address(message)
            if sender != context.grantee.email.lower():
                log.warning(
                    "email %s for check-in %s came from %s, not the grantee; nothing stored",
                    key.external_id,
                    thread.checkin_id,
                    sender,
                )
                return await self._record(key, "sender_mismatch", f"from {sender}", checkin_id)
            try:
                read = read_reply(message)
            except Exception as exc:  # unreadable body parts: recorded, and the grantee can resend
                log.warning("email %s could not be read: %s", key.external_id, exc)
                return await self._record(key, "malformed", str(exc), checkin_id)
            if context.grantee.email_failing:
                await storage.set_email_failing(context.grantee.id, False)  # it works again
            remember = storage.reply_statement(thread.id, key.external_id, now=now)
            report = await self._answer(context, key, sender, read, remember)
        return Received(report.outcome.value, thread.checkin_id, report)

    async def _answer(
        self,
        context: CheckInContext,
        key: InboundKey,
        sender: str,
        read: ReadReply,
        remember: Statement,
    ) -> StepReport:
        per_message = self.channel.per_message
        extra = [AttachmentsIgnored(read.attachments)] if read.attachments else []

        def step(fw: Framework, state: SessionState, options: EngineOptions) -> Transition:
            replies = replies_for(fw, state, read)
            return advance_all(fw, state, replies, options, per_message=per_message, extra=extra)

        return await self.dispatcher.step(
            context,
            CHANNEL,
            step,
            inbound=key,
            idempotency_key=f"{CHANNEL}:reply:{key.external_id}",
            actor=f"{CHANNEL}:{sender}",
            also=(remember,),  # the reply's Message-ID, kept for threading with the step
            send_after=True,  # our 250 goes back once the reply is stored; its email after
        )

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


class _Handler:
    """aiosmtpd hooks: accept only our reply and bounce addresses; 250 once stored."""

    def __init__(self, inbound: EmailInbound) -> None:
        self.inbound = inbound

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if not self.inbound.accepts(address):
            return "550 5.1.1 No such mailbox: reply to a check-in email to answer it"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        try:
            await self.inbound.receive(raw, str(envelope.mail_from or ""), envelope.rcpt_tos)
        except Exception:  # storage down, say: the sending server keeps it and tries again
            log.exception("inbound email could not be handled")
            return "451 4.3.0 Temporary problem handling the message; please try again later"
        return "250 OK"
