"""The relay's envelope: MAIL and RCPT as the relay sees them, and its refusals sorted."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from email.mime.text import MIMEText

import pytest
from aiosmtpd.smtp import SMTP, Envelope, Session

from bot.channels.email.relay import RelayClient
from bot.conversation.channel import PermanentFailure, TemporaryFailure
from bot.settings import SmtpRelay

SENDER = "bounce+0f1e2d3c4b5a69788796a5b4c3d2e1f001234567@replies.example.org"


class Relay:
    """An aiosmtpd relay on loopback that answers MAIL and RCPT as told and keeps envelopes."""

    def __init__(self) -> None:
        self.mail_reply = "250 OK"
        self.rcpt_replies: dict[str, str] = {}
        self.envelopes: list[tuple[str, list[str], bytes]] = []

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if self.mail_reply.startswith("250"):
            envelope.mail_from = address
            envelope.mail_options.extend(options)
        return self.mail_reply

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        reply = self.rcpt_replies.get(address, "250 OK")
        if reply.startswith("25"):
            envelope.rcpt_tos.append(address)
        return reply

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        assert isinstance(envelope.mail_from, str)
        self.envelopes.append(
            (envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content or b"")
        )
        return "250 OK"


@pytest.fixture
async def relay() -> AsyncIterator[tuple[Relay, RelayClient]]:
    handler = Relay()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(handler, hostname="relay.example.org", enable_SMTPUTF8=True), "127.0.0.1", 0
    )
    port = server.sockets[0].getsockname()[1]
    client = RelayClient(
        SmtpRelay("127.0.0.1", port, implicit_tls=False),
        username=None,
        password=None,
        starttls=False,
        local_hostname="replies.example.org",
    )
    try:
        yield handler, client
    finally:
        await client.close()
        server.close()
        await server.wait_closed()


def email_to(*to: str) -> MIMEText:
    message = MIMEText("Your check-in is ready.\n")
    message["Subject"] = "Check-in for Bridges Community Fund, 2026 Q4: 0 of 14 answered"
    for address in to:
        message["To"] = address
    return message


async def test_plain_addresses_reach_the_relay_as_they_are(
    relay: tuple[Relay, RelayClient],
) -> None:
    handler, client = relay
    await client.send(email_to("Amina.Yusuf+q4@Unity.example.org"), SENDER)
    ((mail_from, rcpt_tos, raw),) = handler.envelopes
    assert mail_from == SENDER
    assert rcpt_tos == ["Amina.Yusuf+q4@Unity.example.org"]
    assert b"Your check-in is ready." in raw


async def test_named_and_several_recipients_are_read_from_the_to_headers(
    relay: tuple[Relay, RelayClient],
) -> None:
    handler, client = relay
    message = email_to('"Yusuf, Amina" <amina@unity.example.org>', "Ben <ben@unity.example.org>")
    await client.send(message, '"odd sender"@replies.example.org')
    ((mail_from, rcpt_tos, _),) = handler.envelopes
    assert mail_from == '"odd sender"@replies.example.org'
    assert rcpt_tos == ["amina@unity.example.org", "ben@unity.example.org"]


async def test_sender_refused_for_good_is_permanent(relay: tuple[Relay, RelayClient]) -> None:
    handler, client = relay
    handler.mail_reply = "553 5.7.1 Sender address rejected"
    with pytest.raises(PermanentFailure, match=re.escape("553 5.7.1 Sender address rejected")):
        await client.send(email_to("amina@unity.example.org"), SENDER)
    assert handler.envelopes == []


async def test_sender_deferred_is_temporary(relay: tuple[Relay, RelayClient]) -> None:
    handler, client = relay
    handler.mail_reply = "451 4.3.0 Try again later"
    with pytest.raises(TemporaryFailure, match=re.escape("451 4.3.0 Try again later")):
        await client.send(email_to("amina@unity.example.org"), SENDER)
    handler.mail_reply = "250 OK"
    await client.send(email_to("amina@unity.example.org"), SENDER)  # the next send starts clean
    assert [rcpt for _, rcpt, _ in handler.envelopes] == [["amina@unity.example.org"]]


async def test_refused_recipients_are_sorted(relay: tuple[Relay, RelayClient]) -> None:
    handler, client = relay
    handler.rcpt_replies["amina@unity.example.org"] = "550 5.1.1 No such user here"
    with pytest.raises(
        PermanentFailure, match=re.escape("refused the address: 550 5.1.1 No such user")
    ):
        await client.send(email_to("amina@unity.example.org"), SENDER)
    handler.rcpt_replies["amina@unity.example.org"] = "450 4.2.1 Mailbox busy"
    with pytest.raises(
        TemporaryFailure, match=re.escape("deferred the address: 450 4.2.1 Mailbox busy")
    ):
        await client.send(email_to("amina@unity.example.org"), SENDER)
    assert handler.envelopes == []


async def test_one_refused_recipient_of_two_still_gets_the_other_its_email(
    relay: tuple[Relay, RelayClient],
) -> None:
    handler, client = relay
    handler.rcpt_replies["gone@unity.example.org"] = "550 5.1.1 No such user here"
    await client.send(email_to("gone@unity.example.org", "ben@unity.example.org"), SENDER)
    assert [rcpt for _, rcpt, _ in handler.envelopes] == [["ben@unity.example.org"]]
