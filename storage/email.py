"""Email threads: each check-in's reply token, the Message-IDs that thread it, failing addresses."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from storage import models as m
from storage.common import insert_once, utc
from storage.db import NotFound

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


def _thread(row: m.EmailThread) -> EmailThread:
    return EmailThread(id=row.id, checkin_id=row.checkin_id, token=row.token)


async def email_thread(
    checkin_id: int, *, now: datetime, new_token: Callable[[], str]
) -> EmailThread:
    """The check-in's thread, created with a fresh token the first time it is asked for."""
    row = await m.EmailThread.get_or_none(checkin_id=checkin_id)
    if row is None:
        # two first sends at once: the unique check-in column lets one insert win
        await insert_once(
            m.EmailThread, checkin_id=checkin_id, token=new_token(), created_at=utc(now)
        )
        row = await m.EmailThread.get(checkin_id=checkin_id)
    return _thread(row)


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
    outbound = await m.OutboundMessage.get_or_none(id=outbound_id)
    if outbound is None:
        raise NotFound(f"no outbound message with id {outbound_id}")
    if outbound.checkin_id is None:
        return None
    thread = await email_thread(outbound.checkin_id, now=now, new_token=new_token)
    mine = await m.EmailThreadMessage.get_or_none(outbound_id=outbound_id)
    if mine is None:
        await insert_once(
            m.EmailThreadMessage,
            thread_id=thread.id,
            message_id=new_message_id(),
            outbound_id=outbound_id,
            direction=OUT,
            created_at=utc(now),
        )
        mine = await m.EmailThreadMessage.get(outbound_id=outbound_id)
    earlier = (
        await m.EmailThreadMessage.filter(thread_id=thread.id, id__lt=mine.id)
        .order_by("id")
        .values_list("message_id", flat=True)
    )
    return OutgoingEmail(
        checkin_id=thread.checkin_id,
        token=thread.token,
        message_id=mine.message_id,
        references=tuple(str(i) for i in earlier),
    )


async def find_email_thread(
    *, token: str | None = None, message_ids: Sequence[str] = ()
) -> EmailThread | None:
    """The thread named by a reply token, else by any of our Message-IDs a reply refers to."""
    if token:
        row = await m.EmailThread.get_or_none(token=token.lower())
        if row is not None:
            return _thread(row)
    if message_ids:
        found = (
            await m.EmailThreadMessage.filter(message_id__in=list(message_ids), direction=OUT)
            .order_by("-id")
            .first()
        )
        if found is not None:
            return _thread(await m.EmailThread.get(id=found.thread_id))
    return None


async def remember_email_reply(thread_id: int, message_id: str, *, now: datetime) -> None:
    """Keep a grantee's Message-ID so our next email refers to it too (once, however delivered)."""
    await insert_once(
        m.EmailThreadMessage,
        thread_id=thread_id,
        message_id=message_id,
        outbound_id=None,
        direction=IN,
        created_at=utc(now),
    )


async def set_email_failing(grantee_id: int, failing: bool) -> None:
    """Mark (or clear) a grantee's address as failing, as shown in `round status`."""
    updated = await m.Grantee.filter(id=grantee_id).update(email_failing=failing)
    if not updated:
        raise NotFound(f"no grantee with id {grantee_id}")
