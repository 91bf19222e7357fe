"""The email channel for tests: its settings on loopback and a local SMTP server for mail out."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiosmtpd.smtp import SMTP

from bot.settings import Settings

DOMAIN = "replies.example.org"


def email_settings(db_url: str, relay_port: int, **email: object) -> Settings:
    """The service's email channel only: inbound on a port of the system's choosing, the relay
    a plain SMTP server on loopback; `email` overrides or adds keys of [email]."""
    return Settings.model_validate(
        {
            "database": {"url": db_url},
            "email": {
                "from_address": "checkins@bridges.example.org",
                "reply_domain": DOMAIN,
                "inbound_host": "127.0.0.1",
                "inbound_port": 0,
                "relay": f"smtp://127.0.0.1:{relay_port}",
                "smtp_starttls": False,
                **email,
            },
            "web": {"port": 0},
        }
    )


@asynccontextmanager
async def smtp_server(handler: object, hostname: str) -> AsyncIterator[int]:
    """An aiosmtpd server in this loop on a loopback port of its choosing; yields the port."""
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(handler, hostname=hostname), "127.0.0.1", 0)
    try:
        yield int(server.sockets[0].getsockname()[1])
    finally:
        server.close()
        await server.wait_closed()
