"""Statement plans: a storage operation written once as a generator of SQL, run by each engine.

A plan yields `Statement`s and receives each one's rows; what it returns is the operation's
result, and an exception it raises rolls everything back. On SQLite a plan runs on the event
loop's own thread, on a connection of its own: its statements take microseconds (WAL, no sync
on commit), far less than handing the plan to a database thread and back, which costs more than
the statements themselves. Waiting for another connection's write lock is the one slow part,
so that is never done blocking the loop: the plan pauses and tries again. On PostgreSQL each
statement is one round trip on a single pooled connection, inside one transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import sqlite3
import weakref
from collections.abc import Generator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

import aiosqlite
import asyncpg  # type: ignore[import-untyped]
from tortoise.backends.base.client import BaseDBAsyncClient, TransactionalDBClient
from tortoise.context import TortoiseContext, get_current_context
from tortoise.exceptions import IntegrityError, OperationalError

from storage.reconnect import retry_on_disconnect
from storage.sql import connection, is_postgres, spelled

log = logging.getLogger(__name__)
T = TypeVar("T")
Rows = list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class Statement:
    sql: str  # with `?` placeholders, numbered for PostgreSQL by the runner
    values: Sequence[Any] = ()


Plan = Generator[Statement, Rows, T]


# how long a plan waits for another connection's write lock before it fails as locked
_LOCK_WAIT_SECONDS = 5.0
_LOCK_PAUSES = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05)  # then the last, repeatedly
# Checkpoints (copying the WAL back into the database, with a sync) are left to a thread, so
# that they never hold up the loop: one is started after this many commits here.
_COMMITS_PER_CHECKPOINT = 500


class SqliteWorker:
    """The hot path's own SQLite connection, used on the event loop's thread.

    It never waits for a lock (busy_timeout 0): a statement that finds the database locked
    changed nothing, so the plan pauses without blocking the loop and runs that statement
    again. Its checkpoints run in a thread of their own, on a second connection.
    """

    def __init__(self, path: str, pragmas: dict[str, str]) -> None:
        self.path = path
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="checkins-sqlite")
        self._db: sqlite3.Connection | None = None
        self._pragmas = pragmas
        self._commits = 0
        self._checkpoint: asyncio.Future[None] | None = None

    async def open(self) -> None:
        # check_same_thread off: the connection is used by one loop, from whichever thread
        # runs it; statements never overlap, as each runs to its end without yielding
        db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        for name, value in self._pragmas.items():
            db.execute(f"PRAGMA {name}={value}")
        db.execute("PRAGMA busy_timeout=0")  # waits happen in the plan runner, not in SQLite
        db.execute("PRAGMA wal_autocheckpoint=0")
        db.execute("PRAGMA foreign_keys=ON")  # as tortoise's own connection has it
        self._db = db

    async def run(self, plan: Plan[T], atomic: bool) -> T:
        if self._db is None:
            raise OperationalError("the SQLite plan connection is closed")
        try:
            result = await _drive_inline(self._db, plan, atomic)
        except sqlite3.IntegrityError as exc:
            raise IntegrityError(str(exc)) from exc
        except sqlite3.Error as exc:
            raise OperationalError(str(exc)) from exc
        if atomic:
            self._count_commit()
        return result

    def _count_commit(self) -> None:
        self._commits += 1
        if self._commits < _COMMITS_PER_CHECKPOINT or self._checkpoint is not None:
            return
        self._commits = 0
        loop = asyncio.get_running_loop()
        self._checkpoint = loop.run_in_executor(self.executor, _checkpoint, self.path)
        self._checkpoint.add_done_callback(self._checkpointed)

    def _checkpointed(self, done: asyncio.Future[None]) -> None:
        self._checkpoint = None
        if not done.cancelled() and done.exception() is not None:
            # the WAL only grows until the next one; nothing is lost
            log.warning("SQLite checkpoint failed: %s", done.exception())

    async def close(self) -> None:
        if self._checkpoint is not None:
            with contextlib.suppress(sqlite3.Error):
                await self._checkpoint
        if self._db is not None:
            self._db.close()
            self._db = None
        self.executor.shutdown(wait=True)


def _checkpoint(path: str) -> None:
    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.execute("PRAGMA busy_timeout=1000")
        db.execute("PRAGMA wal_checkpoint(PASSIVE)")
    finally:
        db.close()


def _locked(exc: sqlite3.OperationalError) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    return "locked" in str(exc)


def _rows(db: sqlite3.Connection, sql: str, values: Sequence[Any]) -> Rows:
    cursor = db.execute(sql, values if isinstance(values, (list, tuple)) else list(values))
    description = cursor.description
    if description is None:  # a write without RETURNING: done, nothing to read
        return []
    names = [column[0] for column in description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


async def _rows_waiting(db: sqlite3.Connection, sql: str, values: Sequence[Any]) -> Rows:
    """The statement's rows, pausing while another connection holds the lock (up to a limit)."""
    waited = 0.0
    for attempt in itertools.count():
        try:
            return _rows(db, sql, values)
        except sqlite3.OperationalError as exc:
            # inside a transaction it cannot pause: another plan would run inside it meanwhile
            if not _locked(exc) or db.in_transaction or waited >= _LOCK_WAIT_SECONDS:
                raise
        pause = _LOCK_PAUSES[min(attempt, len(_LOCK_PAUSES) - 1)]
        await asyncio.sleep(pause)
        waited += pause
    raise AssertionError("unreachable")  # itertools.count never ends


