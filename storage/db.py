"""Database lifecycle: URL to Tortoise config, migrations, connect and disconnect, typed errors."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import SplitResult, parse_qsl, urlencode, urlsplit, urlunsplit

from tortoise import Tortoise
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.context import TortoiseContext, get_current_context
from tortoise.exceptions import BaseORMException
from tortoise.migrations.executor import MigrationExecutor
from tortoise.migrations.schema_editor import AsyncpgSchemaEditor
from tortoise.transactions import in_transaction

from storage.errors import SchemaOutOfDate, StorageError
from storage.plans import SqliteWorker, attach_worker, detach_worker
from storage.reconnect import reconnecting

log = logging.getLogger(__name__)

APP_LABEL = "models"
# cache_size: 32 MiB of pages per connection (SQLite's default is 2 MiB). A busy instance's hot
# rows (open check-ins, recent messages and their indexes) outgrow 2 MiB within hours, and every
# page read past the cache is a system call on the hot path.
SQLITE_PRAGMAS = {
    "journal_mode": "WAL",
    "busy_timeout": "5000",
    "synchronous": "NORMAL",
    "cache_size": "-32768",
}
POSTGRES_SCHEMES = frozenset({"postgres", "postgresql", "asyncpg"})
# Any fixed 64-bit key: every instance that migrates the same database takes the same lock.
_MIGRATION_LOCK_KEY = 0x636B5F6D69677261
T = TypeVar("T")


def tortoise_config(url: str) -> dict[str, Any]:
    """Tortoise config for `url`: SQLite gets WAL pragmas and its folder; PostgreSQL as given."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "sqlite":
        url = _sqlite_url(parts)
    elif scheme not in POSTGRES_SCHEMES:
        raise StorageError(
            f"unsupported database URL {mask_url(url)}: use sqlite:///path/to/file.db "
            "or postgresql://user:password@host:5432/dbname"
        )
    return {
        "connections": {_connection_name(url): url},
        "apps": {
            APP_LABEL: {
                "models": ["storage.models"],
                "default_connection": _connection_name(url),
                "migrations": "storage.migrations",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


def _connection_name(url: str) -> str:
    # Tortoise caches compiled INSERT/UPDATE SQL process-wide by connection name, so one
    # name per dialect keeps SQLite's "?" statements away from PostgreSQL (tests use both).
    return "sqlite" if urlsplit(url).scheme.lower() == "sqlite" else "postgres"


def _sqlite_url(parts: SplitResult) -> str:
    path: str = parts.netloc + parts.path  # how tortoise reads it: sqlite://rel or sqlite:///abs
    if not path:
        raise StorageError("a sqlite URL needs a file path, e.g. sqlite:///var/checkins.db")
    if path != ":memory:":
        try:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(f"cannot create the folder for the database {path}: {exc}") from exc
    # every query parameter becomes a PRAGMA; the user's own values win over ours
    params = dict(parse_qsl(parts.query, keep_blank_values=True))
    for pragma, value in SQLITE_PRAGMAS.items():
        params.setdefault(pragma, value)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(params), ""))


def mask_url(url: str) -> str:
    """The URL with any password replaced by ***, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    userinfo, _, host = parts.netloc.rpartition("@")
    user = userinfo.split(":", 1)[0]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


def _hint(url: str) -> str:
    if urlsplit(url).scheme.lower() == "sqlite":
        return "check that the file's folder exists and is writable"
    return (
        "check that PostgreSQL is running and reachable, that the database exists and that "
        "the user and password are right"
    )


def _connection_error(url: str, exc: BaseException) -> StorageError:
    return StorageError(
        f"cannot open the database at {mask_url(url)}: {exc}. Hint: {_hint(url)}; the URL "
        "is the database.url setting (environment: CHECKINS_DATABASE__URL)."
    )


def _apps(config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    apps: dict[str, dict[str, Any]] = config["apps"]
    return apps


async def _user_tables(conn: BaseDBAsyncClient) -> list[str]:
    if conn.capabilities.dialect == "postgres":
        sql = (
            "SELECT tablename AS name FROM pg_catalog.pg_tables WHERE schemaname = current_schema()"
        )
    else:
        sql = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    rows = await conn.execute_query_dict(sql)
    return [str(row["name"]) for row in rows]


async def _probe(url: str, conn: BaseDBAsyncClient) -> list[str]:
    """The first query opens the connection, so this is where an unreachable server shows."""
    try:
        return await _user_tables(conn)
    except Exception as exc:  # driver errors vary (OSError, asyncpg, sqlite3); all mean "can't"
        raise _connection_error(url, exc) from exc


async def _pending(conn: BaseDBAsyncClient, apps: dict[str, dict[str, Any]]) -> list[str]:
    steps = await MigrationExecutor(conn, apps).plan()
    return [step.migration.name for step in steps if not step.backward]


async def _apply_migrations(conn: BaseDBAsyncClient, apps: dict[str, dict[str, Any]]) -> list[str]:
    applied: list[str] = []

    def progress(event: str, app_label: str, name: str) -> None:
        if event == "apply_done":
            applied.append(name)
            log.info("applied migration %s.%s", app_label, name)

    if conn.capabilities.dialect == "postgres":
        # Several instances may start on one empty database at once. One transaction holds
        # an advisory lock for the whole run (the migrations' own transactions become
        # savepoints), so the second instance waits, then finds nothing left to apply.
        async with in_transaction(conn.connection_name) as tx:
            await tx.execute_query("SELECT pg_advisory_xact_lock($1)", [_MIGRATION_LOCK_KEY])
            executor = MigrationExecutor(tx, apps)
            # a failed query aborts a PostgreSQL transaction, and the executor's first step
            # reads the (maybe missing) history table; create it first, under the lock
            await executor.recorder.ensure_schema(AsyncpgSchemaEditor(tx, atomic=False))
            await executor.migrate(progress=progress)
    else:
        # SQLite runs as one process (DESIGN §6); executescript commits, so no outer transaction
        await MigrationExecutor(conn, apps).migrate(progress=progress)
    return applied


async def upgrade(url: str) -> list[str]:
    """Apply pending migrations to the database at `url`; the names applied, [] if up to date."""
    config = tortoise_config(url)
    async with TortoiseContext() as ctx:  # its own context: leaves any open connection alone
        try:
            await ctx.init(config=config)
        except BaseORMException as exc:
            raise _connection_error(url, exc) from exc
        conn = ctx.db(_connection_name(url))
        await _probe(url, conn)
        return await _apply_migrations(conn, _apps(config))


async def connect(url: str) -> None:
    """Open the database for the current task and every task it creates from now on.

    Tortoise keeps its state in a ContextVar, so call this first (in `main()` or a fixture)
    and start schedulers, servers and other tasks afterwards. An empty database is migrated
    here; a database with pending migrations raises SchemaOutOfDate.
    """
    config = tortoise_config(url)
    try:
        ctx = await Tortoise.init(config=reconnecting(config))
    except BaseORMException as exc:
        await disconnect()
        raise _connection_error(url, exc) from exc
    try:
        conn = ctx.db(_connection_name(url))
        if not await _probe(url, conn):
            applied = await _apply_migrations(conn, _apps(config))
            log.info("empty database at %s: applied %s", mask_url(url), ", ".join(applied))
        elif pending := await _pending(conn, _apps(config)):
            raise SchemaOutOfDate(
                f"the database at {mask_url(url)} needs {len(pending)} migration(s) "
                f"({', '.join(pending)}); run `checkins db upgrade` and start again"
            )
        await _attach_sqlite_worker(url)
    except BaseException:
        await disconnect()
        raise


async def _attach_sqlite_worker(url: str) -> None:
    """The hot path's own SQLite connection (see storage.plans); none for :memory:."""
    parts = urlsplit(url)
    if parts.scheme.lower() != "sqlite":
        return
    path = parts.netloc + parts.path  # as tortoise reads it (see _sqlite_url)
    if path in ("", ":memory:"):
        return
    worker = SqliteWorker(path, {**SQLITE_PRAGMAS, **dict(parse_qsl(parts.query))})
    await worker.open()
    attach_worker(worker)


def current_database() -> TortoiseContext | None:
    """The connection set `connect` opened for this task, to close it from another one."""
    return get_current_context()


async def disconnect(opened: object | None = None) -> None:
    """Close the connections opened by `connect` (safe to call when not connected).

    `opened` (from current_database) closes that set even from a task that cannot see it, such
    as a test fixture's teardown for a service started inside the test.
    """
    ctx = opened if isinstance(opened, TortoiseContext) else get_current_context()
    if ctx is None:
        return
    worker = detach_worker(ctx)
    if worker is not None:
        await worker.close()
    try:
        await ctx.close_connections()
    finally:
        # connect() may have run in another asyncio Context (e.g. a fixture's); then the
        # ContextVar cannot be reset from here, and the closed context is simply left behind
        with contextlib.suppress(ValueError):
            ctx.__exit__(None, None, None)


@asynccontextmanager
async def database(url: str) -> AsyncIterator[None]:
    """`async with database(url):` connect, and always disconnect."""
    await connect(url)
    try:
        yield
    finally:
        await disconnect()


async def ping() -> bool:
    """True when the connected database answers a trivial query."""
    ctx = get_current_context()
    if ctx is None or not ctx.inited:
        return False
    try:
        await ctx.db().execute_query("SELECT 1")
    except Exception:  # any failure means "not healthy"; the caller reports it
        return False
    return True
