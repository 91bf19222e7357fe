"""The relay pool keeps a connection for replies while a round's first emails go out."""

from __future__ import annotations

import asyncio
from email.message import Message
from typing import cast

from bot.channels.email.relay import RelayClient
from bot.channels.email.relay_pool import RelayPool


class SlowRelay:
    """A relay session that holds each send until told to finish it."""

    def __init__(self, log: list[str], release: asyncio.Event) -> None:
        self.log = log
        self.release = release

    async def send(self, message: Message, sender: str) -> None:
        self.log.append(f"start {message['Subject']}")
        if message["Subject"].startswith("first"):
            await self.release.wait()
        self.log.append(f"done {message['Subject']}")

    async def close(self) -> None:
        return None


def email(subject: str) -> Message:
    message = Message()
    message["Subject"] = subject
    return message


async def test_a_reply_goes_while_every_other_connection_sends_a_round() -> None:
    log: list[str] = []
    release = asyncio.Event()
    pool = RelayPool(lambda: cast(RelayClient, SlowRelay(log, release)), size=4)
    round_sends = [
        asyncio.create_task(pool.send(email(f"first {n}"), "bot@x.org", bulk=True))
        for n in range(10)
    ]
    await asyncio.sleep(0.05)
    assert log == ["start first 0", "start first 1", "start first 2"]  # one connection kept
    await asyncio.wait_for(pool.send(email("next question"), "bot@x.org"), 1)
    assert log[-2:] == ["start next question", "done next question"]
    release.set()
    await asyncio.gather(*round_sends)
    assert sum(line.startswith("done first") for line in log) == 10
