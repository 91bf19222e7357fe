"""The inbound server's SMTP sessions: what a client reads."""

from __future__ import annotations

import asyncio

from aiosmtpd.smtp import SMTP

from bot.channels.email.smtp_session import InboundSMTP


async def test_a_continued_line_with_nothing_after_it_still_goes_out() -> None:
    class Continuing:
        async def handle_NOOP(
            self, server: SMTP, session: object, envelope: object, arg: str
        ) -> str:
            return "250-first of more"  # malformed, but what it was given is still sent

    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: InboundSMTP(Continuing(), hostname="x"), "127.0.0.1", 0
    )
    reader, writer = await asyncio.open_connection("127.0.0.1", server.sockets[0].getsockname()[1])
    try:
        await reader.readline()  # the greeting
        writer.write(b"NOOP\r\n")
        assert await asyncio.wait_for(reader.readline(), 5) == b"250-first of more\r\n"
    finally:
        writer.close()
        server.close()
        await server.wait_closed()
