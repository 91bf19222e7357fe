"""Several kept-open relay connections, so one slow send does not hold up every other email."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from email.message import Message

from bot.channels.email.relay import RelayClient


class RelayPool:
    """Up to `size` RelayClients, each opened on first use; a send takes whichever is free.

    One connection serialises every email behind the relay's answer to the one before; a real
    relay takes several sessions at once, as mail servers do. Bulk sends (a round's first
    emails, reminders) never hold every connection: one is always left for a reply's email.
    """

    def __init__(self, factory: Callable[[], RelayClient], size: int) -> None:
        self._factory = factory
        self._idle: list[RelayClient] = []
        self._free = asyncio.Semaphore(size)
        self._bulk = asyncio.Semaphore(max(1, size - 1))

    async def send(self, message: Message, sender: str, *, bulk: bool = False) -> None:
        if bulk:
            async with self._bulk:
                await self._send(message, sender)
        else:
            await self._send(message, sender)

    async def _send(self, message: Message, sender: str) -> None:
        async with self._free:
            client = self._idle.pop() if self._idle else self._factory()
            try:
                await client.send(message, sender)
            finally:
                # a client whose send failed has dropped its connection and reconnects next time
                self._idle.append(client)

    async def close(self) -> None:
        for client in self._idle:
            await client.close()
        self._idle.clear()
