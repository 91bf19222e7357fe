"""The whole service on loopback for web check-in tests: a round open, mail out to a maildir."""

from __future__ import annotations

import asyncio
import mailbox
import re
import smtplib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage, Message
from email.utils import make_msgid
from pathlib import Path
from typing import Any

import storage
from bot.admin import operations as admin
from bot.channels.email.inbound import EmailInbound
from bot.channels.web.server import WebServer
from bot.clock import utc_now
from bot.participants.online import register_form
from bot.participants.secret import participant_secret
from bot.service import Service, build_service
from bot.settings import Settings
from conversations.participant_items import FormKind
from storage.records import CheckInContext

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
EMAIL = "amina@unitythroughfood.example.org"
OTHER_EMAIL = "raj@belgravearts.example.org"
DOMAIN = "replies.example.org"
PERIOD = "2026 Q4"


def web_settings(db_url: str, outbox: Path, **web: Any) -> Settings:
    return Settings.model_validate(
        {
            "database": {"url": db_url},
            "email": {
                "from_address": "checkins@bridges.example.org",
                "reply_domain": DOMAIN,
                "inbound_host": "127.0.0.1",
                "inbound_port": 0,
                "relay": f"maildir:{outbox}",
            },
            "web": {"host": "127.0.0.1", "port": 0, **web},
            # made on first use, beside the test's other files
            "participants": {"link_secret_file": str(outbox.parent / "participant_link_secret")},
        }
    )


@dataclass
class WebWorld:
    service: Service
    server: WebServer
    outbox: Path
    programme_slug: str

    @property
    def base_url(self) -> str:
        return self.server.links.base_url

    async def context(self, email: str = EMAIL) -> CheckInContext:
        (context,) = await storage.open_checkins_for_email(email)
        return context

    async def link(self, email: str = EMAIL) -> str:
        """A fresh private link to this grantee's check-in, as a message would carry it."""
        token = await self.server.links.mint(await self.context(email))
        return self.server.links.url(token)

    async def participant_form(self, email: str = EMAIL, kind: FormKind = "follow_up") -> str:
        """The path of a grantee's online participant form for this period (/p/<token>), made
        as a printed form or poster makes it."""
        grantee_id = (await self.context(email)).grantee.id
        secret = participant_secret(self.service.settings)
        token = await register_form(grantee_id, PERIOD, kind, secret=secret, now=utc_now())
        return f"/p/{token}"

    def mails(self) -> list[Message]:
        if not self.outbox.exists():
            return []
        box = mailbox.Maildir(self.outbox, create=False)
        return sorted(box, key=lambda m: str(m["Date"]) + str(m["Message-ID"]))

    async def reply_by_email(self, to: Message, body: str, sender: str = EMAIL) -> None:
        """Reply to a check-in email through the inbound SMTP server; wait until it is stored."""
        (inbound,) = [c for c in self.service.components if isinstance(c, EmailInbound)]
        reply = EmailMessage()
        reply["From"], reply["To"] = sender, str(to["Reply-To"])
        reply["Subject"] = "Re: " + str(to["Subject"])
        reply["Message-ID"] = make_msgid(domain="mail.example.org")
        reply["In-Reply-To"] = reply["References"] = str(to["Message-ID"])
        reply.set_content(body)
        before = await self.context()

        def send() -> None:
            with smtplib.SMTP("127.0.0.1", inbound.port, timeout=10) as smtp:
                smtp.send_message(reply)

        await asyncio.to_thread(send)
        for _ in range(100):
            if (await self.context()).checkin.version != before.checkin.version:
                return
            await asyncio.sleep(0.05)
        raise AssertionError("the emailed reply was not stored")

    def mail_text(self, message: Message, subtype: str = "plain") -> str:
        for part in message.walk():
            if part.get_content_type() == f"text/{subtype}":
                payload = part.get_payload(decode=True)
                assert isinstance(payload, bytes)
                return payload.decode("utf-8")
        return ""


def link_in(text: str) -> str | None:
    found = re.search(r"https?://\S+/checkin/[A-Za-z0-9_-]{43}", text)
    return found.group(0) if found else None


@asynccontextmanager
async def web_world(db_url: str, tmp_path: Path, **web: Any) -> AsyncIterator[WebWorld]:
    """The service with its web check-in on a free port, the example programme and a round
    opened now (it closes weeks from now), without the scheduler."""
    outbox = tmp_path / "outbox"
    service = build_service(web_settings(db_url, outbox, **web), scheduler=False)
    await service.start()
    try:
        programme = await admin.load_programme(EXAMPLES / "programme.toml")
        await admin.import_grantees(EXAMPLES / "grantees.csv", programme.slug)
        await admin.open_round(
            programme.slug,
            PERIOD,
            now=utc_now() - timedelta(minutes=5),
            timezone="Europe/London",
        )
        (server,) = [c for c in service.components if isinstance(c, WebServer)]
        yield WebWorld(service, server, outbox, programme.slug)
    finally:
        await service.stop()
