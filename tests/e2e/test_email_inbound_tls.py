"""The inbound server over real STARTTLS on loopback (a throwaway CA), and trusting our own
mail server's Authentication-Results about a reply's sender."""

from __future__ import annotations

import asyncio
import email.policy
import email.utils
import smtplib
import ssl
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import pytest
import trustme

import storage
from bot.admin import operations as admin
from bot.service import Service
from bot.settings import Settings, SettingsError
from storage import models as m
from tests.e2e.test_email import EMAIL, EXAMPLES, Sink, start_service, text_of
from tests.support.email_service import email_settings, smtp_server

AUTHSERV = "mx.bridges.example.org"


@pytest.fixture
async def sink() -> AsyncIterator[Sink]:
    handler = Sink()
    async with smtp_server(handler, "sink.example.org") as handler.port:
        yield handler


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


def certificate_files(ca: trustme.CA, folder: Path) -> tuple[Path, Path]:
    leaf = ca.issue_cert("127.0.0.1", "replies.example.org")
    cert, key = folder / "inbound.crt", folder / "inbound.key"
    leaf.private_key_pem.write_to_path(str(key))
    # the whole chain, as a CA issues it: the leaf first
    cert.write_bytes(b"".join(blob.bytes() for blob in leaf.cert_chain_pems))
    return cert, key


async def running_service(settings: Settings, sink: Sink) -> tuple[Service, int, EmailMessage]:
    service, inbound = await start_service(settings, sink)
    programme = await admin.load_programme(EXAMPLES / "programme.toml")
    await admin.import_grantees(EXAMPLES / "grantees.csv", programme.slug)
    await admin.open_round(
        programme.slug, "2026 Q4", now=datetime.now(UTC), timezone="Europe/London"
    )
    (context,) = await storage.open_checkins_for_email(EMAIL)
    await inbound.routing.dispatcher.start(context.checkin.id, "email", occasion="round-opened")
    assert inbound.port is not None
    return service, inbound.port, await sink.next()


def a_reply(to: EmailMessage, body: str, headers: dict[str, str] | None = None) -> bytes:
    reply = EmailMessage()
    reply["From"] = f"Amina Hussain <{EMAIL}>"
    reply["To"] = str(to["Reply-To"])
    reply["Subject"] = "Re: " + str(to["Subject"])
    reply["Message-ID"] = email.utils.make_msgid(domain="mail.example.org")
    reply["In-Reply-To"] = str(to["Message-ID"])
    for name, value in (headers or {}).items():
        reply[name] = value
    reply.set_content(body)
    return reply.as_bytes(policy=email.policy.SMTP)


async def answers() -> dict[str, object]:
    (context,) = await storage.open_checkins_for_email(EMAIL)
    stored = await storage.answers_for_checkin(context.checkin.id)
    return {a.question_id: a.value for a in stored if not a.skipped}


# ---- STARTTLS ------------------------------------------------------------------------------------


async def test_required_tls_refuses_plain_mail_and_takes_the_reply_over_starttls(
    db_url: str, sink: Sink, ca: trustme.CA, tmp_path: Path
) -> None:
    cert, key = certificate_files(ca, tmp_path)
    settings = email_settings(
        db_url,
        sink.port,
        inbound_tls_cert=str(cert),
        inbound_tls_key=str(key),
        inbound_require_tls=True,
    )
    service, port, first = await running_service(settings, sink)
    client_context = ssl.create_default_context()
    ca.configure_trust(client_context)
    raw = a_reply(first, "1: 12\n2: 340")

    def plain() -> tuple[int, bytes]:
        with smtplib.SMTP("127.0.0.1", port, local_hostname="client.example.org") as client:
            client.ehlo()
            assert client.has_extn("starttls")
            return client.mail(EMAIL)

    def over_tls() -> tuple[bool, str]:
        with smtplib.SMTP("127.0.0.1", port, local_hostname="client.example.org") as client:
            client.starttls(context=client_context)
            client.sendmail(EMAIL, [str(first["Reply-To"])], raw)
            sock = client.sock
            assert isinstance(sock, ssl.SSLSocket)
            return True, str(sock.version())

    try:
        code, message = await asyncio.to_thread(plain)
        assert code == 530 and b"STARTTLS" in message
        assert await answers() == {}  # nothing taken in plain text
        encrypted, version = await asyncio.to_thread(over_tls)
        assert encrypted and version.startswith("TLS")
        assert await answers() == {"O1": 12, "O2": 340}
        assert "Saved. Total attendance: 340 attendances." in text_of(await sink.next())
    finally:
        await service.stop()


