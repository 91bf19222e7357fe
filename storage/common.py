"""Helpers every repository module shares: UTC times, JSON text, insert-unless-present."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

import orjson
from tortoise.exceptions import IntegrityError
from tortoise.models import Model
from tortoise.transactions import in_transaction

from storage.errors import StorageError
from storage.models import Encoded

M = TypeVar("M", bound=Model)

# an outbound message's status
PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"


def utc(moment: datetime) -> datetime:
    """`moment` in UTC; naive datetimes are refused because their meaning is a guess."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"datetime {moment.isoformat()} has no timezone; pass an aware datetime")
    # one offset everywhere, so SQLite's text timestamps also compare in time order
    return moment.astimezone(UTC)


def utc_or_none(moment: datetime | None) -> datetime | None:
    return None if moment is None else utc(moment)


def plain_json(value: Any) -> Any:
    """The JSON encoder's fallback: mappings (such as frozen state) as plain dicts."""
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def json_text(value: Any) -> str:
    """JSON for a column or a request body. orjson: every step and message is encoded on the
    per-message path, several times faster than the standard library; keys that are not
    strings become strings, as json.dumps makes them."""
    return orjson.dumps(value, default=plain_json, option=orjson.OPT_NON_STR_KEYS).decode()


def as_json(value: Any) -> Encoded:
    """A value for a JSON column, encoded here so that a plain string stays a string."""
    return Encoded(json_text(value))


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
