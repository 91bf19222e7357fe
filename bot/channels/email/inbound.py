"""The email channel's inbound side: an in-loop aiosmtpd server taking replies to check-ins."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import logging
import ssl
from collections.abc import Sequence
from email.message import Message
from functools import partial

from aiosmtpd.smtp import SMTP, Envelope, Session

from bot.channels.email.authentication import sender_check, unverified_notice
from bot.channels.email.bodies import decoded_header
from bot.channels.email.outbound import EmailChannel
from bot.channels.email.parsing import (
    BOUNCE_PREFIX,
    REPLY_PREFIX,
    ReadReply,
    automated,
    bounce,
    external_id,
    our_emails,
    parse_message,
    raw_headers,
    read_reply,
    referenced_ids,
    sender_address,
    token_from_address,
)
from bot.channels.email.smtp_session import InboundSMTP
from bot.channels.email.steps import (
    AttachmentsIgnored,
    advance_all,
    understood,
)
from bot.clock import Clock, utc_now
from bot.conversation.channel import Step
from bot.conversation.routing import BounceReport, EmailArrival, Received, Routing
from bot.settings import EmailSettings, SettingsError
from conversations.framework import Framework
from conversations.state import EngineOptions, SessionState, Transition
from storage.records import CheckInContext

log = logging.getLogger(__name__)
CHANNEL = "email"


class EmailInbound:
    """Receives replies over SMTP and steps their check-ins; a service component."""

    name = "email-inbound"

    def __init__(
        self,
        settings: EmailSettings,
        routing: Routing,
        channel: EmailChannel,
        *,
        clock: Clock = utc_now,
        tls_context: ssl.SSLContext | None = None,
    ) -> None:
        self.config = settings
        self.tls_context = tls_context  # STARTTLS offered when set (Settings.inbound_tls_context)
        self.routing = routing
        self.channel = channel
        self.clock = clock
        self.port: int | None = None
        self._server: asyncio.Server | None = None

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
                    tls_context=self.tls_context,
                    require_starttls=self.config.inbound_require_tls,
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

    # ---- reading an email, before anyone knows whose it is ------------------------------------

    async def receive(self, raw: bytes, mail_from: str, rcpt_tos: Sequence[str]) -> Received:
        """Handle one delivered email; returns only once it is stored (or refused)."""
        return await self.routing.email(self.arrival(raw, mail_from, rcpt_tos))

    def arrival(self, raw: bytes, mail_from: str, rcpt_tos: Sequence[str]) -> EmailArrival:
        """What the email says and whom it is addressed to, as one value for the routing."""
        try:
            message = parse_message(raw)
            found_id = external_id(message, raw)
        except Exception as exc:  # the parser is lenient, but a broken message must not crash
            digest = f"<sha256:{hashlib.sha256(raw).hexdigest()}>"
            return EmailArrival(digest, malformed=str(exc))
        domain = self.config.reply_domain
        reply_token = next((t for a in rcpt_tos if (t := token_from_address(a, domain))), None)
        bounce_token = next(
            (t for a in rcpt_tos if (t := token_from_address(a, domain, BOUNCE_PREFIX))), None
        )
        try:
            dsn = bounce(message)
        except Exception:  # a DSN too broken to read still counts as a bounce
            dsn = None
        sender = sender_address(message)
        check = sender_check(message, self.config.authserv_id)
        subject = decoded_header(raw_headers(message).get("subject", ""))[:200]
        arrival = EmailArrival(
            found_id,
            sender=sender,
            reply_token=reply_token,
            bounce_token=bounce_token,
            referenced_ids=tuple(referenced_ids(message)),
            bounce=BounceReport(dsn.permanent, tuple(dsn.original_ids)) if dsn else None,
            automated=automated(message, mail_from),
            dmarc_failed=check is not None and check.failed,
            unverified_notice=partial(_unverified_notice, sender=sender or "", subject=subject),
        )
        if arrival.bounce or bounce_token or arrival.automated:
            return arrival
        try:
            read = read_reply(message)
        except Exception as exc:  # unreadable body parts: recorded, and the grantee can resend
            return dataclasses.replace(arrival, unreadable=str(exc))
        reading = _Reading(message, read, self.channel.per_message)
        return dataclasses.replace(arrival, reading=reading)


class _Reading:
    """A reply's answers as engine steps; read again against the emails we sent, where the
    reply quotes them without marking them as quoted (see read_reply's `compared`)."""

    def __init__(self, message: Message, read: ReadReply, per_message: int) -> None:
        self.message = message
        self.read = read
        self.per_message = per_message
        self.needs_sent = read.compared

    def step(self, sent: Sequence[str]) -> Step:
        read = read_reply(self.message, our_emails(sent)) if self.needs_sent else self.read
        per_message = self.per_message
        ignored = [AttachmentsIgnored(read.attachments)] if read.attachments else []

        def step(fw: Framework, state: SessionState, options: EngineOptions) -> Transition:
            found = understood(fw, state, read, per_message=per_message)
            extra = [*ignored, *found.notes]
            return advance_all(
                fw, state, found.replies, options, per_message=per_message, extra=extra
            )

        return step


def _unverified_notice(context: CheckInContext, *, sender: str, subject: str) -> dict[str, str]:
    return unverified_notice(
        context.grantee.name, context.programme.name, context.round.period, sender, subject
    )


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
