"""Email check-ins over real SMTP on loopback: our inbound server, and a local sink for mail out."""

from __future__ import annotations

import asyncio
import base64
import email.policy
import email.utils
import re
import smtplib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.smtp import SMTP, Envelope, Session

import storage
from bot.admin import operations as admin
from bot.channels.email.inbound import EmailInbound
from bot.service import Service, build_service
from bot.settings import Settings, SettingsError
from storage.records import CheckInContext
from tests.support import reply_corpus
from tests.support.email_service import DOMAIN, email_settings, smtp_server

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
FIXTURES = Path(__file__).resolve().parents[1] / "data" / "email"
EMAIL = "amina@unitythroughfood.example.org"


class Sink:
    """The outbound relay: an aiosmtpd server in this loop that keeps every message."""

    def __init__(self) -> None:
        self.received: asyncio.Queue[tuple[str, EmailMessage]] = asyncio.Queue()
        self.port = 0
        self.refuse_with: str | None = None  # e.g. "451 try later", to test retries
        self.hold: asyncio.Event | None = None  # a slow relay: DATA answered once it is set
        self.held = 0  # emails waiting at the hold

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.hold is not None:
            self.held += 1
            await self.hold.wait()
        if self.refuse_with:
            return self.refuse_with
        raw = envelope.original_content or b""
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        await self.received.put((str(envelope.mail_from), message))
        return "250 OK"

    async def next(self, timeout: float = 10) -> EmailMessage:
        _, message = await asyncio.wait_for(self.received.get(), timeout)
        return message

    def empty(self) -> bool:
        return self.received.empty()


@pytest.fixture
async def sink() -> AsyncIterator[Sink]:
    handler = Sink()
    async with smtp_server(handler, "sink.example.org") as handler.port:
        yield handler


@dataclass
class Running:
    service: Service
    inbound: EmailInbound
    sink: Sink
    context: CheckInContext

    @property
    def checkin_id(self) -> int:
        return self.context.checkin.id

    async def reply(
        self,
        to: EmailMessage,
        body: str,
        *,
        sender: str = EMAIL,
        headers: dict[str, str] | None = None,
        message_id: str | None = None,
    ) -> None:
        """Reply to one of our emails as a mail client would, through smtplib."""
        reply = EmailMessage()
        reply["From"] = sender
        reply["To"] = str(to["Reply-To"])
        reply["Subject"] = "Re: " + str(to["Subject"])
        reply["Message-ID"] = message_id or email.utils.make_msgid(domain="mail.example.org")
        reply["In-Reply-To"] = str(to["Message-ID"])
        reply["References"] = str(to["Message-ID"])
        for name, value in (headers or {}).items():
            reply[name] = value
        reply.set_content(body)
        await self.send_raw(reply.as_bytes(policy=email.policy.SMTP), str(to["Reply-To"]), sender)

    async def send_raw(self, raw: bytes, rcpt: str, mail_from: str = EMAIL) -> None:
        assert self.inbound.port is not None
        port = self.inbound.port

        def send() -> None:
            with smtplib.SMTP("127.0.0.1", port, local_hostname="client.example.org") as client:
                client.sendmail(mail_from, [rcpt], raw)

        await asyncio.to_thread(send)

    async def answers(self) -> dict[str, object]:
        stored = await storage.answers_for_checkin(self.checkin_id)
        return {a.question_id: a.value for a in stored if not a.skipped}


async def start_service(settings: Settings, sink: Sink) -> tuple[Service, EmailInbound]:
    service = build_service(settings)
    await service.start()
    inbound = next(c for c in service.components if isinstance(c, EmailInbound))
    return service, inbound


