"""Statement plans: a storage operation written once as a generator of SQL, run by each engine.

A plan yields `Statement`s and receives each one's rows; what it returns is the operation's
result, and an exception it raises rolls everything back. On SQLite the whole plan runs in a
database thread in one hop (a message's step used to cost a dozen hops, each waiting for the
event loop to come round again), on a connection of its own so that plans queue in that thread
instead of taking turns at tortoise's connection lock; on PostgreSQL each statement is one
round trip on a single pooled connection, inside one transaction.
"""

from __future__ import annotations

import asyncio
import sqlite3
import weakref
from collections.abc import Generator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

import asyncpg  # type: ignore[import-untyped]
from tortoise.backends.base.client import BaseDBAsyncClient, TransactionalDBClient
from tortoise.context import TortoiseContext, get_current_context
from tortoise.exceptions import IntegrityError, OperationalError

from storage.sql import connection, is_postgres, spelled

T = TypeVar("T")
Rows = list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class Statement:
    sql: str  # with `?` placeholders, numbered for PostgreSQL by the runner
    values: Sequence[Any] = ()


Plan = Generator[Statement, Rows, T]


class SqliteWorker:
    """A SQLite connection of the hot path's own, used only from its one thread."""

    def __init__(self, path: str, pragmas: dict[str, str]) -> None:
        self.path = path
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="checkins-sqlite")
        self._db: sqlite3.Connection | None = None
        self._pragmas = pragmas

    async def open(self) -> None:
        await asyncio.get_running_loop().run_in_executor(self.executor, self._open)

    def _open(self) -> None:
        # autocommit: the plan runner says BEGIN and COMMIT itself
        db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=True)
        for name, value in self._pragmas.items():
            db.execute(f"PRAGMA {name}={value}")
        db.execute("PRAGMA foreign_keys=ON")  # as tortoise's own connection has it
        self._db = db

    async def run(self, plan: Plan[T], atomic: bool) -> T:
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self.executor, self._drive, plan, atomic)
        except sqlite3.IntegrityError as exc:
            raise IntegrityError(str(exc)) from exc
        except sqlite3.Error as exc:
            raise OperationalError(str(exc)) from exc

    def _drive(self, plan: Plan[T], atomic: bool) -> T:
        if self._db is None:
            raise OperationalError("the SQLite worker connection is closed")
        return _drive_sqlite(self._db, plan, atomic)

    async def close(self) -> None:
        def close() -> None:
            if self._db is not None:
                self._db.close()
                self._db = None

        await asyncio.get_running_loop().run_in_executor(self.executor, close)
        self.executor.shutdown(wait=True)


# one worker per tortoise context (a context is one connected database in one process)
_workers: weakref.WeakKeyDictionary[TortoiseContext, SqliteWorker] = weakref.WeakKeyDictionary()


def attach_worker(worker: SqliteWorker) -> None:
    context = get_current_context()
    if context is not None:
        _workers[context] = worker


def detach_worker(context: TortoiseContext | None = None) -> SqliteWorker | None:
    context = context or get_current_context()
    return _workers.pop(context, None) if context is not None else None


async def run(plan: Plan[T], *, atomic: bool = True) -> T:
    """Run `plan`, all or nothing when `atomic` (inside a caller's transaction: a savepoint)."""
    conn = connection()
    if is_postgres(conn):
        return await _run_postgres(conn, plan, atomic)
    context = get_current_context()
    worker = _workers.get(context) if context is not None else None
    # inside a transaction tortoise opened, the plan must be part of it: its connection, then
    if worker is not None and not isinstance(conn, TransactionalDBClient):
        return await worker.run(plan, atomic)
    return await _run_sqlite(conn, plan, atomic)


async def _run_sqlite(conn: BaseDBAsyncClient, plan: Plan[T], atomic: bool) -> T:
    async with conn.acquire_connection() as worker:  # holds tortoise's lock on the connection
        try:
            # aiosqlite runs queued functions in its connection thread; this queues the whole
            # plan as one function (a private method, stable across the pinned 0.22 series)
            result: T = await worker._execute(_drive_sqlite, worker._conn, plan, atomic)
        except sqlite3.IntegrityError as exc:
            raise IntegrityError(str(exc)) from exc
        except sqlite3.Error as exc:
            raise OperationalError(str(exc)) from exc
        return result


def _drive_sqlite(db: sqlite3.Connection, plan: Plan[T], atomic: bool) -> T:
    nested = db.in_transaction  # inside a transaction tortoise opened: use a savepoint
    if atomic:
        # IMMEDIATE takes the write lock now, so a second process cannot make this fail late
        db.execute("SAVEPOINT plan" if nested else "BEGIN IMMEDIATE")
    try:
        statement = next(plan)
        while True:
            cursor = db.execute(statement.sql, list(statement.values))
            names = [column[0] for column in cursor.description or ()]
            found = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
            statement = plan.send(found)
    except StopIteration as done:
        if atomic:
            db.execute("RELEASE plan" if nested else "COMMIT")
        return done.value  # type: ignore[no-any-return]
    except BaseException:
        if atomic:
            if nested:
                db.execute("ROLLBACK TO plan")
                db.execute("RELEASE plan")
            elif db.in_transaction:
                db.execute("ROLLBACK")
        raise


async def _run_postgres(conn: BaseDBAsyncClient, plan: Plan[T], atomic: bool) -> T:
    async with conn.acquire_connection() as pg:
        transaction = pg.transaction() if atomic else None  # a savepoint inside a transaction
        if transaction is not None:
            await transaction.start()
        try:
            statement = next(plan)
            while True:
                try:
                    records = await pg.fetch(spelled(conn, statement.sql), *statement.values)
                except asyncpg.IntegrityConstraintViolationError as exc:
                    raise IntegrityError(str(exc)) from exc
                statement = plan.send([dict(record) for record in records])
        except StopIteration as done:
            if transaction is not None:
                await transaction.commit()
            return done.value  # type: ignore[no-any-return]
        except BaseException:
            if transaction is not None:
                await transaction.rollback()
            raise


def first(rows: Rows) -> dict[str, Any] | None:
    return rows[0] if rows else None


def _single(statement: Statement) -> Plan[Rows]:
    return (yield statement)


async def query(sql: str, values: Sequence[Any] = ()) -> Rows:
    """One statement on its own (a read, or a write with RETURNING): its rows.

    Outside a transaction it waits out a database that went away (see retry_on_disconnect):
    the statements given here set values or read, so a repeat after an unseen success is safe.
    """
    from storage.db import retry_on_disconnect  # db imports this module when it connects

    if isinstance(connection(), TransactionalDBClient):
        return await run(_single(Statement(sql, values)), atomic=False)
    return await retry_on_disconnect(lambda: run(_single(Statement(sql, values)), atomic=False))