async def _drive_inline(db: sqlite3.Connection, plan: Plan[T], atomic: bool) -> T:
    if atomic:
        # IMMEDIATE takes the write lock now: once it is held no statement of the plan can
        # find the database locked, so only this one ever pauses inside the plan
        await _rows_waiting(db, "BEGIN IMMEDIATE", ())
    try:
        statement = next(plan)
        while True:
            try:
                rows = _rows(db, statement.sql, statement.values)
            except sqlite3.OperationalError as exc:
                if not _locked(exc) or db.in_transaction:
                    raise
                # nothing was changed: wait for the other writer without holding up the loop
                rows = await _rows_waiting(db, statement.sql, statement.values)
            statement = plan.send(rows)
    except StopIteration as done:
        if atomic:
            db.execute("COMMIT")
        return done.value  # type: ignore[no-any-return]
    except BaseException:
        if atomic and db.in_transaction:
            db.execute("ROLLBACK")
        raise


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
    return await _run_on(connection(), plan, atomic)


async def _run_on(conn: BaseDBAsyncClient, plan: Plan[T], atomic: bool) -> T:
    if is_postgres(conn):
        return await _run_postgres(conn, plan, atomic)
    context = get_current_context()
    worker = _workers.get(context) if context is not None else None
    # inside a transaction tortoise opened, the plan must be part of it: its connection, then
    if worker is not None and not isinstance(conn, TransactionalDBClient):
        return await worker.run(plan, atomic)
    return await _run_sqlite(conn, plan, atomic)


async def _run_sqlite(conn: BaseDBAsyncClient, plan: Plan[T], atomic: bool) -> T:
    async with conn.acquire_connection() as db:  # holds tortoise's lock on the connection
        try:
            return await _drive_aiosqlite(db, plan, atomic)
        except sqlite3.IntegrityError as exc:
            raise IntegrityError(str(exc)) from exc
        except sqlite3.Error as exc:
            raise OperationalError(str(exc)) from exc


async def _drive_aiosqlite(db: aiosqlite.Connection, plan: Plan[T], atomic: bool) -> T:
    nested = db.in_transaction  # inside a transaction tortoise opened: use a savepoint
    if atomic:
        # IMMEDIATE takes the write lock now, so a second process cannot make this fail late
        await db.execute("SAVEPOINT plan" if nested else "BEGIN IMMEDIATE")
    try:
        statement = next(plan)
        while True:
            async with db.execute(statement.sql, list(statement.values)) as cursor:
                names = [column[0] for column in cursor.description or ()]
                found = [dict(zip(names, row, strict=True)) for row in await cursor.fetchall()]
            statement = plan.send(found)
    except StopIteration as done:
        if atomic:
            await db.execute("RELEASE plan" if nested else "COMMIT")
        return done.value  # type: ignore[no-any-return]
    except BaseException:
        if atomic:
            if nested:
                await db.execute("ROLLBACK TO plan")
                await db.execute("RELEASE plan")
            elif db.in_transaction:
                await db.execute("ROLLBACK")
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

    Outside a transaction it waits out a PostgreSQL that went away (see retry_on_disconnect):
    the statements given here set values or read, so a repeat after an unseen success is safe.
    """
    conn = connection()
    if isinstance(conn, TransactionalDBClient) or not is_postgres(conn):
        # nothing to wait out: a transaction is never repeated here, a SQLite file never leaves
        return await _run_on(conn, _single(Statement(sql, values)), atomic=False)
    return await retry_on_disconnect(lambda: run(_single(Statement(sql, values)), atomic=False))