@pytest.fixture
async def running(db_url: str, sink: Sink) -> AsyncIterator[Running]:
    service, inbound = await start_service(email_settings(db_url, sink.port), sink)
    try:
        programme = await admin.load_programme(EXAMPLES / "programme.toml")
        await admin.import_grantees(EXAMPLES / "grantees.csv", programme.slug)
        await admin.open_round(
            programme.slug, "2026 Q4", now=datetime.now(UTC), timezone="Europe/London"
        )
        (context,) = await storage.open_checkins_for_email(EMAIL)
        yield Running(service, inbound, sink, context)
    finally:
        await service.stop()


async def first_email(running: Running) -> EmailMessage:
    await running.inbound.routing.dispatcher.start(
        running.checkin_id, "email", occasion="round-opened"
    )
    return await running.sink.next()


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())  # type: ignore[attr-defined]


def html_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    assert part is not None
    return str(part.get_content())  # type: ignore[attr-defined]


# ---- the conversation ---------------------------------------------------------------------------


async def test_first_email_asks_the_first_section_as_a_numbered_list(running: Running) -> None:
    message = await first_email(running)
    assert message["Subject"] == "Check-in for Bridges Community Fund, 2026 Q4: 0 of 14 answered"
    assert str(message["From"]) == "Cohesion Check-ins <checkins@bridges.example.org>"
    assert str(message["To"]) == EMAIL
    token = str(message["Reply-To"]).removeprefix("reply+").removesuffix(f"@{DOMAIN}")
    assert len(token) >= 32 and token.isalnum()  # at least 128 bits
    text = text_of(message)
    assert "Hello Amina Hussain" in text
    assert "1. How many sessions" in text and "2. " in text and "10. " in text
    assert "11. " not in text  # the next section comes in a later email
    assert 'for example "1: 12"' in text
    html = html_of(message)
    assert "<strong>1. How many sessions" in html
    # every part reads as typeset text: words to type are set as code, never in backticks
    assert "`" not in text and "`" not in html
    assert "say <code>later</code> to pause" in html and 'say "later" to pause' in text


async def test_numbered_reply_is_stored_and_next_email_asks_only_what_is_missing(
    running: Running,
) -> None:
    first = await first_email(running)
    await running.reply(first, "1: 12\n2) 300\nQ3 - 90\n\nThanks,\nAmina")
    answers = await running.answers()
    assert answers == {"O1": 12, "O2": 300, "O3": 90}
    second = await running.sink.next()
    text = text_of(second)
    assert "Saved. Sessions run: 12 sessions." in text
    assert "1. How many" not in text and "\n4. " in text
    assert second["Subject"].endswith(" answered") and ": 3 of " in second["Subject"]
    # one thread: the reply refers to our first email and the grantee's reply
    assert str(first["Message-ID"]) in str(second["References"])
    assert second["Reply-To"] == first["Reply-To"]


async def test_bad_answer_is_explained_with_an_example_and_nothing_lost(running: Running) -> None:
    first = await first_email(running)
    await running.reply(first, "1: 12\n2: lots")
    assert await running.answers() == {"O1": 12}
    text = text_of(await running.sink.next())
    assert "Question 2 (Total attendance) was not recorded" in text
    assert 'For example, reply "2: ' in text
    assert "\n2. " in text  # asked again


async def test_commands_work_by_email(running: Running) -> None:
    first = await first_email(running)
    await running.reply(first, "later")
    paused = text_of(await running.sink.next())
    assert "No problem" in paused
    context = await storage.load_checkin_context(running.checkin_id)
    assert context.checkin.status == "paused"
    await running.reply(first, "help")
    assert "Things you can say" in text_of(await running.sink.next())


async def test_spoofed_sender_changes_nothing_and_gets_no_reply(running: Running) -> None:
    first = await first_email(running)
    await running.reply(first, "1: 99", sender="mallory@evil.example.com")
    await running.reply(first, "1: 12")  # the real grantee, afterwards
    assert await running.answers() == {"O1": 12}
    text = text_of(await running.sink.next())
    assert "Sessions run: 12" in text
    assert running.sink.empty()  # the spoofed email got nothing back


