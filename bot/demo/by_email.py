"""The demo's email part: two grantees answer by replying, through real local SMTP servers."""

from __future__ import annotations

import asyncio
import email.policy
import smtplib
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

from aiosmtpd.smtp import SMTP, Envelope, Session
from rich.console import Console

import storage
from bot.admin import operations as admin
from bot.channels.email.inbound import EmailInbound
from bot.channels.email.outbound import EmailChannel
from bot.conversation.dispatcher import Dispatcher
from bot.conversation.routing import Routing
from bot.settings import Settings
from storage.db import database

SCRIPTS = [
    [
        "1: 14\n2: 260\n3: 85\n\nThanks,\n{first}",
        "4: 30\n5: 6\n6: skip\n7) 9\n8) 3\nQ9 - forty\n10: 35",
        "9: 40",
        "later",
    ],
    [
        "9 sessions, all at the community centre.\n\nSent from my phone",
        "2: 120\n3: 61\n4: 70",
        "help",
    ],
]


class _Relay:
    """A local SMTP server standing in for the outbound relay; keeps what it is given."""

    def __init__(self) -> None:
        self.received: asyncio.Queue[EmailMessage] = asyncio.Queue()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        message = email.message_from_bytes(
            envelope.original_content or b"", policy=email.policy.default
        )
        assert isinstance(message, EmailMessage)
        await self.received.put(message)
        return "250 OK"


def _reply(to: EmailMessage, sender: str, body: str) -> bytes:
    reply = EmailMessage()
    reply["From"], reply["To"] = sender, str(to["Reply-To"])
    reply["Subject"] = "Re: " + str(to["Subject"])
    reply["Message-ID"] = make_msgid(domain="mail.example.org")
    reply["In-Reply-To"] = reply["References"] = str(to["Message-ID"])
    quoted = "\n".join("> " + line for line in _text(to).splitlines())
    reply.set_content(
        f"{body}\n\nOn Mon, 5 Oct 2026 at 10:00, Cohesion Check-ins wrote:\n{quoted}\n"
    )
    return reply.as_bytes(policy=email.policy.SMTP)


def _text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    return str(part.get_content()) if part is not None else ""


def _send(port: int, sender: str, rcpt: str, raw: bytes) -> None:
    with smtplib.SMTP("127.0.0.1", port, local_hostname="mail.example.org") as client:
        client.sendmail(sender, [rcpt], raw)


def _show(out: Console, message: EmailMessage) -> None:
    out.print(f"  Bot (email) Subject: {message['Subject']}", markup=False, highlight=False)
    body = _text(message).split("\n-- \n")[0].strip()
    for line in body.splitlines():
        out.print(f"    {line}", markup=False, highlight=False, soft_wrap=True)


async def run_email_demo(directory: Path, out: Console) -> None:
    """Email the check-ins nobody started in the terminal demo, and answer them by reply."""
    url = f"sqlite://{directory / 'checkins.sqlite3'}"
    relay = _Relay()
    loop = asyncio.get_running_loop()
    relay_server = await loop.create_server(
        lambda: SMTP(relay, hostname="relay.example.org"), "127.0.0.1", 0
    )
    relay_port = relay_server.sockets[0].getsockname()[1]
    settings = Settings.model_validate(
        {
            "database": {"url": url},
            "email": {
                "from_address": "checkins@bridges.example.org",
                "reply_domain": "replies.bridges.example.org",
                "inbound_port": 0,
                "relay": f"smtp://127.0.0.1:{relay_port}",
                "smtp_starttls": False,
            },
        }
    )
    try:
        async with database(url):
            channel = EmailChannel(settings)
            dispatcher = Dispatcher({channel.name: channel})
            inbound = EmailInbound(settings.email, Routing(dispatcher), channel)
            await inbound.start()
            assert inbound.port is not None
            try:
                (programme, *_) = await storage.list_programmes()
                report = await admin.round_status(programme.slug)
                waiting = [
                    r for r in report.rows if r.checkin and r.checkin.status == "not_started"
                ]
                for row, script in zip(waiting, SCRIPTS, strict=False):
                    assert row.checkin is not None
                    out.rule(f"By email: {row.grantee.name}, {row.grantee.organisation}")
                    out.print(
                        f"(our SMTP server on 127.0.0.1:{inbound.port} takes replies; "
                        f"a local relay on 127.0.0.1:{relay_port} takes what we send)",
                        markup=False,
                    )
                    await dispatcher.start(row.checkin.id, channel.name, occasion="demo-email")
                    message = await asyncio.wait_for(relay.received.get(), 30)
                    _show(out, message)
                    first_name = row.grantee.name.split()[0]
                    for template in script:
                        body = template.format(first=first_name)
                        out.print(f"  > {row.grantee.name} replies:", markup=False)
                        for line in body.splitlines():
                            out.print(f"  >   {line}", markup=False, highlight=False)
                        raw = _reply(message, row.grantee.email, body)
                        rcpt = str(message["Reply-To"])
                        await asyncio.to_thread(_send, inbound.port, row.grantee.email, rcpt, raw)
                        message = await asyncio.wait_for(relay.received.get(), 30)
                        _show(out, message)
                    answers = await storage.answers_for_checkin(row.checkin.id)
                    stored = ", ".join(
                        f"{a.question_id}={a.value}" for a in answers if not a.skipped
                    )
                    out.print(f"Stored from email: {stored}", markup=False, soft_wrap=True)
            finally:
                await inbound.stop()
                await channel.stop()
    finally:
        relay_server.close()
        await relay_server.wait_closed()
