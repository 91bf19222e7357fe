"""Sending through the SMTP relay on a kept-open connection, with failures sorted for retries."""

from __future__ import annotations

import asyncio
import contextlib
import email.generator
import email.policy
import hashlib
import io
import logging
import ssl
import time
from email.message import Message
from email.utils import getaddresses

import aiosmtplib

from bot.conversation.channel import DeliveryError, PermanentFailure, TemporaryFailure
from bot.settings import SettingsError, SmtpRelay

log = logging.getLogger(__name__)

# After the relay refuses our login, further sends fail at once for this long instead of logging
# in again: a queue of hundreds of emails would otherwise try hundreds of bad logins in seconds,
# which is what gets an account locked or an address banned by the relay.
LOGIN_REFUSED_HOLD_SECONDS = 300.0
# Shared by every client of the process (a pool holds several): keyed by relay and credentials,
# with the password only as a digest. Value: (time.monotonic() of the refusal, reason).
_refused_logins: dict[tuple[str, int, str | None, str], tuple[float, str]] = {}


class RelayClient:
    """One connection to the relay, opened on first use and reopened when the relay drops it.

    Connecting (and TLS and login) per email costs more than sending it, so the connection is
    kept; sends are serialised on it. Any failure closes it, so the next send starts clean.
    The relay's certificate is always verified: against `relay.ca_file` when set, otherwise
    against the system's CAs.
    """

    def __init__(
        self,
        relay: SmtpRelay,
        *,
        username: str | None,
        password: str | None,
        starttls: bool,
        local_hostname: str,
        timeout: float = 30,
    ) -> None:
        self.relay = relay
        self.username = username
        self.password = password
        self.starttls = starttls
        self.local_hostname = local_hostname
        self.timeout = timeout
        self._tls_context = _tls_context(relay)
        self._client: aiosmtplib.SMTP | None = None
        self._lock = asyncio.Lock()
        digest = hashlib.sha256((password or "").encode()).hexdigest()
        self._credentials = (relay.host, relay.port, username, digest)

    async def _connected(self) -> aiosmtplib.SMTP:
        if self._client is not None and self._client.is_connected:
            return self._client
        implicit = self.relay.implicit_tls
        client = aiosmtplib.SMTP(
            hostname=self.relay.host,
            port=self.relay.port,
            username=self.username,
            password=self.password,
            use_tls=implicit,
            start_tls=False if implicit else self.starttls,
            validate_certs=True,
            tls_context=self._tls_context,
            local_hostname=self.local_hostname,
            timeout=self.timeout,
        )
        await client.connect()
        if client.is_ehlo_or_helo_needed:  # not yet greeted (no STARTTLS or login asked for it)
            try:
                await client.ehlo()
            except aiosmtplib.SMTPHeloError:
                if not client.is_connected:
                    raise
                await client.helo()
        self._client = client
        return client

    async def send(self, message: Message, sender: str) -> None:
        async with self._lock:
            self._refuse_while_login_is_refused()
            try:
                raw, recipients = _wire_form(message)
                try:
                    await (await self._connected()).sendmail(sender, recipients, raw)
                except aiosmtplib.SMTPServerDisconnected:
                    # the relay closed our idle connection: one fresh try
                    await self._drop()
                    await (await self._connected()).sendmail(sender, recipients, raw)
            except Exception as exc:
                await self._drop()
                sorted_ = self._sorted(exc)
                if sorted_ is None:
                    raise
                raise sorted_ from exc
            except BaseException:  # cancelled mid-send: the connection's state is unknown
                await self._drop()
                raise
            _refused_logins.pop(self._credentials, None)

    async def close(self) -> None:
        async with self._lock:
            if self._client is not None and self._client.is_connected:
                with contextlib.suppress(aiosmtplib.SMTPException, OSError):
                    await self._client.quit()
            await self._drop()

    async def _drop(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def _refuse_while_login_is_refused(self) -> None:
        refused = _refused_logins.get(self._credentials)
        if refused is None:
            return
        since, reason = refused
        waited = time.monotonic() - since
        if waited < LOGIN_REFUSED_HOLD_SECONDS:
            raise PermanentFailure(f"not sent, the login was refused {waited:.0f} s ago: {reason}")

    def _sorted(self, exc: Exception) -> DeliveryError | None:
        """Permanent (the relay refused, 5xx) or temporary (deferred, unreachable, timed out)."""
        relay = f"{self.relay.host}:{self.relay.port}"
        if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
            reason = "; ".join(f"{e.code} {e.message}" for e in exc.recipients)
            if all(e.code >= 500 for e in exc.recipients):
                return PermanentFailure(f"the relay refused the address: {reason}")
            return TemporaryFailure(f"the relay deferred the address: {reason}")
        if isinstance(exc, aiosmtplib.SMTPAuthenticationError):
            reason = f"the relay {relay} refused the login for {self.username!r}: "
            reason += f"{exc.code} {exc.message}; check email.smtp_username and "
            reason += "CHECKINS_EMAIL__SMTP_PASSWORD"
            if not self.password:
                reason += " (not set)"
            if exc.code < 500:  # 454: the relay's own trouble, not our credentials
                return TemporaryFailure(reason)
            # credentials only change with a restart, so retrying cannot help; it could lock us out
            _refused_logins[self._credentials] = (time.monotonic(), reason)
            return PermanentFailure(reason)
        if isinstance(exc, aiosmtplib.SMTPResponseException):
            reason = f"{exc.code} {exc.message}"
            if exc.code >= 500:
                return PermanentFailure(f"the relay refused the message: {reason}")
            return TemporaryFailure(f"the relay said: {reason}")
        tls = _tls_error(exc)
        if isinstance(tls, ssl.SSLCertVerificationError):
            # Never sent unverified. Kept queued: an expired or replaced certificate is usually
            # fixed on the relay within hours, and the outbox gives up after its last retry.
            reason = (
                f"cannot verify the TLS certificate of the relay {relay} "
                f"({tls.verify_message or tls.reason}), so nothing was sent; if the relay's "
                "certificate comes from a private CA, set email.relay_ca_file to that CA's PEM file"
            )
            log.warning("%s", reason)
            return TemporaryFailure(reason)
        if tls is not None:
            scheme = "smtps://" if self.relay.implicit_tls else "smtp:// with STARTTLS"
            return TemporaryFailure(
                f"TLS with the relay {relay} failed ({tls.reason or tls}); check that the "
                f"relay expects {scheme} on port {self.relay.port}"
            )
        if isinstance(exc, OSError):  # aiosmtplib's connect, disconnect and timeout errors too
            # cannot connect, dropped, timed out: the relay may be back soon
            return TemporaryFailure(f"cannot reach the relay {relay}: {exc}")
        if isinstance(exc, aiosmtplib.SMTPException):
            # no STARTTLS or no AUTH on offer: settings and relay disagree, or someone in between
            return TemporaryFailure(f"cannot use the relay {relay} as set up: {exc}")
        return None  # not the relay's doing: a fault here, for the outbox to log and retry


def _tls_context(relay: SmtpRelay) -> ssl.SSLContext | None:
    """A verifying context trusting only `relay.ca_file`; None leaves aiosmtplib's default."""
    if relay.ca_file is None:
        return None  # aiosmtplib's own: the system's CAs, certificate and host name checked
    try:
        return ssl.create_default_context(cafile=str(relay.ca_file))
    except (ssl.SSLError, OSError) as exc:
        raise SettingsError(
            f"email.relay_ca_file: {relay.ca_file} cannot be read as PEM certificates ({exc}); "
            "give the PEM file of the CA that signed the relay's certificate"
        ) from None


def _tls_error(exc: BaseException) -> ssl.SSLError | None:
    """The TLS failure behind an exception: aiosmtplib wraps some and passes others through."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, ssl.SSLError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


_WIRE = email.policy.compat32.clone(linesep="\r\n")


def _wire_form(message: Message) -> tuple[bytes, list[str]]:
    """The message's bytes as SMTP carries them (CRLF line endings), and its To addresses."""
    buffer = io.BytesIO()
    email.generator.BytesGenerator(buffer, mangle_from_=False, policy=_WIRE).flatten(message)
    recipients = [address for _, address in getaddresses(message.get_all("To", [])) if address]
    return buffer.getvalue(), recipients
