"""The outbound relay over real TLS on loopback: STARTTLS and implicit TLS, AUTH, certificates."""

from __future__ import annotations

import asyncio
import logging
import ssl
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import pytest
import trustme
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

import storage
from bot.admin import operations as admin
from bot.channels.email.inbound import EmailInbound
from bot.service import Service, build_service
from bot.settings import Settings, SettingsError
from bot.settings_loading import load_settings
from storage import models as m
from tests.e2e.test_email import EMAIL, EXAMPLES, Sink, text_of
from tests.support.email_service import DOMAIN

USERNAME = "checkins-relay"
PASSWORD = "correct horse battery staple"
PASSWORD_ENV = "CHECKINS_EMAIL__SMTP_PASSWORD"  # the variable the settings document
SUBJECT = "Check-in for Bridges Community Fund, 2026 Q4: 0 of 14 answered"
Mode = Literal["starttls", "implicit"]


@dataclass
class Delivered:
    mail_from: str
    rcpt_tos: list[str]
    login: str | None
    over_tls: bool


class RecordingSink(Sink):
    """The test_email sink, also noting who logged in and whether the session was encrypted."""

    def __init__(self) -> None:
        super().__init__()
        self.delivered: list[Delivered] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        auth = session.auth_data
        self.delivered.append(
            Delivered(
                str(envelope.mail_from),
                list(envelope.rcpt_tos),
                auth.login.decode() if isinstance(auth, LoginPassword) else None,
                _over_tls(server),
            )
        )
        return await super().handle_DATA(server, session, envelope)


def _over_tls(server: SMTP) -> bool:
    transport = server.transport
    return transport is not None and transport.get_extra_info("sslcontext") is not None


@dataclass
class TlsRelay:
    """An aiosmtpd relay in this loop that needs TLS and AUTH, and can go away and come back."""

    mode: Mode
    certificate: trustme.LeafCert
    sink: RecordingSink = field(default_factory=RecordingSink)
    logins: list[tuple[str, bool]] = field(default_factory=list)  # (user, accepted)
    port: int = 0
    _server: asyncio.Server | None = None
    _transports: set[asyncio.BaseTransport] = field(default_factory=set)

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        if not isinstance(data, LoginPassword):
            return AuthResult(success=False, handled=False)
        # aiosmtpd cannot tell implicit TLS from plain text (aio-libs/aiosmtpd#281), so its
        # auth_require_tls is only usable with STARTTLS; checking here holds for both.
        accepted = _over_tls(server) and data == (USERNAME.encode(), PASSWORD.encode())
        self.logins.append((data.login.decode(), accepted))
        return AuthResult(success=accepted, handled=False, auth_data=data)

    def _protocol(self) -> SMTP:
        relay = self

        class Tracked(SMTP):
            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                relay._transports.add(transport)
                super().connection_made(transport)

        context = self.certificate_context()
        options: dict[str, Any] = {
            "hostname": "relay.example.org",
            "authenticator": self._authenticate,
            "auth_required": True,
        }
        if self.mode == "starttls":
            return Tracked(
                self.sink,
                tls_context=context,
                require_starttls=True,
                auth_require_tls=True,
                **options,
            )
        with warnings.catch_warnings():
            # the warning is about AUTH in plain text, which _authenticate refuses itself
            warnings.filterwarnings("ignore", "Requiring AUTH while not requiring TLS")
            return Tracked(self.sink, auth_require_tls=False, **options)

    def certificate_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.certificate.configure_cert(context)
        return context

    async def start(self) -> None:
        """Listen on a port chosen by the system, or, coming back, on the one it had."""
        loop = asyncio.get_running_loop()
        tls = self.certificate_context() if self.mode == "implicit" else None
        self._server = await loop.create_server(self._protocol, "127.0.0.1", self.port, ssl=tls)
        self.port = int(self._server.sockets[0].getsockname()[1])
        self.sink.port = self.port

    async def stop(self) -> None:
        """Go away as a crashed relay does: refuse new connections and drop the open ones."""
        if self._server is None:
            return
        self._server.close()
        for transport in self._transports:
            if isinstance(transport, asyncio.Transport) and not transport.is_closing():
                transport.abort()
        self._transports.clear()
        await self._server.wait_closed()
        self._server = None
        await asyncio.sleep(0)  # let both ends see their connections lost


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA(organization_name="Check-ins test relay CA")


