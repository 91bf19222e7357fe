"""Pauses a service asked for (Retry-After), kept in the database so every instance honours them."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import storage

FORGET_AFTER = timedelta(hours=1)


class PauseBoard:
    """What one channel must wait out, by scope (a method, or "method:conversation").

    Read from the database at most every `fresh_for` seconds, so checking before each send
    costs nothing most of the time; another instance's pause is seen within that time. Real
    time throughout: a Retry-After is in the service's seconds, whatever clock the bot uses.
    """

    def __init__(self, channel: str, *, fresh_for: float = 0.5) -> None:
        self.channel = channel
        self.fresh_for = fresh_for
        self._until: dict[str, float] = {}  # scope -> time.time() at which it ends
        self._read_at = float("-inf")

    async def left(self, *scopes: str) -> float:
        """Seconds until every one of `scopes` may be used again (0: now)."""
        await self._refresh()
        now = time.time()
        return max([0.0, *(self._until.get(scope, 0.0) - now for scope in scopes)])

    async def pause(self, scope: str, seconds: float) -> None:
        """Stop `scope` for `seconds`, here at once and for every instance through storage."""
        until = time.time() + seconds
        self._until[scope] = max(until, self._until.get(scope, 0.0))
        moment = datetime.fromtimestamp(until, UTC)
        await storage.pause_sending(self.channel, scope, until=moment)
        await storage.forget_pauses(before=moment - FORGET_AFTER)

    async def _refresh(self) -> None:
        if time.monotonic() - self._read_at < self.fresh_for:
            return
        self._read_at = time.monotonic()  # before the read: sends meanwhile use what is known
        stored = await storage.current_pauses(self.channel, now=datetime.now(UTC))
        now = time.time()
        merged = {scope: end for scope, end in self._until.items() if end > now}
        for scope, moment in stored.items():
            merged[scope] = max(moment.timestamp(), merged.get(scope, 0.0))
        self._until = merged