async def test_auto_reply_is_recorded_never_answered(running: Running) -> None:
    first = await first_email(running)
    await running.reply(
        first,
        "I am out of the office until Monday. 1: 5",
        headers={"Auto-Submitted": "auto-replied"},
    )
    await running.reply(first, "Out of office", headers={"Precedence": "bulk"})
    await running.reply(first, "Away", headers={"X-Autoreply": "yes"})
    assert await running.answers() == {}
    await running.reply(first, "1: 12")
    assert "Sessions run: 12" in text_of(await running.sink.next())
    assert running.sink.empty()


async def test_duplicate_delivery_is_recorded_once(running: Running) -> None:
    first = await first_email(running)
    await running.reply(first, "1: 12", message_id="<same@mail.example.org>")
    await running.sink.next()
    await running.reply(first, "1: 15", message_id="<same@mail.example.org>")
    assert await running.answers() == {"O1": 12}
    history = await storage.answer_history(running.checkin_id)
    assert len(history) == 1
    await asyncio.sleep(0.2)
    assert running.sink.empty()


async def test_oversized_message_is_refused_with_552(db_url: str, sink: Sink) -> None:
    service, inbound = await start_service(
        email_settings(db_url, sink.port, max_message_bytes=5000), sink
    )
    try:
        assert inbound.port is not None
        big = b"Subject: big\r\n\r\n" + b"x" * 8000 + b"\r\n"
        with pytest.raises(smtplib.SMTPException) as refused:
            await asyncio.to_thread(_send, inbound.port, big)
        assert "552" in str(refused.value)
    finally:
        await service.stop()


def _send(port: int, raw: bytes) -> None:
    with smtplib.SMTP("127.0.0.1", port, local_hostname="client.example.org") as client:
        client.sendmail(EMAIL, [f"reply+{'a' * 40}@{DOMAIN}"], raw)


async def test_malformed_mime_never_crashes_the_server(running: Running) -> None:
    first = await first_email(running)
    broken = (
        f"From: {EMAIL}\r\nTo: {first['Reply-To']}\r\nMessage-ID: <broken@mail.example.org>\r\n"
        f"In-Reply-To: {first['Message-ID']}\r\n"
        'Content-Type: multipart/mixed; boundary="never-closed"\r\n\r\n'
        "--never-closed\r\nContent-Type: text/plain; charset=no-such-charset\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n@@@not base64@@@\r\n"
    ).encode()
    await running.send_raw(broken, str(first["Reply-To"]))
    await running.sink.next()  # answered, with what could be made of it
    await running.reply(first, "1: 12")  # the server still works
    assert await running.answers() == {"O1": 12}


async def test_unknown_recipient_is_refused_at_rcpt(running: Running) -> None:
    assert running.inbound.port is not None
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        await asyncio.to_thread(
            _send_to, running.inbound.port, f"someone@{DOMAIN}", b"Subject: hi\r\n\r\nhi\r\n"
        )


def _send_to(port: int, rcpt: str, raw: bytes) -> None:
    with smtplib.SMTP("127.0.0.1", port, local_hostname="client.example.org") as client:
        client.sendmail(EMAIL, [rcpt], raw)


# ---- replies shaped like real mail clients -------------------------------------------------------


def client_fixture(name: str, to: EmailMessage, sender: str) -> bytes:
    text = (FIXTURES / name).read_text(encoding="utf-8")
    values = {
        "MESSAGE_ID": f"<{name}@mail.example.org>",
        "IN_REPLY_TO": str(to["Message-ID"]),
        "REPLY_TO": str(to["Reply-To"]),
        "FROM": sender,
    }
    for key, value in values.items():
        text = text.replace(f"%{key}%", value)
    return text.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8")


