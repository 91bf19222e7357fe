"""Sending through the SMTP relay on one kept-open connection, with failures sorted for retries."""

from __future__ import annotations

import asyncio
import contextlib
from email.message import Message

import aiosmtplib

from bot.channels.base import DeliveryError, PermanentFailure, TemporaryFailure
from bot.settings import SmtpRelay


class RelayClient:
    """One connection to the relay, opened on first use and reopened when the relay drops it.

    Connecting (and TLS and login) per email costs more than sending it, so the connection is
    kept; sends are serialised on it. Any failure closes it, so the next send starts clean.
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
        self._client: aiosmtplib.SMTP | None = None
        self._lock = asyncio.Lock()

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
            local_hostname=self.local_hostname,
            timeout=self.timeout,
        )
        await client.connect()
        self._client = client
        return client

    async def send(self, message: Message, sender: str) -> None:
        async with self._lock:
            try:
                try:
                    client = await self._connected()
                    await client.send_message(message, sender=sender)
                except aiosmtplib.SMTPServerDisconnected:
                    # the relay closed our idle connection: one fresh try
                    await self._drop()
                    client = await self._connected()
                    await client.send_message(message, sender=sender)
            except Exception as exc:
                await self._drop()
                sorted_ = _sorted(exc, self.relay)
                if sorted_ is None:
                    raise
                raise sorted_ from exc
            except BaseException:  # cancelled mid-send: the connection's state is unknown
                await self._drop()
                raise

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


def _sorted(exc: Exception, relay: SmtpRelay) -> DeliveryError | None:
    """Permanent (the relay refused, 5xx) or temporary (deferred, unreachable, timed out)."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        reason = "; ".join(f"{e.code} {e.message}" for e in exc.recipients)
        if all(e.code >= 500 for e in exc.recipients):
            return PermanentFailure(f"the relay refused the address: {reason}")
        return TemporaryFailure(f"the relay deferred the address: {reason}")
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        reason = f"{exc.code} {exc.message}"
        if exc.code >= 500 and not isinstance(exc, aiosmtplib.SMTPAuthenticationError):
            return PermanentFailure(f"the relay refused the message: {reason}")
        return TemporaryFailure(f"the relay said: {reason}")
    if isinstance(exc, aiosmtplib.SMTPException | OSError):
        # cannot connect, timed out, TLS failed: the relay may be back soon
        return TemporaryFailure(f"cannot reach the relay {relay.host}:{relay.port}: {exc}")
    return None  # not the relay's doing: a fault here, for the outbox to log and retry
