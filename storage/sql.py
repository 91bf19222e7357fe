"""Hand-written SQL for the per-message path: one spelling for both engines, typed row decoding.

A conversation step runs a handful of statements; built through the ORM's query builder each
costs more CPU than the database spends on it, so the hot path writes its SQL once, with `?`
placeholders (see storage.plans, which runs it), and decodes the columns here.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

import orjson
from tortoise.backends.base.client import BaseDBAsyncClient

from storage import models as m
from storage.common import json_text

_PLACEHOLDER = re.compile(r"\?")


def connection() -> BaseDBAsyncClient:
    """The connection for the current context: the open transaction's, if there is one."""
    return m.CheckIn._meta.db


def is_postgres(conn: BaseDBAsyncClient) -> bool:
    return conn.capabilities.dialect == "postgres"


@lru_cache(maxsize=256)
def _numbered(sql: str) -> str:
    counter = iter(range(1, 10_000))
    return _PLACEHOLDER.sub(lambda _: f"${next(counter)}", sql)


def spelled(conn: BaseDBAsyncClient, sql: str) -> str:
    """`sql` with PostgreSQL's numbered placeholders where the connection needs them."""
    return _numbered(sql) if is_postgres(conn) else sql


def placeholders(count: int) -> str:
    return ", ".join("?" * count)


# ---- reading columns back ----------------------------------------------------------------------


def moment(value: Any) -> datetime | None:
    """A timestamp column: SQLite keeps ISO text, PostgreSQL returns an aware datetime."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:  # written by tortoise in UTC
        return value.replace(tzinfo=UTC)  # type: ignore[no-any-return]
    return value.astimezone(UTC)  # type: ignore[no-any-return]


def required_moment(value: Any) -> datetime:
    found = moment(value)
    if found is None:
        raise ValueError("a required timestamp column was NULL")
    return found


def day(value: Any) -> date | None:
    if value is None:
        return None
    if isinstance(value, str):
        return date.fromisoformat(value[:10])
    if isinstance(value, datetime):
        return value.date()
    return value  # type: ignore[no-any-return]


def decoded(value: Any) -> Any:
    """A JSON column: text on both engines (asyncpg returns jsonb as text too)."""
    if value is None:
        return None
    if isinstance(value, (bytes, str)):
        return orjson.loads(value)
    return value


def encoded(value: Any) -> str:
    """A value for a JSON column; a plain string stays a JSON string."""
    return json_text(value)


def encoded_or_none(value: Any) -> str | None:
    return None if value is None else encoded(value)
