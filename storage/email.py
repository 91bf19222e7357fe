"""Email threads: each check-in's reply token, the Message-IDs that thread it, failing addresses."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from storage import models as m
from storage import plans, sql
from storage.checkins import context_of, context_statement, contexts_statement
from storage.common import utc
from storage.errors import NotFound
from storage.plans import Plan, Statement
from storage.records import CheckInContext

OUT, IN = "out", "in"


@dataclass(frozen=True)
class EmailThread:
    id: int
    checkin_id: int
    token: str


@dataclass(frozen=True)
class OutgoingEmail:
    """What an outbound email needs for threading: its reply token and Message-IDs."""

    checkin_id: int
    token: str
    message_id: str  # the same on every attempt to send one outbound row
    references: tuple[str, ...]  # earlier Message-IDs of the thread, oldest first


async def email_thread(
    checkin_id: int, *, now: datetime, new_token: Callable[[], str]
) -> EmailThread:
    """The check-in's thread, created with a fresh token the first time it is asked for."""
    return await plans.run(_email_thread(checkin_id, utc(now), new_token))


def _email_thread(
    checkin_id: int, now: datetime, new_token: Callable[[], str]
) -> Plan[EmailThread]:
    found = plans.first((yield Statement(_THREAD_BY_CHECKIN, [checkin_id])))
    if found is None:
        # two first sends at once: the unique check-in column lets one insert win
        yield Statement(_NEW_THREAD, [checkin_id, new_token(), now])
        found = plans.first((yield Statement(_THREAD_BY_CHECKIN, [checkin_id])))
        if found is None:
            raise NotFound(f"no check-in with id {checkin_id}")
    return _thread_of(found)


_THREAD_BY_CHECKIN = "SELECT id, checkin_id, token FROM email_thread WHERE checkin_id = ?"
_NEW_THREAD = (
    "INSERT INTO email_thread (checkin_id, token, created_at) VALUES (?, ?, ?) "
    "ON CONFLICT DO NOTHING"
)
_NEW_MESSAGE = (
    "INSERT INTO email_thread_message (thread_id, message_id, outbound_id, direction, "
    "created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"
)


def _thread_of(row: dict[str, Any]) -> EmailThread:
    return EmailThread(
        id=int(row["id"]), checkin_id=int(row["checkin_id"]), token=str(row["token"])
    )


async def outgoing_email(
    outbound_id: int,
    *,
    now: datetime,
    new_token: Callable[[], str],
    new_message_id: Callable[[], str],
) -> OutgoingEmail | None:
    """Threading for one outbound row; its Message-ID is stored before the first attempt.

    None when the row belongs to no check-in (a funder digest, a notice to a contact).
    """
    return await plans.run(_outgoing(outbound_id, utc(now), new_token, new_message_id))


def _outgoing(
    outbound_id: int,
    now: datetime,
    new_token: Callable[[], str],
    new_message_id: Callable[[], str],
) -> Plan[OutgoingEmail | None]:
    found = plans.first(
        (
            yield Statement(
                "SELECT o.checkin_id, t.id, t.token FROM outbound_message o "
                "LEFT JOIN email_thread t ON t.checkin_id = o.checkin_id WHERE o.id = ?",
                [outbound_id],
            )
        )
    )
    if found is None:
        raise NotFound(f"no outbound message with id {outbound_id}")
    if found["checkin_id"] is None:
        return None
    checkin_id = int(found["checkin_id"])
    if found["id"] is None:
        # two first sends at once: the unique check-in column lets one insert win
        yield Statement(_NEW_THREAD, [checkin_id, new_token(), now])
        found = plans.first((yield Statement(_THREAD_BY_CHECKIN, [checkin_id])))
        assert found is not None  # inserted just above, in this transaction
    thread = _thread_of({**found, "checkin_id": checkin_id})
    # a retried send finds its Message-ID already there and keeps it (outbound_id is unique)
    yield Statement(_NEW_MESSAGE, [thread.id, new_message_id(), outbound_id, OUT, now])
    earlier: list[str] = []
    for row in (
        yield Statement(
            "SELECT message_id, outbound_id FROM email_thread_message WHERE thread_id = ? "
            "ORDER BY id",
            [thread.id],
        )
    ):
        if row["outbound_id"] == outbound_id:
            return OutgoingEmail(
                checkin_id=thread.checkin_id,
                token=thread.token,
                message_id=str(row["message_id"]),
                references=tuple(earlier),
            )
        earlier.append(str(row["message_id"]))
    raise NotFound(f"no Message-ID was stored for outbound message {outbound_id}")


