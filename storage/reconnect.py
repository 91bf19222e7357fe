"""Statements that wait out a PostgreSQL that went away: the retry and the reconnecting client."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import asyncpg  # type: ignore[import-untyped]
from tortoise.backends.asyncpg.client import AsyncpgDBClient
from tortoise.backends.base.config_generator import expand_db_url

log = logging.getLogger(__name__)
# How long one statement waits for a PostgreSQL that went away (a restart, a failover) to come
# back before its caller sees the error; well under the outbox's and the scheduler's leases.
RECONNECT_SECONDS = 15.0
T = TypeVar("T")


def is_connection_error(exc: BaseException) -> bool:
    """True when the database was unreachable or dropped the connection, not when it refused."""
    if isinstance(exc, OSError | asyncpg.PostgresConnectionError | asyncpg.InterfaceError):
        return True
    if isinstance(exc, asyncpg.InternalClientError):  # a connection left broken by a drop
        return True
    shutting_down = (
        asyncpg.CannotConnectNowError,
        asyncpg.AdminShutdownError,
        asyncpg.CrashShutdownError,
    )
    return isinstance(exc, shutting_down)


async def retry_on_disconnect(
    work: Callable[[], Awaitable[T]], *, within: float = RECONNECT_SECONDS
) -> T:
    """Run `work`, again and again while the database is unreachable, for up to `within` seconds.

    Only for work that is safe to repeat after an unknown outcome: one statement that sets a
    value, or a whole step that an idempotency key or a compare-and-set protects.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    pause = 0.05
    while True:
        try:
            return await work()
        except Exception as exc:
            if not is_connection_error(exc) or loop.time() + pause > deadline:
                raise
            log.warning("connection lost (%s: %s); trying again", type(exc).__name__, exc)
        await asyncio.sleep(pause)
        pause = min(pause * 2, 1.0)


class ReconnectingAsyncpgClient(AsyncpgDBClient):
    """tortoise's asyncpg client, whose statements outside a transaction survive a restart.

    asyncpg's pool replaces dropped connections by itself, but the statement that met the drop
    fails. Repeating such a statement is safe here: outside transactions storage runs single
    updates that set values, compare-and-set claims (a repeat after an unseen success claims
    nothing, and the lease hands the row on) and inserts that skip duplicates. Transactions are
    never repeated at this level; their callers decide (see retry_on_disconnect).
    """

    # Only a database that was reached once is waited for: a wrong URL or a server that is not
    # running fails the first statement at once, with the hint that connect() adds.
    _reached = False

    async def _statement(self, run: Callable[[], Awaitable[T]]) -> T:
        if not self._reached:
            result = await run()
            self._reached = True
            return result
        return await retry_on_disconnect(run)

    async def execute_insert(self, query: str, values: list[Any]) -> Any:
        parent = super().execute_insert
        return await self._statement(lambda: parent(query, values))

    async def execute_many(self, query: str, values: list[Any]) -> None:
        parent = super().execute_many
        await self._statement(lambda: parent(query, values))

    async def execute_query(
        self, query: str, values: list[Any] | None = None
    ) -> tuple[int, list[dict[str, Any]]]:
        parent = super().execute_query
        return await self._statement(lambda: parent(query, values))

    async def execute_query_dict(
        self, query: str, values: list[Any] | None = None
    ) -> list[dict[str, Any]]:
        parent = super().execute_query_dict
        return await self._statement(lambda: parent(query, values))


# tortoise's engine hook: connect() names this module as the engine of PostgreSQL URLs
client_class = ReconnectingAsyncpgClient


def reconnecting(config: dict[str, Any]) -> dict[str, Any]:
    """The config with PostgreSQL served by ReconnectingAsyncpgClient; SQLite as it is."""
    connections: dict[str, Any] = {}
    for name, url in config["connections"].items():
        info = expand_db_url(url)
        postgres = info["engine"] == "tortoise.backends.asyncpg"
        connections[name] = {**info, "engine": __name__} if postgres else url
    return {**config, "connections": connections}
