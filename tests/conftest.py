"""Shared fixtures: a database URL for each engine (SQLite file, fresh PostgreSQL database)."""

from __future__ import annotations

import asyncio
import os
import threading
import uuid
from collections import deque
from collections.abc import AsyncIterator, Coroutine, Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import asyncpg  # type: ignore[import-untyped]
import pytest
import pytest_asyncio

from storage.db import database, mask_url

POSTGRES_URL_ENV = "CHECKINS_TEST_POSTGRES_URL"
DEFAULT_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/test"
T = TypeVar("T")


def postgres_server_url() -> str:
    return os.environ.get(POSTGRES_URL_ENV, DEFAULT_POSTGRES_URL)


class PostgresUnreachable(Exception):
    """The test server cannot be reached; its tests skip with this message."""


class PostgresDatabases:
    """Fresh, empty databases on the test server, each created one test ahead of need.

    CREATE DATABASE costs about half a second (the server fsyncs a copy of template1), so
    a thread with its own event loop and admin connection makes the next test's database
    while the current test runs, and drops used ones in the background.
    """

    def __init__(self, server_url: str) -> None:
        self.server_url = server_url
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._admin: asyncpg.Connection | None = None
        self._one_at_a_time = asyncio.Lock()  # one admin connection runs one statement
        self._next: deque[Future[str]] = deque()
        self._drops: list[Future[None]] = []
        try:
            self._call(self._connect()).result(timeout=15)
        except Exception as exc:
            self._stop()
            raise PostgresUnreachable(
                f"PostgreSQL at {mask_url(server_url)} is unreachable ({exc}). Start it (for "
                "example `pg_ctlcluster 15 main start`, or `docker run -d -p 5432:5432 -e "
                "POSTGRES_HOST_AUTH_METHOD=trust postgres:15`) or point "
                f"{POSTGRES_URL_ENV} at a server where this user may CREATE DATABASE."
            ) from exc

    def _call(self, coro: Coroutine[Any, Any, T]) -> Future[T]:
        return asyncio.run_coroutine_threadsafe(coro, self._loop)

    async def _connect(self) -> None:
        # asyncpg takes postgres:// and postgresql:// only; tortoise also takes asyncpg://
        dsn = urlunsplit(urlsplit(self.server_url)._replace(scheme="postgresql"))
        self._admin = await asyncpg.connect(dsn, timeout=5)

    async def _admin_execute(self, sql: str) -> None:
        assert self._admin is not None
        async with self._one_at_a_time:
            await self._admin.execute(sql)

    async def _create(self) -> str:
        name = f"ck_{uuid.uuid4().hex[:16]}"
        await self._admin_execute(f'CREATE DATABASE "{name}"')
        return name

    async def _drop(self, name: str) -> None:
        # FORCE: a test that failed half-way may have left a connection open
        await self._admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def take(self) -> str:
        """A new database's URL; the one after it starts being made straight away."""
        ready = self._next.popleft() if self._next else self._call(self._create())
        self._next.append(self._call(self._create()))
        name = ready.result(timeout=60)
        return urlunsplit(urlsplit(self.server_url)._replace(path=f"/{name}"))

    def drop(self, url: str) -> None:
        self._drops.append(self._call(self._drop(urlsplit(url).path.lstrip("/"))))

    def close(self) -> None:
        for made in self._next:  # made ahead for a test that never came
            self._drops.append(self._call(self._drop(made.result(timeout=60))))
        for dropped in self._drops:
            dropped.result(timeout=60)
        if self._admin is not None:
            self._call(self._admin.close()).result(timeout=15)
        self._stop()

    def _stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=15)
        self._loop.close()


_unreachable: str | None = None  # remembered, so that later tests skip at once


@pytest.fixture(scope="session")
def postgres_databases() -> Iterator[PostgresDatabases | None]:
    global _unreachable
    try:
        databases = PostgresDatabases(postgres_server_url())
    except PostgresUnreachable as exc:
        _unreachable = str(exc)
        yield None
        return
    yield databases
    databases.close()


@pytest.fixture
def postgres_url(postgres_databases: PostgresDatabases | None) -> Iterator[str]:
    """A fresh, empty database on the test server, dropped afterwards."""
    if postgres_databases is None:
        pytest.skip(_unreachable or "PostgreSQL is unreachable")
    url = postgres_databases.take()
    yield url
    postgres_databases.drop(url)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite://{tmp_path}/checkins.db"  # tmp_path is absolute: sqlite:///tmp/...


@pytest.fixture(
    params=[
        pytest.param("sqlite"),
        pytest.param("postgres", marks=pytest.mark.postgres),
    ]
)
def db_engine(request: pytest.FixtureRequest) -> str:
    engine: str = request.param
    return engine


@pytest.fixture
def db_url(db_engine: str, request: pytest.FixtureRequest) -> str:
    """An empty database: a SQLite file in tmp_path, or a fresh PostgreSQL database."""
    url: str = request.getfixturevalue(f"{db_engine}_url")
    return url


@pytest_asyncio.fixture
async def db(db_url: str) -> AsyncIterator[str]:
    """Connected (and so migrated) for the test's task and the tasks it starts."""
    async with database(db_url):
        yield db_url
