"""Answered questions shown in place (chat.update): cosmetic, so they wait, merge and may drop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.channels.slack.pacing import SlackPacer, rate_limit_seconds
from bot.conversation.channel import TemporaryFailure
from storage.records import BULK

log = logging.getLogger(__name__)
UPDATE = "chat.update"
GIVE_UP_AFTER = 3  # rate limits in a row for one message: its buttons stay, the answer is stored
_MOST_WAITING = 10_000


@dataclass
class _Pending:
    text: str
    blocks: list[Any]
    refused: int = 0


Finder = Callable[[], Awaitable[str | None]]  # "channel:ts" of the message, or None


class CosmeticUpdates:
    """chat.update calls that never hold up a question: sent in the background at the
    method's budget after everything else, only the latest state of each message, and
    dropped after repeated rate limits (the stored answer is the record, not the message)."""

    def __init__(self, client: AsyncWebClient, pacer: SlackPacer) -> None:
        self.client = client
        self.pacer = pacer
        self._waiting: OrderedDict[str, _Pending] = OrderedDict()  # "channel:ts" -> last state
        self._finding: list[tuple[Finder, Mapping[str, Any]]] = []
        self._ready = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.dropped = 0

    def put(self, find: Finder, answered: Mapping[str, Any]) -> None:
        """Show `answered` in the message `find` names, some time soon."""
        self._finding.append((find, answered))
        self._ready.set()
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="slack-updates")

    @property
    def waiting(self) -> int:
        return len(self._waiting) + len(self._finding)

    async def close(self) -> None:
        """Stop sending; what still waits is dropped (it was only ever cosmetic)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            await self._resolve()
            if not self._waiting:
                self._ready.clear()
                if self._finding:
                    continue
                await self._ready.wait()
                continue
            target, pending = self._waiting.popitem(last=False)
            try:
                await self._send(target, pending)
            except asyncio.CancelledError:
                raise
            except Exception:  # cosmetic: a failure is logged, never raised into a send
                log.exception("could not show an answer in %s", target)

    async def _resolve(self) -> None:
        finding, self._finding = self._finding, []
        for find, answered in finding:
            try:
                target = await find()
            except Exception:
                log.exception("could not find the message of a question")
                continue
            if target is None:
                continue
            # a newer state of the same message replaces the older one, in its place
            self._waiting[target] = _Pending(str(answered["text"]), list(answered["blocks"]))
        while len(self._waiting) > _MOST_WAITING:
            self._waiting.popitem(last=False)
            self.dropped += 1

    async def _send(self, target: str, pending: _Pending) -> None:
        channel, _, ts = target.partition(":")
        try:
            async with self.pacer.pace(UPDATE, lane=BULK):
                await self.client.chat_update(
                    channel=channel, ts=ts, text=pending.text, blocks=pending.blocks
                )
        except TemporaryFailure as exc:  # paused: it waits its turn again
            await self._later(target, pending, exc.retry_after)
        except SlackApiError as exc:
            seconds = rate_limit_seconds(exc)
            if seconds is None:
                # a message that can no longer be edited keeps its buttons; they are stale now
                log.info("could not show the answer in %s: %s", target, exc.response.get("error"))
                return
            await self.pacer.rate_limited(UPDATE, seconds, None)
            pending.refused += 1
            if pending.refused >= GIVE_UP_AFTER:
                self.dropped += 1
                log.info("not showing the answer in %s: Slack kept refusing (rate limit)", target)
                return
            await self._later(target, pending, seconds)

    async def _later(self, target: str, pending: _Pending, seconds: float | None) -> None:
        if target not in self._waiting:  # unless a newer state came meanwhile
            self._waiting[target] = pending
        await asyncio.sleep(min(seconds or 1.0, 60.0))