@pytest.fixture(scope="module")
def other_ca() -> trustme.CA:
    return trustme.CA(organization_name="Someone else's CA")


def leaf(authority: trustme.CA) -> trustme.LeafCert:
    return authority.issue_cert("127.0.0.1", "localhost")


@pytest.fixture
async def make_relay() -> AsyncIterator[Any]:
    relays: list[TlsRelay] = []

    async def make(
        mode: Mode, authority: trustme.CA, certificate: trustme.LeafCert | None = None
    ) -> TlsRelay:
        relay = TlsRelay(mode, certificate or leaf(authority))
        await relay.start()
        relays.append(relay)
        return relay

    yield make
    for relay in relays:
        await relay.stop()


class Clock:
    """Real time plus an offset the test moves forward, past retry times."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


def operator_settings(
    tmp_path: Path,
    db_url: str,
    relay: TlsRelay,
    *,
    ca: trustme.CA | None,
    password: str = PASSWORD,
) -> Settings:
    """Settings as an operator writes them: a file naming the CA bundle, the password in env."""
    folder = tmp_path / "deploy"
    folder.mkdir(exist_ok=True)
    scheme = "smtps" if relay.mode == "implicit" else "smtp"
    lines = [
        "[web]",
        "port = 0",
        "[database]",
        f'url = "{db_url}"',
        "[email]",
        'from_address = "checkins@bridges.example.org"',
        f'reply_domain = "{DOMAIN}"',
        "inbound_port = 0",
        f'relay = "{scheme}://127.0.0.1:{relay.port}"',
        f'smtp_username = "{USERNAME}"',
    ]
    if ca is not None:
        ca.cert_pem.write_to_path(str(folder / "relay-ca.pem"))
        lines.append('relay_ca_file = "relay-ca.pem"')  # relative to the settings file
    path = folder / "settings.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return load_settings(path, environ={PASSWORD_ENV: password})


@dataclass
class World:
    service: Service
    inbound: EmailInbound
    checkin_ids: list[int]  # Amina's first, then other grantees'

    async def email(self, index: int = 0) -> None:
        """Queue and try to send the opening email of one check-in, as `email send` does."""
        await self.inbound.routing.dispatcher.start(
            self.checkin_ids[index], "email", occasion="round-opened"
        )


@pytest.fixture
async def world_factory(sqlite_url: str) -> AsyncIterator[Any]:
    services: list[Service] = []

    async def start(settings: Settings, clock: Clock | None = None) -> World:
        service = build_service(settings, clock=clock or Clock(), scheduler=False)
        await service.start()
        services.append(service)
        inbound = next(c for c in service.components if isinstance(c, EmailInbound))
        programme = await admin.load_programme(EXAMPLES / "programme.toml")
        await admin.import_grantees(EXAMPLES / "grantees.csv", programme.slug)
        await admin.open_round(programme.slug, "2026 Q4", now=datetime.now(UTC), timezone="UTC")
        report = await admin.round_status(programme.slug)
        ids = [row.checkin.id for row in report.rows if row.checkin is not None]
        (amina,) = await storage.open_checkins_for_email(EMAIL)
        ids.remove(amina.checkin.id)
        return World(service, inbound, [amina.checkin.id, *ids])

    yield start
    for service in services:
        await service.stop()


# (mode, *, certificate=None, password=PASSWORD, clock=None) -> (relay, world): see trusted_world
TrustedWorld = Callable[..., Awaitable[tuple[TlsRelay, World]]]


@pytest.fixture
def trusted_world(
    make_relay: Any, world_factory: Any, ca: trustme.CA, tmp_path: Path, sqlite_url: str
) -> TrustedWorld:
    """A relay whose certificate `ca` issued, and the service set up to trust `ca` and log in."""

    async def start(
        mode: Mode,
        *,
        certificate: trustme.LeafCert | None = None,
        password: str = PASSWORD,
        clock: Clock | None = None,
    ) -> tuple[TlsRelay, World]:
        relay: TlsRelay = await make_relay(mode, ca, certificate)
        settings = operator_settings(tmp_path, sqlite_url, relay, ca=ca, password=password)
        world: World = await world_factory(settings, clock)
        return relay, world

    return start


async def outbound_rows() -> list[m.OutboundMessage]:
    return await m.OutboundMessage.all().order_by("id")


# ---- delivered -----------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["starttls", "implicit"])
async def test_check_in_email_goes_through_tls_and_login(
    mode: Mode, trusted_world: TrustedWorld
) -> None:
    relay, world = await trusted_world(mode)
    await world.email()
    message = await relay.sink.next()
    assert message["Subject"] == SUBJECT
    assert str(message["To"]) == EMAIL
    assert "1. How many sessions" in text_of(message)
    (delivered,) = relay.sink.delivered
    assert delivered.rcpt_tos == [EMAIL]
    assert delivered.mail_from.startswith("bounces+") and delivered.mail_from.endswith(DOMAIN)
    assert delivered.login == USERNAME and delivered.over_tls
    assert relay.logins[-1] == (USERNAME, True)
    assert await storage.outbound_counts(channel="email") == {"sent": 1}
    # the connection is kept: a second email needs no second handshake or login
    await world.email(1)
    await relay.sink.next()
    assert len([ok for _, ok in relay.logins if ok]) == 1


async def test_starttls_relay_refuses_mail_before_tls(make_relay: Any, ca: trustme.CA) -> None:
    """The sink is strict: without STARTTLS nothing is accepted, so the tests above prove TLS."""
    import aiosmtplib

    relay: TlsRelay = await make_relay("starttls", ca)
    with pytest.raises(aiosmtplib.SMTPException):
        await aiosmtplib.send(
            f"To: {EMAIL}\r\n\r\nhi\r\n",
            sender="checkins@bridges.example.org",
            recipients=[EMAIL],
            hostname="127.0.0.1",
            port=relay.port,
            start_tls=False,
            local_hostname="client.example.org",
        )
    assert relay.sink.delivered == []


# ---- refused login -------------------------------------------------------------------------------


async def test_wrong_password_fails_for_good_is_recorded_and_not_retried(
    trusted_world: TrustedWorld,
) -> None:
    clock = Clock()
    relay, world = await trusted_world("starttls", password="wrong", clock=clock)
    await world.email()
    assert await storage.outbound_counts(channel="email") == {"failed": 1}
    (row,) = await outbound_rows()
    assert row.status == "failed" and row.attempts == 1 and row.next_attempt_at is None
    error = str(row.last_error)
    assert f"refused the login for {USERNAME!r}: 535" in error
    assert "email.smtp_username" in error and PASSWORD_ENV in error
    assert "wrong" not in error  # never the password
    assert relay.logins and all(not ok for _, ok in relay.logins)
    tried = len(relay.logins)

    # the next emails, even sent side by side, are not more bad logins (relays lock accounts
    # for that), and fail too
    await asyncio.gather(world.email(1), world.email(2))
    assert await storage.outbound_counts(channel="email") == {"failed": 3}
    assert all("the login was refused" in str(r.last_error) for r in (await outbound_rows())[1:])
    assert len(relay.logins) == tried

    # and nothing comes back later: no retry is scheduled
    clock.offset = timedelta(days=1)
    assert await world.service.dispatcher.outbox.flush() == 0
    assert await storage.outbound_counts(channel="email") == {"failed": 3}
    assert relay.sink.delivered == []


# ---- certificates --------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["starttls", "implicit"])
@pytest.mark.parametrize("trusting", ["another CA file", "the system's CAs"])
async def test_unverifiable_certificate_sends_nothing_and_keeps_the_email_queued(
    mode: Mode,
    trusting: str,
    make_relay: Any,
    world_factory: Any,
    ca: trustme.CA,
    other_ca: trustme.CA,
    tmp_path: Path,
    sqlite_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    relay: TlsRelay = await make_relay(mode, other_ca)  # not the CA we were told to trust
    settings = operator_settings(
        tmp_path, sqlite_url, relay, ca=ca if trusting == "another CA file" else None
    )
    world: World = await world_factory(settings)
    with caplog.at_level(logging.WARNING, logger="bot.channels.email.relay"):
        await world.email()
    assert relay.logins == []  # the password never went to a server we could not verify
    assert relay.sink.delivered == []
    (row,) = await outbound_rows()
    assert row.status == "pending" and row.attempts == 1 and row.next_attempt_at is not None
    error = str(row.last_error)
    assert f"cannot verify the TLS certificate of the relay 127.0.0.1:{relay.port}" in error
    assert "email.relay_ca_file" in error
    assert error in caplog.text


async def test_certificate_for_another_host_is_refused(
    trusted_world: TrustedWorld, ca: trustme.CA
) -> None:
    # a CA we trust, but a certificate for another name than the one in email.relay
    relay, world = await trusted_world("implicit", certificate=ca.issue_cert("mail.example.org"))
    await world.email()
    (row,) = await outbound_rows()
    assert row.status == "pending" and "cannot verify the TLS certificate" in str(row.last_error)
    assert "127.0.0.1" in str(row.last_error) and relay.logins == []


def test_missing_ca_file_names_the_key(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_text('[email]\nrelay = "smtp://mail.example.org:587"\nrelay_ca_file = "ca.pem"\n')
    with pytest.raises(SettingsError) as caught:
        load_settings(path, environ={})
    message = str(caught.value)
    assert "email.relay_ca_file = 'ca.pem'" in message and str(path) in message
    assert "no such file" in message and str(tmp_path / "ca.pem") in message


def _empty_settings(folder: Path) -> Path:
    path = folder / "settings.toml"
    path.write_text("")
    return path


def test_ca_file_that_is_not_pem_names_the_key(tmp_path: Path) -> None:
    (tmp_path / "ca.pem").write_text("not a certificate\n")
    with pytest.raises(SettingsError) as caught:
        load_settings(
            _empty_settings(tmp_path),
            environ={"CHECKINS_EMAIL__RELAY_CA_FILE": str(tmp_path / "ca.pem")},
        )
    message = str(caught.value)
    assert "email.relay_ca_file" in message and "CHECKINS_EMAIL__RELAY_CA_FILE" in message
    assert "PEM" in message


# ---- the relay goes away and comes back ----------------------------------------------------------


@pytest.mark.parametrize("mode", ["starttls", "implicit"])
async def test_relay_away_and_back_sends_what_was_pending_once(
    mode: Mode, trusted_world: TrustedWorld
) -> None:
    clock = Clock()
    relay, world = await trusted_world(mode, clock=clock)
    await world.email(0)
    await relay.sink.next()  # a connection is open and logged in now

    await relay.stop()
    await world.email(1)
    await world.email(2)
    assert await storage.outbound_counts(channel="email") == {"sent": 1, "pending": 2}
    waiting = [row for row in await outbound_rows() if row.status == "pending"]
    assert all(
        f"cannot reach the relay 127.0.0.1:{relay.port}" in str(r.last_error) for r in waiting
    )

    await relay.start()  # back on the same address
    assert relay.port == relay.sink.port
    clock.offset = timedelta(minutes=5)  # past the first retry
    world.service.dispatcher.outbox.wake()
    received = [await relay.sink.next(), await relay.sink.next()]
    expected = {row.recipient for row in waiting}
    assert {str(message["To"]) for message in received} == expected
    await asyncio.sleep(1.5)  # more than one pass of the outbox loop
    assert relay.sink.empty()
    assert await storage.outbound_counts(channel="email") == {"sent": 3}
    assert [delivered.login for delivered in relay.sink.delivered] == [USERNAME] * 3
    assert all(delivered.over_tls for delivered in relay.sink.delivered)
