"""Shared fixtures: a database URL for each engine (SQLite file, fresh PostgreSQL database).

Most tests take a database already migrated: a copy of one migrated once per run, since
migrating costs about half a second a database (0.5 s on SQLite, 0.8 s on PostgreSQL) and most
tests are about something else. Tests of migrating itself take an empty one (`empty_db_url`).
"""

from __future__ import annotations

import asyncio
import os
import shutil
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

from storage.db import database, mask_url, upgrade

POSTGRES_URL_ENV = "CHECKINS_TEST_POSTGRES_URL"
DEFAULT_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/test"
T = TypeVar("T")


def postgres_server_url() -> str:
    return os.environ.get(POSTGRES_URL_ENV, DEFAULT_POSTGRES_URL)


class PostgresUnreachable(Exception):
    """The test server cannot be reached; its tests skip with this message."""


class PostgresDatabases:
    """Fresh databases on the test server, empty or migrated, each created one test ahead of need.

    CREATE DATABASE costs about half a second (the server fsyncs a copy of its template), so
    a thread with its own event loop and admin connection makes the next test's database
    while the current test runs, and drops used ones in the background. Migrated ones are
    copies of a template database migrated once, when the first is asked for.
    """

    def __init__(self, server_url: str) -> None:
        self.server_url = server_url
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._admin: asyncpg.Connection | None = None
        self._one_at_a_time = asyncio.Lock()  # one admin connection runs one statement
        self._next: dict[bool, deque[Future[str]]] = {False: deque(), True: deque()}
        self._template: Future[str] | None = None
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

    def _url(self, name: str) -> str:
        return urlunsplit(urlsplit(self.server_url)._replace(path=f"/{name}"))

    async def _create(self, migrated: bool) -> str:
        name = f"ck_{uuid.uuid4().hex[:16]}"
        if not migrated:
            await self._admin_execute(f'CREATE DATABASE "{name}"')
            return name
        assert self._template is not None
        template = await asyncio.wrap_future(self._template)
        await self._admin_execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return name

    async def _migrated_template(self) -> str:
        name = await self._create(migrated=False)
        # upgrade() migrates in a Tortoise context of its own and closes it: a template must
        # have no connections left when it is copied
        await upgrade(self._url(name))
        return name

    async def _drop(self, name: str) -> None:
        # FORCE: a test that failed half-way may have left a connection open
        await self._admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def take(self, *, migrated: bool) -> str:
        """A new database's URL; the next of its kind starts being made straight away."""
        if migrated and self._template is None:
            self._template = self._call(self._migrated_template())
        waiting = self._next[migrated]
        ready = waiting.popleft() if waiting else self._call(self._create(migrated))
        waiting.append(self._call(self._create(migrated)))
        return self._url(ready.result(timeout=120))

    def drop(self, url: str) -> None:
        self._drops.append(self._call(self._drop(urlsplit(url).path.lstrip("/"))))

    def close(self) -> None:
        made_ahead = [*self._next[False], *self._next[True]]  # for tests that never came
        if self._template is not None:
            made_ahead.append(self._template)
        for made in made_ahead:
            self._drops.append(self._call(self._drop(made.result(timeout=120))))
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
    yield from _postgres(postgres_databases, migrated=False)


@pytest.fixture
def postgres_migrated_url(postgres_databases: PostgresDatabases | None) -> Iterator[str]:
    """A fresh database on the test server with every migration applied, dropped afterwards."""
    yield from _postgres(postgres_databases, migrated=True)


def _postgres(databases: PostgresDatabases | None, *, migrated: bool) -> Iterator[str]:
    if databases is None:
        pytest.skip(_unreachable or "PostgreSQL is unreachable")
    url = databases.take(migrated=migrated)
    yield url
    databases.drop(url)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite://{tmp_path}/checkins.db"  # tmp_path is absolute: sqlite:///tmp/...


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database migrated once per run, for tests to copy."""
    path = tmp_path_factory.mktemp("template") / "checkins.db"
    failed: list[BaseException] = []

    def migrate() -> None:  # its own thread: no event loop of a test's is running there
        try:
            asyncio.run(upgrade(f"sqlite://{path}"))
        except BaseException as exc:  # raised again below, in the test
            failed.append(exc)

    worker = threading.Thread(target=migrate)
    worker.start()
    worker.join()
    if failed:
        raise failed[0]
    return path


@pytest.fixture
def sqlite_migrated_url(tmp_path: Path, sqlite_template: Path) -> str:
    """A SQLite file with every migration applied: a copy of the run's template."""
    for suffix in ("", "-wal", "-shm"):  # the write-ahead log too, if one was left
        made = sqlite_template.with_name(sqlite_template.name + suffix)
        if made.exists():
            shutil.copyfile(made, tmp_path / ("checkins.db" + suffix))
    return f"sqlite://{tmp_path}/checkins.db"


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
    """A migrated database: a SQLite file in tmp_path, or a fresh PostgreSQL database."""
    url: str = request.getfixturevalue(f"{db_engine}_migrated_url")
    return url


@pytest.fixture
def empty_db_url(db_engine: str, request: pytest.FixtureRequest) -> str:
    """An empty database, for tests of migrating: a SQLite file or a fresh PostgreSQL one."""
    url: str = request.getfixturevalue(f"{db_engine}_url")
    return url


@pytest_asyncio.fixture
async def db(db_url: str) -> AsyncIterator[str]:
    """Connected (and so migrated) for the test's task and the tasks it starts."""
    async with database(db_url):
        yield db_url
