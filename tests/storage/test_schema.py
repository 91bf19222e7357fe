"""Migrations, connection handling and engine settings, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from tortoise.connection import get_connection
from tortoise.context import get_current_context

import storage
from storage import models as m
from storage.db import mask_url, tortoise_config
from storage.errors import SchemaOutOfDate, StorageError

TABLES = {
    "funder",
    "programme",
    "grantee",
    "round",
    "checkin",
    "answer",
    "answer_change",
    "inbound_message",
    "outbound_message",
    "email_thread",
    "email_thread_message",
    "checkin_schedule",
    "grantee_preference",
    "round_event",
    "web_link",
    "participant_response",
    "participant_answer",
    "participant_form",
    "send_pause",
    "tortoise_migrations",
}

# Every idempotency guarantee in the design rests on one of these.
# every migration in storage/migrations, in the order they apply
MIGRATIONS = [
    "0001_initial",
    "0002_email_threads",
    "0003_scheduling",
    "0004_send_pauses",
    "0005_web_links",
    "0006_participant_responses",
    "0007_participant_forms",
    "0008_framework_sha256",
]
UNIQUE = {
    ("funder", ("slug",)),
    ("programme", ("slug",)),
    ("grantee", ("programme_id", "email")),
    ("round", ("programme_id", "period")),
    ("checkin", ("round_id", "grantee_id")),
    ("answer", ("checkin_id", "question_id")),
    ("inbound_message", ("channel", "external_id")),
    ("outbound_message", ("idempotency_key",)),
    ("email_thread", ("token",)),  # a reply token names one check-in
    ("email_thread", ("checkin_id",)),  # one thread per check-in
    ("email_thread_message", ("message_id",)),
    ("email_thread_message", ("outbound_id",)),  # one Message-ID per outbound email
    ("checkin_schedule", ("checkin_id",)),  # one schedule per check-in
    ("grantee_preference", ("grantee_id",)),
    ("round_event", ("round_id", "kind")),  # contacts told once per round
    ("web_link", ("token_hash",)),  # a token's hash names one link
    ("participant_answer", ("response_id", "item_id")),  # one answer per item per form
    ("participant_form", ("grantee_id", "period", "kind")),  # one online form per grantee's form
    ("participant_form", ("token",)),  # a printed address names one form
    ("send_pause", ("channel", "scope")),  # one stored pause per method or conversation
}


async def _rows(sql: str) -> list[dict[str, Any]]:
    conn = m.Funder._meta.db
    return await conn.execute_query_dict(sql)


def _dialect() -> str:
    return m.Funder._meta.db.capabilities.dialect


async def _tables() -> set[str]:
    if _dialect() == "postgres":
        rows = await _rows("SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public'")
    else:
        rows = await _rows("SELECT name FROM sqlite_master WHERE type = 'table'")
    return {row["name"] for row in rows} - {"sqlite_sequence"}


async def _unique_keys() -> set[tuple[str, tuple[str, ...]]]:
    keys: set[tuple[str, tuple[str, ...]]] = set()
    if _dialect() == "postgres":
        rows = await _rows(
            "SELECT t.relname AS tbl, array_agg(a.attname ORDER BY k.n) AS cols "
            "FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid "
            "JOIN pg_namespace s ON s.oid = t.relnamespace "
            "CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, n) "
            "JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum "
            "WHERE i.indisunique AND NOT i.indisprimary AND s.nspname = 'public' "
            "GROUP BY t.relname, i.indexrelid"
        )
        return {(row["tbl"], tuple(row["cols"])) for row in rows}
    for table in TABLES:
        for index in await _rows(f"PRAGMA index_list('{table}')"):
            if index["unique"] and index["origin"] != "pk":
                cols = await _rows(f"PRAGMA index_info('{index['name']}')")
                keys.add((table, tuple(c["name"] for c in sorted(cols, key=lambda c: c["seqno"]))))
    return keys


async def test_connect_migrates_an_empty_database(empty_db_url: str) -> None:
    async with storage.database(empty_db_url):
        assert await _tables() == TABLES
        applied = await _rows('SELECT app, name FROM "tortoise_migrations"')
        assert [(r["app"], r["name"]) for r in applied] == [("models", n) for n in MIGRATIONS]
        assert await storage.ping()


async def test_the_tests_migrated_databases_are_as_connect_makes_them(db: str) -> None:
    assert await _tables() == TABLES
    applied = await _rows('SELECT app, name FROM "tortoise_migrations"')
    assert [(r["app"], r["name"]) for r in applied] == [("models", n) for n in MIGRATIONS]


async def test_every_unique_constraint_is_in_the_schema(db: str) -> None:
    keys = await _unique_keys()
    assert keys >= UNIQUE, UNIQUE - keys
    assert ("tortoise_migrations", ("app", "name")) in keys


async def test_upgrade_applies_once_then_is_a_no_op(empty_db_url: str) -> None:
    assert await storage.upgrade(empty_db_url) == MIGRATIONS
    assert await storage.upgrade(empty_db_url) == []
    async with storage.database(empty_db_url):
        assert await _tables() == TABLES


@pytest.mark.postgres
async def test_instances_starting_together_on_empty_postgres_migrate_once(
    postgres_url: str,
) -> None:
    # each upgrade has its own connection pool, like two service instances would
    results = await asyncio.gather(*(storage.upgrade(postgres_url) for _ in range(3)))
    assert sorted(results) == [[], [], MIGRATIONS]
    async with storage.database(postgres_url):
        assert await _tables() == TABLES


async def test_pending_migrations_on_a_used_database_are_refused(db_url: str) -> None:
    async with storage.database(db_url):
        await _rows('DELETE FROM "tortoise_migrations"')  # as if 0001 were new code
    with pytest.raises(SchemaOutOfDate, match="checkins db upgrade"):
        await storage.connect(db_url)
    assert get_current_context() is None  # a refused connect leaves nothing open


async def test_disconnect_closes_and_ping_then_fails(db_url: str) -> None:
    await storage.connect(db_url)
    assert await storage.ping()
    await storage.disconnect()
    assert not await storage.ping()
    await storage.disconnect()  # a second call is harmless


async def test_sqlite_file_runs_in_wal_mode(sqlite_url: str) -> None:
    async with storage.database(sqlite_url):
        conn = get_connection("sqlite")
        pragmas = {
            name: (await conn.execute_query_dict(f"PRAGMA {name}"))[0]
            for name in ("journal_mode", "busy_timeout", "synchronous", "foreign_keys")
        }
    assert [next(iter(v.values())) for v in pragmas.values()] == ["wal", 5000, 1, 1]


async def test_unreachable_postgres_is_a_storage_error_without_the_password() -> None:
    url = "postgresql://checkins:s3cret@127.0.0.1:1/checkins"
    with pytest.raises(StorageError) as raised:
        await storage.connect(url)
    message = str(raised.value)
    assert "s3cret" not in message
    assert "postgresql://checkins:***@127.0.0.1:1/checkins" in message
    assert "PostgreSQL is running" in message
    assert get_current_context() is None


def test_sqlite_config_adds_pragmas_keeps_own_and_creates_folder(tmp_path: Path) -> None:
    url = f"sqlite://{tmp_path}/deep/er/db.sqlite3?busy_timeout=9000&cache_size=-2000"
    config = tortoise_config(url)
    (conn_url,) = config["connections"].values()
    assert conn_url == (
        f"sqlite://{tmp_path}/deep/er/db.sqlite3?busy_timeout=9000&cache_size=-2000"
        "&journal_mode=WAL&synchronous=NORMAL"
    )
    assert (tmp_path / "deep" / "er").is_dir()
    assert config["apps"]["models"]["migrations"] == "storage.migrations"


def test_sqlite_config_gives_a_page_cache_for_the_hot_rows(tmp_path: Path) -> None:
    (conn_url,) = tortoise_config(f"sqlite://{tmp_path}/db.sqlite3")["connections"].values()
    assert conn_url == (
        f"sqlite://{tmp_path}/db.sqlite3"
        "?journal_mode=WAL&busy_timeout=5000&synchronous=NORMAL&cache_size=-32768"
    )


@pytest.mark.parametrize(
    "url",
    [
        "postgres://u:p@db:5432/checkins",
        "postgresql://u@db/checkins?min_size=2",
        "asyncpg://db/checkins",
    ],
)
def test_postgres_urls_are_used_as_given(url: str) -> None:
    assert list(tortoise_config(url)["connections"].values()) == [url]


def test_other_engines_are_refused_with_examples() -> None:
    with pytest.raises(StorageError, match=r"mysql://u:\*\*\*@h/db.*sqlite:///"):
        tortoise_config("mysql://u:pw@h/db")


def test_mask_url_hides_only_the_password() -> None:
    assert mask_url("postgres://me:pa:ss@h:5/d") == "postgres://me:***@h:5/d"
    assert mask_url("postgres://me@h/d") == "postgres://me@h/d"
