"""Slack's pace: posts per conversation, a budget per Web API method, and Retry-After for all."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Mapping
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.conversation.channel import TemporaryFailure
from bot.conversation.send_pauses import PauseBoard
from bot.settings import SlackSettings
from storage.records import BULK

POST = "chat.postMessage"
_MAX_CONVERSATIONS = 20_000  # idle conversations' budgets are full again: forgotten past this


def rate_limit_seconds(exc: SlackApiError) -> float | None:
    """How long Slack asked us to wait (Retry-After, 30 s if it did not say); None when the
    error is not a rate limit."""
    response = exc.response
    error = str(response.get("error", "")) if response is not None else ""
    if error != "ratelimited" and getattr(response, "status_code", 0) != 429:
        return None
    retry_after = _header(getattr(response, "headers", None), "Retry-After")
    return float(retry_after) if retry_after and retry_after.isdigit() else 30.0


def _header(headers: Mapping[str, Any] | None, name: str) -> str | None:
    for key, value in (headers or {}).items():
        if key.lower() == name.lower():
            return str(value[0] if isinstance(value, list) else value)
    return None


class Budget:
    """A token bucket: `burst` calls at once, then `per_second`.

    It counts `jitter` seconds on top of Slack's own limit: the calls reach Slack a varying
    time after they leave here, and one that arrives sooner than the one before must still
    find the budget there.
    """

    def __init__(self, per_second: float, burst: int, *, jitter: float = 0.1) -> None:
        self.nominal = per_second
        self.per_second = per_second
        self.burst = burst
        self._margin = jitter * per_second
        self._tokens = float(burst)
        self._at = time.monotonic()

    def wait(self, now: float, *, keep: int = 0) -> float:
        """Seconds until a call may go while leaving `keep` calls for others."""
        self._tokens = min(float(self.burst), self._tokens + (now - self._at) * self.per_second)
        self._at = now
        missing = keep + 1 + self._margin - self._tokens
        return max(0.0, missing / self.per_second)

    def take(self) -> None:
        self._tokens -= 1.0
        # back towards the full pace a little with each call that went through: slowly, as
        # another instance sharing the budget may be doing the same
        self.per_second = min(self.nominal, self.per_second + self.nominal / 200)

    def settle(self, now: float) -> None:
        """The call is answered: no refill is counted for the time it took."""
        self._at = max(self._at, now)

    def slow_down(self) -> None:
        """Slack refused a call: others (another instance) use this budget too. A slower pace
        for now, down to a quarter; it grows back call by call (the pause itself is
        Retry-After's)."""
        self.per_second = max(self.nominal / 4, self.per_second / 2)

    @property
    def full(self) -> bool:
        self.wait(time.monotonic())
        return self._tokens >= self.burst


def per_minute(calls: float) -> Budget:
    """A workspace budget of `calls` a minute allowing a burst of five seconds' worth.

    Slack welcomes "sporadic bursts" without saying how large; a small one leaves room for
    another instance's (each instance keeps its own budget).
    """
    return Budget(calls / 60.0, max(1, int(calls // 12)))


def method_budgets(settings: SlackSettings) -> dict[str, Budget]:
    """Slack's tier for each method the bot calls (docs.slack.dev/reference/methods)."""
    files = settings.file_calls_per_minute
    return {
        "chat.update": per_minute(settings.updates_per_minute),
        "conversations.open": per_minute(settings.opens_per_minute),
        "conversations.history": per_minute(settings.opens_per_minute),  # Tier 3 too
        "users.lookupByEmail": per_minute(settings.lookups_per_minute),
        "views.publish": per_minute(settings.home_views_per_minute),
        "files.getUploadURLExternal": per_minute(files),
        "files.completeUploadExternal": per_minute(files),
    }


class SlackPacer:
    """Decides when each Web API call may go.

    A post waits only for its own conversation; other methods wait for their workspace budget,
    of which bulk work (a round's first messages, reminders) leaves a third to whoever is
    answering. A `ratelimited` answer pauses the method (and the conversation, for a post) for
    every instance; a call that meets a pause fails with the time left, and its message is
    retried then.
    """

    def __init__(
        self,
        settings: SlackSettings | None = None,
        board: PauseBoard | None = None,
    ) -> None:
        self.settings = settings or SlackSettings()
        self.board = board or PauseBoard("slack")
        self._methods = method_budgets(self.settings)
        self._conversations: dict[str, Budget] = {}

    @contextlib.asynccontextmanager
    async def pace(
        self, method: str, *, conversation: str | None = None, lane: str = BULK
    ) -> AsyncIterator[None]:
        """Around one call: its turn first; once it is answered, Slack has counted it (its
        budget is refilled from then on, however late the request left or arrived)."""
        budgets = await self.turn(method, conversation=conversation, lane=lane)
        try:
            yield
        finally:
            for budget in budgets:
                budget.settle(time.monotonic())

    async def turn(
        self, method: str, *, conversation: str | None = None, lane: str = BULK
    ) -> list[Budget]:
        """Wait for this call's turn (the budgets it used); TemporaryFailure when Slack asked
        us to wait longer."""
        scopes = [method] if conversation is None else [method, f"{method}:{conversation}"]
        left = await self.board.left(*scopes)
        if left > 0:
            raise TemporaryFailure(f"waiting out Slack's rate limit on {method}", retry_after=left)
        budgets: list[tuple[Budget, int]] = []
        budget = self._methods.get(method)
        if budget is not None:
            budgets.append((budget, budget.burst // 3 if lane == BULK else 0))
        if method == POST and conversation is not None:
            budgets.append((self._conversation(conversation), 0))
        while budgets:
            now = time.monotonic()
            wait = max(b.wait(now, keep=keep) for b, keep in budgets)
            if wait <= 0:
                for b, _ in budgets:
                    b.take()
                return [b for b, _ in budgets]
            await asyncio.sleep(wait)
        return []

    async def rate_limited(self, method: str, seconds: float, conversation: str | None) -> None:
        """Slack said `ratelimited`: nobody calls `method` (in that conversation) for a while."""
        budget = self._methods.get(method)
        if budget is not None:
            budget.slow_down()
        if conversation is not None and method == POST:
            self._conversation(conversation).slow_down()
        await self.board.pause(method, seconds)
        if conversation is not None and method == POST:
            await self.board.pause(f"{method}:{conversation}", seconds)

    def _conversation(self, conversation: str) -> Budget:
        budget = self._conversations.get(conversation)
        if budget is None:
            if len(self._conversations) >= _MAX_CONVERSATIONS:
                self._conversations = {
                    key: b for key, b in self._conversations.items() if not b.full
                }
            settings = self.settings
            budget = Budget(
                settings.posts_per_conversation_per_second, settings.post_burst_per_conversation
            )
            self._conversations[conversation] = budget
        return budget