CLIENT_REPLIES = {
    "gmail_top_posted_en.eml": {"O1": 12, "O2": 300, "O3": 90},
    "outlook_desktop_fr.eml": {"O1": 12, "O2": 300, "O3": 90},
    "outlook_web_de_html_only.eml": {"O1": 12, "O2": 300, "O3": 90},
    "apple_mail_es.eml": {"O1": 12, "O2": 300, "O3": 90},
    "thunderbird_inline_en.eml": {"O1": 12, "O2": 300, "O3": 90},
    "phone_cy.eml": {"O1": 12},
}


async def test_client_replies_are_read_and_answered(running: Running) -> None:
    """Each client's reply, from a different grantee of the same round (one database for all)."""
    report = await admin.round_status("bridges-2026")
    grantees = [row for row in report.rows if row.checkin is not None][: len(CLIENT_REPLIES)]
    for row, (name, expected) in zip(grantees, CLIENT_REPLIES.items(), strict=True):
        assert row.checkin is not None
        await running.inbound.routing.dispatcher.start(
            row.checkin.id, "email", occasion="round-opened"
        )
        first = await running.sink.next()
        assert str(first["To"]) == row.grantee.email
        await running.send_raw(
            client_fixture(name, first, row.grantee.email),
            str(first["Reply-To"]),
            row.grantee.email,
        )
        stored = await storage.answers_for_checkin(row.checkin.id)
        assert {a.question_id: a.value for a in stored} == expected, name
        text = text_of(await running.sink.next())
        assert "Saved. Sessions run: 12 sessions." in text, name
        assert f"\n{len(expected) + 1}. " in text, name  # the next open question is asked


async def test_attachments_are_ignored_and_the_reply_says_so(running: Running) -> None:
    first = await first_email(running)
    reply = EmailMessage()
    reply["From"], reply["To"] = EMAIL, str(first["Reply-To"])
    reply["Subject"], reply["In-Reply-To"] = "Re: check-in", str(first["Message-ID"])
    reply["Message-ID"] = "<with-file@mail.example.org>"
    reply.set_content("1: 12")
    reply.add_attachment(b"a,b\n1,2\n", maintype="text", subtype="csv", filename="figures.csv")
    await running.send_raw(reply.as_bytes(policy=email.policy.SMTP), str(first["Reply-To"]))
    assert await running.answers() == {"O1": 12}
    text = text_of(await running.sink.next())
    assert "1 attachment (figures.csv)" in text and "ignored" in text


# ---- bounces, failures and restarts --------------------------------------------------------------


async def test_bounce_marks_the_address_failing_and_gets_no_reply(running: Running) -> None:
    first = await first_email(running)
    token = str(first["Reply-To"]).removeprefix("reply+").partition("@")[0]
    raw = (FIXTURES / "bounce_dsn.eml").read_text().replace("%ORIGINAL_ID%", first["Message-ID"])
    raw = raw.replace("\n", "\r\n")
    await running.send_raw(raw.encode(), f"bounces+{token}@{DOMAIN}", mail_from="")
    report = await admin.round_status("bridges-2026")
    mine = next(row for row in report.rows if row.grantee.email == EMAIL)
    assert mine.grantee.email_failing
    assert await running.answers() == {}
    await asyncio.sleep(0.2)
    assert running.sink.empty()
    # a later reply from the address shows it works again
    await running.reply(first, "1: 12")
    await running.sink.next()
    report = await admin.round_status("bridges-2026")
    assert not next(r for r in report.rows if r.grantee.email == EMAIL).grantee.email_failing


async def test_outbound_uses_a_per_thread_bounce_address(running: Running) -> None:
    await running.inbound.routing.dispatcher.start(
        running.checkin_id, "email", occasion="round-opened"
    )
    mail_from, message = await asyncio.wait_for(running.sink.received.get(), 10)
    token = str(message["Reply-To"]).removeprefix("reply+").partition("@")[0]
    assert mail_from == f"bounces+{token}@{DOMAIN}"
    assert message["Auto-Submitted"] == "auto-generated"


