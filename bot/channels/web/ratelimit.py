"""Fixed-window request counters per key (client address, link, email address), in memory."""

from __future__ import annotations

import time
from collections.abc import Callable


class RateLimit:
    """At most `limit` hits per key in each `window` seconds; an instance's own count.

    Several instances each count their own requests: the limits are meant to stop scripted
    guessing and floods, which they do per instance as well.
    """

    def __init__(
        self, limit: int, window: float, *, now: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window = window
        self._now = now
        self._counts: dict[str, tuple[float, int]] = {}

    def allow(self, key: str) -> bool:
        """Count a hit for `key`; False when it is over the limit (then it is not counted)."""
        now = self._now()
        started, count = self._counts.get(key, (now, 0))
        if now - started >= self.window:
            started, count = now, 0
        if count >= self.limit:
            return False
        self._counts[key] = (started, count + 1)
        if len(self._counts) > 50_000:
            self._forget_old(now)
        return True

    def retry_after(self, key: str) -> int:
        started, _ = self._counts.get(key, (self._now(), 0))
        return max(1, int(self.window - (self._now() - started)) + 1)

    def _forget_old(self, now: float) -> None:
        self._counts = {k: v for k, v in self._counts.items() if now - v[0] < self.window}
