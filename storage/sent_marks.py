"""Marking messages sent, many in one transaction: marks made in the same moment commit together.

Every message sent is marked sent right after, and a mark on its own is a transaction of
its own, whose cost under load is mostly the commit. On SQLite, marks asked for while the
event loop is busy wait for its next turn and go in one transaction (group commit), each
caller still returning only once its mark is stored. On PostgreSQL, and inside a caller's
transaction, a mark is one statement as it comes.
"""

from __future__ import annotations

import asyncio
import weakref
from dataclasses import dataclass
from datetime import datetime

from tortoise.backends.base.client import TransactionalDBClient
from tortoise.context import TortoiseContext, get_current_context

from storage import plans
from storage.common import SENT, utc
from storage.errors import NotFound
from storage.plans import Plan, Statement
from storage.reconnect import retry_on_disconnect
from storage.sql import connection, is_postgres

_MARK = (
    "UPDATE outbound_message SET status = ?, sent_at = ?, external_id = ?, "
    "next_attempt_at = NULL, attempts = attempts + 1 WHERE id = ? RETURNING id"
)


@dataclass(frozen=True, slots=True)
class _Mark:
    message_id: int
    sent_at: datetime
    external_id: str | None
    stored: asyncio.Future[None]


# marks waiting for the next turn of the loop, per database (tortoise context)
_waiting: weakref.WeakKeyDictionary[TortoiseContext, list[_Mark]] = weakref.WeakKeyDictionary()


async def mark_sent(message_id: int, *, now: datetime, external_id: str | None = None) -> None:
    """Record a message as sent; NotFound if there is no such message."""
    context = get_current_context()
    conn = connection()
    if context is None or is_postgres(conn) or isinstance(conn, TransactionalDBClient):
        # PostgreSQL commits a lone statement in its one round trip, where a transaction
        # would take three; its commits are the server's to group
        changed = await plans.query(_MARK, [SENT, utc(now), external_id, message_id])
        if not changed:
            raise NotFound(f"no outbound message with id {message_id}")
        return
    loop = asyncio.get_running_loop()
    mark = _Mark(message_id, utc(now), external_id, loop.create_future())
    batch = _waiting.get(context)
    if batch is None:
        batch = _waiting[context] = []
        loop.call_soon(_flush, context, batch)  # after the callbacks ready now: theirs join in
    batch.append(mark)
    await mark.stored


_writing: set[asyncio.Task[None]] = set()  # kept referenced until done


def _flush(context: TortoiseContext, batch: list[_Mark]) -> None:
    del _waiting[context]  # marks asked for from now on start the next batch
    task = asyncio.ensure_future(_write(batch))
    _writing.add(task)
    task.add_done_callback(_writing.discard)


async def _write(batch: list[_Mark]) -> None:
    rows = [(m.message_id, m.sent_at, m.external_id) for m in batch]
    try:
        found = await retry_on_disconnect(lambda: plans.run(_marks(rows), atomic=True))
    except Exception as exc:  # every mark of the batch failed with it; each caller hears why
        for mark in batch:
            if not mark.stored.done():
                mark.stored.set_exception(exc)
        return
    for mark in batch:
        if mark.stored.done():  # its caller was cancelled; the mark is stored all the same
            continue
        if mark.message_id in found:
            mark.stored.set_result(None)
        else:
            mark.stored.set_exception(NotFound(f"no outbound message with id {mark.message_id}"))


def _marks(rows: list[tuple[int, datetime, str | None]]) -> Plan[set[int]]:
    found: set[int] = set()
    for message_id, sent_at, external_id in rows:
        changed = yield Statement(_MARK, [SENT, sent_at, external_id, message_id])
        found.update(int(row["id"]) for row in changed)
    return found