async def test_a_slow_relay_does_not_hold_up_the_reply_and_emails_stay_in_order(
    running: Running,
) -> None:
    await running.inbound.routing.dispatcher.start(
        running.checkin_id, "email", occasion="round-opened"
    )
    first = await running.sink.next()
    running.sink.hold = asyncio.Event()  # the relay takes its time over every email
    # each reply is accepted once it is stored, while the email after it waits for the relay
    await asyncio.wait_for(running.reply(first, "1: 12"), 5)
    await asyncio.wait_for(running.reply(first, "2: 300"), 5)
    assert await running.answers() == {"O1": 12, "O2": 300}
    await asyncio.sleep(0.3)  # time enough for a second send to reach the relay, were it made
    assert running.sink.empty() and running.sink.held == 1  # the second waits for the first
    running.sink.hold.set()
    after_first, after_second = await running.sink.next(), await running.sink.next()
    assert "Saved. Sessions run: 12 sessions." in text_of(after_first)
    assert "Saved. Total attendance: 300" in text_of(after_second)
    # one thread: the second refers to the first
    assert str(after_first["Message-ID"]) in str(after_second["References"])


async def test_refused_address_is_recorded_as_failed(running: Running) -> None:
    running.sink.refuse_with = "550 5.1.1 No such user here"
    await running.inbound.routing.dispatcher.start(
        running.checkin_id, "email", occasion="round-opened"
    )
    counts = await storage.outbound_counts(channel="email")
    assert counts == {"failed": 1}


async def test_restart_mid_check_in_sends_what_was_pending_once(db_url: str, sink: Sink) -> None:
    settings = email_settings(db_url, sink.port)
    service, inbound = await start_service(settings, sink)
    try:
        programme = await admin.load_programme(EXAMPLES / "programme.toml")
        await admin.import_grantees(EXAMPLES / "grantees.csv", programme.slug)
        await admin.open_round(programme.slug, "2026 Q4", now=datetime.now(UTC), timezone="UTC")
        (context,) = await storage.open_checkins_for_email(EMAIL)
        running = Running(service, inbound, sink, context)
        first = await first_email(running)
        await running.reply(first, "1: 12")
        await sink.next()
        sink.refuse_with = "451 4.3.0 Try again later"  # the relay is down for a while
        await running.reply(first, "2: 300")
        await service.dispatcher.settle()  # the reply's 250 came before its email was tried
        assert await storage.outbound_counts(channel="email") == {"sent": 2, "pending": 1}
    finally:
        await service.stop()
    sink.refuse_with = None
    later = datetime.now(UTC) + timedelta(minutes=5)  # past the retry time
    again = build_service(settings, clock=lambda: later)
    await again.start()
    try:
        inbound = next(c for c in again.components if isinstance(c, EmailInbound))
        running = Running(again, inbound, sink, context)
        pending = await sink.next()
        assert "Saved. Total attendance: 300" in text_of(pending)
        await running.reply(pending, "3: 90")
        assert "Saved. Unique participants: 90" in text_of(await sink.next())
        assert await running.answers() == {"O1": 12, "O2": 300, "O3": 90}
        await asyncio.sleep(0.3)
        assert sink.empty()  # the pending email went once
        assert await storage.outbound_counts(channel="email") == {"sent": 4}
    finally:
        await again.stop()