async def test_tls_offered_but_not_required_still_takes_plain_mail(
    db_url: str, sink: Sink, ca: trustme.CA, tmp_path: Path
) -> None:
    cert, key = certificate_files(ca, tmp_path)
    settings = email_settings(
        db_url, sink.port, inbound_tls_cert=str(cert), inbound_tls_key=str(key)
    )
    service, port, first = await running_service(settings, sink)

    def plain() -> bool:
        with smtplib.SMTP("127.0.0.1", port, local_hostname="client.example.org") as client:
            client.ehlo()
            offered = client.has_extn("starttls")
            client.sendmail(EMAIL, [str(first["Reply-To"])], a_reply(first, "1: 9"))
            return offered

    try:
        assert await asyncio.to_thread(plain)
        assert await answers() == {"O1": 9}
    finally:
        await service.stop()


def test_tls_settings_that_cannot_work_are_clear_errors(
    db_url: str, ca: trustme.CA, tmp_path: Path
) -> None:
    cert, key = certificate_files(ca, tmp_path)
    with pytest.raises(SettingsError, match="inbound_require_tls = true needs"):
        email_settings(db_url, 1, inbound_require_tls=True).inbound_tls_context()
    with pytest.raises(SettingsError, match="inbound_tls_key is not set"):
        email_settings(db_url, 1, inbound_tls_cert=str(cert)).inbound_tls_context()
    with pytest.raises(SettingsError, match="cannot be loaded"):
        email_settings(
            db_url, 1, inbound_tls_cert=str(key), inbound_tls_key=str(cert)
        ).inbound_tls_context()
    with pytest.raises(SettingsError, match="cannot be loaded"):
        email_settings(
            db_url, 1, inbound_tls_cert=str(tmp_path / "none.crt"), inbound_tls_key=str(key)
        ).inbound_tls_context()
    assert email_settings(db_url, 1).inbound_tls_context() is None
    context = email_settings(
        db_url, 1, inbound_tls_cert=str(cert), inbound_tls_key=str(key)
    ).inbound_tls_context()
    assert context is not None and context.minimum_version >= ssl.TLSVersion.TLSv1_2


# ---- Authentication-Results from our own mail server ---------------------------------------------


def _results(server: str, dmarc: str) -> dict[str, str]:
    return {
        "Authentication-Results": (
            f"{server}; dkim=none; spf=softfail smtp.mailfrom=elsewhere.example; "
            f"dmarc={dmarc} (p=none dis=none) header.from=unitythroughfood.example.org"
        )
    }


async def _send(port: int, raw: bytes, rcpt: str, mail_from: str) -> None:
    def send() -> None:
        with smtplib.SMTP("127.0.0.1", port, local_hostname="client.example.org") as client:
            client.sendmail(mail_from, [rcpt], raw)

    await asyncio.to_thread(send)


async def test_a_reply_failing_dmarc_at_our_server_is_recorded_not_taken_and_the_grantee_told(
    db_url: str, sink: Sink
) -> None:
    settings = email_settings(db_url, sink.port, authserv_id=AUTHSERV)
    service, port, first = await running_service(settings, sink)
    rcpt = str(first["Reply-To"])
    try:
        forged = a_reply(first, "1: 999", _results(AUTHSERV, "fail"))
        await _send(port, forged, rcpt, "bounces@forger.example")
        assert await answers() == {}
        row = await m.InboundMessage.filter(channel="email").order_by("-id").first()
        assert row is not None and row.outcome == "unverified_sender"
        notice = await sink.next()
        # a fresh email (no thread, no reply address) to the address on file
        assert str(notice["To"]) == EMAIL and notice["Reply-To"] is None
        assert notice["In-Reply-To"] is None
        text = text_of(notice)
        assert "none of it was recorded as your answers" in text and EMAIL in text
        # a second forgery the same day: recorded too, with no second email
        await _send(port, a_reply(first, "1: 998", _results(AUTHSERV, "fail")), rcpt, EMAIL)
        assert await answers() == {}
        # a header claiming to be from someone else's server is not ours to trust
        await _send(
            port, a_reply(first, "1: 12", _results("mx.forger.example", "pass")), rcpt, EMAIL
        )
        assert await answers() == {"O1": 12}
        assert "Saved. Sessions run: 12 sessions." in text_of(await sink.next())
        # our own server's pass: taken as usual
        await _send(port, a_reply(first, "2: 340", _results(AUTHSERV, "pass")), rcpt, EMAIL)
        assert await answers() == {"O1": 12, "O2": 340}
        assert "Saved. Total attendance" in text_of(await sink.next())
        assert sink.empty()
    finally:
        await service.stop()


async def test_without_an_authserv_id_the_reply_token_is_the_proof(db_url: str, sink: Sink) -> None:
    service, port, first = await running_service(email_settings(db_url, sink.port), sink)
    try:
        raw = a_reply(first, "1: 12", _results(AUTHSERV, "fail"))
        await _send(port, raw, str(first["Reply-To"]), EMAIL)
        assert await answers() == {"O1": 12}
    finally:
        await service.stop()
