"""Helpers every repository module shares: UTC times, JSON text, insert-unless-present."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

from tortoise.exceptions import IntegrityError
from tortoise.models import Model
from tortoise.transactions import in_transaction

from storage.db import StorageError
from storage.models import Encoded

M = TypeVar("M", bound=Model)


def utc(moment: datetime) -> datetime:
    """`moment` in UTC; naive datetimes are refused because their meaning is a guess."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"datetime {moment.isoformat()} has no timezone; pass an aware datetime")
    # one offset everywhere, so SQLite's text timestamps also compare in time order
    return moment.astimezone(UTC)


def utc_or_none(moment: datetime | None) -> datetime | None:
    return None if moment is None else utc(moment)


def plain_json(value: Any) -> Any:
    """json.dumps' fallback: mappings (such as frozen state) as plain dicts."""
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def as_json(value: Any) -> Encoded:
    """A value for a JSON column, encoded here so that a plain string stays a string."""
    return Encoded(json.dumps(value, default=plain_json, ensure_ascii=False))


def as_json_or_none(value: Any) -> Encoded | None:
    """As as_json, but None becomes SQL NULL (a skipped answer has no value)."""
    return None if value is None else as_json(value)


def _is_unique_violation(exc: IntegrityError) -> bool:
    # SQLite says "UNIQUE constraint failed", PostgreSQL "violates unique constraint";
    # a foreign-key failure is also an IntegrityError and must not pass for a duplicate
    return "unique" in str(exc).lower()


async def insert_once(model: type[M], **values: Any) -> M | None:
    """Insert a row, or return None when a unique constraint says it is already there.

    The insert runs in its own (nested) transaction: inside an outer transaction that is a
    savepoint, because on PostgreSQL a failed statement would otherwise abort the outer one.
    """
    try:
        async with in_transaction():
            return await model.create(**values)
    except IntegrityError as exc:
        if _is_unique_violation(exc):
            return None
        raise StorageError(f"cannot store {model.__name__}: {exc}") from exc