async def find_email_thread(
    *, token: str | None = None, message_ids: Sequence[str] = ()
) -> EmailThread | None:
    """The thread named by a reply token, else by any of our Message-IDs a reply refers to."""
    return await plans.run(_find_thread(token, message_ids), atomic=False)


async def reply_thread(
    *, token: str | None, message_ids: Sequence[str]
) -> tuple[EmailThread, CheckInContext] | None:
    """The thread a reply belongs to, with its check-in's context, read in one go."""
    return await plans.run(_reply_thread(token, message_ids), atomic=False)


def _reply_thread(
    token: str | None, message_ids: Sequence[str]
) -> Plan[tuple[EmailThread, CheckInContext] | None]:
    if token:  # nearly every reply: thread and context in one statement
        row = plans.first((yield contexts_statement(_BY_TOKEN, [token.lower()], also=_THREAD)))
        if row is not None:
            return _thread_of(row), context_of(row)
    referred = yield from _find_thread(None, message_ids)
    if referred is None:
        return None
    row = plans.first((yield context_statement(referred.checkin_id)))
    if row is None:
        raise NotFound(f"no check-in with id {referred.checkin_id}")
    return referred, context_of(row)


_THREAD = "t.id AS id, t.checkin_id AS checkin_id, t.token AS token"  # as _thread_of reads them
_BY_TOKEN = "JOIN email_thread t ON t.checkin_id = c.id WHERE t.token = ?"


def _find_thread(token: str | None, message_ids: Sequence[str]) -> Plan[EmailThread | None]:
    if token:
        found = plans.first(
            (
                yield Statement(
                    "SELECT id, checkin_id, token FROM email_thread WHERE token = ?",
                    [token.lower()],
                )
            )
        )
        if found is not None:
            return _thread_of(found)
    if message_ids:
        ids = list(message_ids)
        found = plans.first(
            (
                yield Statement(
                    "SELECT t.id, t.checkin_id, t.token FROM email_thread_message m "
                    "JOIN email_thread t ON t.id = m.thread_id "
                    f"WHERE m.message_id IN ({sql.placeholders(len(ids))}) AND m.direction = ? "
                    "ORDER BY m.id DESC LIMIT 1",
                    [*ids, OUT],
                )
            )
        )
        if found is not None:
            return _thread_of(found)
    return None


def reply_statement(thread_id: int, message_id: str, *, now: datetime) -> Statement:
    """Keep a grantee's Message-ID so our next email refers to it too (once, however delivered).

    A statement, so that it is stored with the step the reply makes (save_step's `also`).
    """
    return Statement(_NEW_MESSAGE, [thread_id, message_id, None, IN, utc(now)])


async def remember_email_reply(thread_id: int, message_id: str, *, now: datetime) -> None:
    await plans.run(_one(reply_statement(thread_id, message_id, now=now)), atomic=False)


def _one(statement: Statement) -> Plan[None]:
    yield statement


async def set_email_failing(grantee_id: int, failing: bool) -> None:
    """Mark (or clear) a grantee's address as failing, as shown in `round status`."""
    updated = await m.Grantee.filter(id=grantee_id).update(email_failing=failing)
    if not updated:
        raise NotFound(f"no grantee with id {grantee_id}")


async def sent_email_texts(
    checkin_id: int, *, referenced: Sequence[str] = (), latest: int = 3
) -> list[str]:
    """The plain text and HTML of the emails sent for a check-in that a reply refers to (by
    Message-ID), and of the latest few; a reply is read against them, so that nothing it
    quotes of ours is taken as an answer."""
    wanted: set[int] = set()
    if referenced:
        rows = await m.EmailThreadMessage.filter(
            message_id__in=list(referenced)[:50], direction=OUT, outbound_id__isnull=False
        ).values_list("outbound_id", flat=True)
        wanted.update(int(str(row)) for row in rows if row is not None)
    newest = (
        await m.OutboundMessage.filter(checkin_id=checkin_id, channel="email")
        .order_by("-id")
        .limit(latest)
        .values_list("id", flat=True)
    )
    wanted.update(int(str(row)) for row in newest)
    payloads = (
        await m.OutboundMessage.filter(id__in=sorted(wanted), checkin_id=checkin_id)
        .order_by("-id")
        .values_list("payload", flat=True)
    )
    texts: list[str] = []
    for payload in payloads:
        if isinstance(payload, dict):
            texts += [str(payload[k]) for k in ("text", "html") if isinstance(payload.get(k), str)]
    return texts
