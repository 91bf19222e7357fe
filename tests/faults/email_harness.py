"""The real service with its email channel, a local relay that keeps mail, and database probes."""

from __future__ import annotations

import asyncio
import email
import email.policy
import email.utils
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session

import storage
from bot.admin import operations as admin
from bot.channels.email.inbound import EmailInbound
from bot.service import Service, build_service
from storage import models as m
from storage.records import CheckInContext
from tests.support.email_service import email_settings, smtp_server

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
AMINA = "amina@unitythroughfood.example.org"
RAJ = "raj@belgravearts.example.org"


class Clock:
    """The service's clock; each case moves it on, so the rows a case writes can be told apart."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def tick(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


class Relay:
    """The outbound relay: an aiosmtpd server in this loop that keeps every message."""

    def __init__(self) -> None:
        self.received: asyncio.Queue[EmailMessage] = asyncio.Queue()
        self.port = 0

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        message = email.message_from_bytes(
            envelope.original_content or b"", policy=email.policy.default
        )
        assert isinstance(message, EmailMessage)
        await self.received.put(message)
        return "250 OK"

    async def next(self, timeout: float = 10) -> EmailMessage:
        return await asyncio.wait_for(self.received.get(), timeout)

    def drain(self) -> list[EmailMessage]:
        kept = []
        while not self.received.empty():
            kept.append(self.received.get_nowait())
        return kept


@dataclass
class Thread:
    """A grantee's open check-in and the first email of its thread."""

    context: CheckInContext
    first: EmailMessage

    @property
    def checkin_id(self) -> int:
        return self.context.checkin.id

    @property
    def address(self) -> str:
        return self.context.grantee.email

    @property
    def reply_to(self) -> str:
        return str(self.first["Reply-To"])

    @property
    def token(self) -> str:
        return self.reply_to.removeprefix("reply+").partition("@")[0]

    @property
    def message_id(self) -> str:
        return str(self.first["Message-ID"])


@dataclass
class EmailWorld:
    service: Service
    inbound: EmailInbound
    relay: Relay
    clock: Clock
    threads: dict[str, Thread] = field(default_factory=dict)

    async def receive(self, raw: bytes, rcpt: str, mail_from: str = AMINA) -> str:
        """Deliver one email as the SMTP server would; the outcome it recorded."""
        self.clock.tick()
        received = await self.inbound.receive(raw, mail_from, [rcpt])
        return received.outcome


@asynccontextmanager
async def email_world(
    db_url: str, *, grantees: tuple[str, ...] = (AMINA, RAJ)
) -> AsyncIterator[EmailWorld]:
    """The service with a round open and each grantee's first email sent (and read back)."""
    relay = Relay()
    async with smtp_server(relay, "relay.test") as relay.port:
        clock = Clock()
        service = build_service(email_settings(db_url, relay.port), clock=clock, scheduler=False)
        await service.start()
        try:
            inbound = next(c for c in service.components if isinstance(c, EmailInbound))
            world = EmailWorld(service, inbound, relay, clock)
            programme = await admin.load_programme(EXAMPLES / "programme.toml")
            await admin.import_grantees(EXAMPLES / "grantees.csv", programme.slug)
            await admin.open_round(programme.slug, "2026 Q4", now=clock(), timezone="Europe/London")
            for address in grantees:
                (context,) = await storage.open_checkins_for_email(address)
                await inbound.routing.dispatcher.start(
                    context.checkin.id, "email", occasion="round-opened"
                )
                world.threads[address] = Thread(context, await relay.next())
            yield world
        finally:
            await service.stop()


@dataclass(frozen=True)
class Snapshot:
    """What one check-in's rows are at a moment: answers, audit trail, version."""

    answers: dict[str, tuple[Any, bool, str]]  # question -> (value, skipped, raw text)
    changes: int
    version: int
    outbound: int


async def snapshot(checkin_id: int) -> Snapshot:
    rows = await m.Answer.filter(checkin_id=checkin_id).all()
    checkin = await m.CheckIn.get(id=checkin_id)
    return Snapshot(
        answers={r.question_id: (r.value, r.skipped, r.raw_text) for r in rows},
        changes=await m.AnswerChange.filter(checkin_id=checkin_id).count(),
        version=checkin.version,
        outbound=await m.OutboundMessage.filter(checkin_id=checkin_id).count(),
    )


async def inbound_rows(external_id: str) -> list[m.InboundMessage]:
    return await m.InboundMessage.filter(channel="email", external_id=external_id).all()


def reply(
    thread: Thread,
    body: str,
    *,
    sender: str | None = None,
    message_id: str | None = None,
    refer: bool = True,
) -> bytes:
    """A plain reply to the thread's first email, as a mail client writes it."""
    message = EmailMessage()
    message["From"] = sender if sender is not None else thread.address
    message["To"] = thread.reply_to
    message["Subject"] = "Re: " + str(thread.first["Subject"])
    message["Message-ID"] = message_id or email.utils.make_msgid(domain="mail.example.org")
    if refer:
        message["In-Reply-To"] = thread.message_id
        message["References"] = thread.message_id
    message.set_content(body)
    return message.as_bytes(policy=email.policy.SMTP)


def html_part(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    assert part is not None, "the email has no HTML part"
    return str(part.get_content())


def text_part(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None, "the email has no text part"
    return str(part.get_content())