async def test_maildir_relay_writes_the_email(db_url: str, tmp_path: Path) -> None:
    settings = email_settings(db_url, 1, relay=f"maildir:{tmp_path / 'outbox'}")
    service = build_service(settings)
    await service.start()
    try:
        inbound = next(c for c in service.components if isinstance(c, EmailInbound))
        programme = await admin.load_programme(EXAMPLES / "programme.toml")
        await admin.import_grantees(EXAMPLES / "grantees.csv", programme.slug)
        await admin.open_round(programme.slug, "2026 Q4", now=datetime.now(UTC), timezone="UTC")
        (context,) = await storage.open_checkins_for_email(EMAIL)
        await inbound.routing.dispatcher.start(context.checkin.id, "email", occasion="round-opened")
    finally:
        await service.stop()
    (written,) = list((tmp_path / "outbox" / "new").iterdir())
    message = email.message_from_bytes(written.read_bytes(), policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    assert str(message["To"]) == EMAIL and "1. How many sessions" in text_of(message)


async def test_dispatcher_start_also_sends_the_whole_first_section(running: Running) -> None:
    await running.service.dispatcher.start(running.checkin_id, "email", occasion="round-1")
    text = text_of(await running.sink.next())
    assert "1. How many sessions" in text and "\n10. " in text and "\n11. " not in text


async def test_one_question_per_email_takes_a_bare_answer(db_url: str, sink: Sink) -> None:
    service, inbound = await start_service(
        email_settings(db_url, sink.port, questions_per_message=1), sink
    )
    try:
        programme = await admin.load_programme(EXAMPLES / "programme.toml")
        await admin.import_grantees(EXAMPLES / "grantees.csv", programme.slug)
        await admin.open_round(programme.slug, "2026 Q4", now=datetime.now(UTC), timezone="UTC")
        (context,) = await storage.open_checkins_for_email(EMAIL)
        running = Running(service, inbound, sink, context)
        first = await first_email(running)
        assert "1. How many sessions" in text_of(first) and "\n2. " not in text_of(first)
        await running.reply(first, "12\n\nAmina")
        second = text_of(await sink.next())
        assert "Saved. Sessions run: 12 sessions." in second
        assert "2. What was the total attendance" in second and "\n3. " not in second
        assert await running.answers() == {"O1": 12}
    finally:
        await service.stop()


ANSWERS = {
    "count": "10",
    "number": "7.5",
    "proportion": "8 of 10",
    "choice": "1",
    "yes_no": "no",
    "text": "Neighbours who had never met now cook together.",
}


async def test_whole_check_in_by_email_ends_with_a_confirmation_listing_the_answers(
    running: Running,
) -> None:
    from bot.conversation.frameworks import framework_for

    framework = framework_for(running.context.programme)
    message = await first_email(running)
    for _ in range(10):
        text = text_of(message)
        if "Here is everything before you submit" in text:
            break
        numbers = [int(n) for n in re.findall(r"^(\d+)\. ", text, re.MULTILINE)]
        assert numbers, text
        lines = [f"{n}: {ANSWERS[framework.questions[n - 1].kind]}" for n in numbers]
        await running.reply(message, "\n".join(lines))
        message = await running.sink.next()
    else:
        raise AssertionError("never reached the review")
    await running.reply(message, "submit")
    final = await running.sink.next()
    text = text_of(final)
    assert final["Subject"].endswith(": complete")
    assert "your check-in is complete" in text
    assert "Your submitted answers:" in text and "1. Sessions run: 10 sessions" in text
    context = await storage.load_checkin_context(running.checkin_id)
    assert context.checkin.status == "completed"


async def test_email_outside_a_check_in_has_no_reply_token_and_carries_images(
    running: Running,
) -> None:
    from storage.records import OutboundWrite

    png = base64.b64encode(b"\x89PNG\r\n\x1a\nfake").decode()
    payload = {
        "subject": "Bridges Community Fund: digest for 2026 Q4",
        "text": "The digest.",
        "html": '<p>The digest.</p><img src="cid:chart-o1@checkins">',
        "images": {"chart-o1@checkins": png},
    }
    ids = await storage.enqueue_outbound(
        [OutboundWrite("email:digest:test", "email", "officer@bridges.example.org", payload)],
        now=datetime.now(UTC),
    )
    await running.service.dispatcher.outbox.send_now(ids)
    message = await running.sink.next()
    assert message["Reply-To"] is None and str(message["To"]) == "officer@bridges.example.org"
    images = [p for p in message.walk() if p.get_content_type() == "image/png"]
    assert [str(p["Content-ID"]) for p in images] == ["<chart-o1@checkins>"]


async def test_inbound_port_in_use_is_a_clear_configuration_error(
    running: Running, db_url: str, sink: Sink
) -> None:
    taken = email_settings(db_url, sink.port, inbound_port=running.inbound.port)
    second = EmailInbound(taken.email, running.service.routing, running.inbound.channel)
    with pytest.raises(SettingsError) as refused:
        await second.start()
    assert "email.inbound_host/inbound_port" in str(refused.value)
    assert "CHECKINS_EMAIL__INBOUND_PORT" in str(refused.value)


def test_email_send_command_emails_each_open_check_in_once(db_url: str, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from bot.cli.app import app

    outbox = tmp_path / "outbox"
    settings = tmp_path / "settings.toml"
    settings.write_text(
        f'[database]\nurl = "{db_url}"\n\n[email]\nrelay = "maildir:{outbox}"\n'
        f'reply_domain = "{DOMAIN}"\n'
    )
    runner = CliRunner()

    def run(*args: str) -> str:
        result = runner.invoke(app, [*args, "--settings", str(settings)])
        assert result.exit_code == 0, result.output
        return result.output

    run("programme", "load", str(EXAMPLES / "programme.toml"))
    run("grantees", "import", str(EXAMPLES / "grantees.csv"), "--programme", "bridges-2026")
    run("round", "open", "--programme", "bridges-2026", "--period", "2026 Q4")
    first = run("email", "send", "--programme", "bridges-2026")
    assert "12 check-in email(s) queued, 12 sent" in first
    again = run("email", "send", "--programme", "bridges-2026")
    assert "0 check-in email(s) queued, 0 sent; 12 emailed before" in again
    written = list((outbox / "new").iterdir())
    assert len(written) == 12


# ---- the corpus of reply shapes (tests/data/email/replies/) --------------------------------------


def test_the_corpus_covers_each_client_shape() -> None:
    names = [name for name, _ in reply_corpus.corpus()]
    for shape in ("gmail", "outlook_desktop", "outlook_web", "outlook_mobile", "apple_mail"):
        assert any(n.startswith(shape) for n in names), shape
    assert any("thunderbird_bottom" in n for n in names)
    assert any("mailing_list" in n for n in names)
    assert all(spec["answers"] and spec["client"] for _, spec in reply_corpus.corpus())


async def test_each_client_reply_stores_its_answers_and_says_what_was_read(
    running: Running,
) -> None:
    """Each reply from a different grantee of the same round, each to their own first email."""
    cases = reply_corpus.corpus()
    report = await admin.round_status("bridges-2026")
    grantees = [row for row in report.rows if row.checkin is not None][: len(cases)]
    assert len(grantees) == len(cases)
    for row, (name, spec) in zip(grantees, cases, strict=True):
        assert row.checkin is not None
        await running.inbound.routing.dispatcher.start(
            row.checkin.id, "email", occasion="round-opened"
        )
        first = await running.sink.next()
        due = re.search(r"\(due ([^)]+)\)", text_of(first))
        assert due is not None
        values = {
            "NAME": row.grantee.name,
            "DUE": due.group(1),
            "FROM": row.grantee.email,
            "REPLY_TO": str(first["Reply-To"]),
            "IN_REPLY_TO": str(first["Message-ID"]),
            "MESSAGE_ID": f"<{name}@mail.example.org>",
        }
        raw = reply_corpus.filled(name, spec, values)
        await running.send_raw(raw, str(first["Reply-To"]), row.grantee.email)
        stored = await storage.answers_for_checkin(row.checkin.id)
        assert {a.question_id: a.value for a in stored if not a.skipped} == spec["answers"], name
        answer = " ".join(text_of(await running.sink.next()).split())
        for words in spec["says"]:
            assert " ".join(words.split()) in answer, (name, words, answer)
