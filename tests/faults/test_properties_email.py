"""Properties of reading and receiving email: any bytes are recorded once, stored whole or not."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
from hypothesis import event, given
from hypothesis import strategies as st

import storage
from bot.channels.email.parsing import (
    automated,
    bounce,
    external_id,
    our_emails,
    parse_message,
    read_reply,
    referenced_ids,
    sender_address,
)
from bot.channels.email.steps import AttachmentsIgnored, advance_all, understood
from bot.conversation.frameworks import framework_for
from conversations.state import EngineOptions, SessionState
from tests.faults.email_harness import (
    AMINA,
    RAJ,
    EmailWorld,
    Snapshot,
    email_world,
    inbound_rows,
    snapshot,
)
from tests.faults.mime import deliveries, raw_emails
from tests.faults.tally import Tally, io, pure
from tests.support.email_service import DOMAIN

OUTCOMES = {
    "saved",
    "duplicate",
    "conflict",
    "malformed",
    "unknown_thread",
    "auto_reply",
    "sender_mismatch",
    "bounce",
    "unverified_sender",
}


@pytest.fixture
async def world(db_url: str) -> AsyncIterator[EmailWorld]:
    async with email_world(db_url) as world:
        yield world


def expected_key(raw: bytes) -> str:
    """The inbound record's key: the Message-ID, or a digest of the bytes when there is none."""
    try:
        return external_id(parse_message(raw), raw)
    except Exception:
        return f"<sha256:{hashlib.sha256(raw).hexdigest()}>"


async def predicted(world: EmailWorld, raw: bytes) -> list[tuple[str, Any, bool, str]] | None:
    """What storing this email must write, as the engine reads it from the state before it:
    (question, value, skipped, raw text) for each answer event, or None if it cannot be read."""
    context = await storage.load_checkin_context(world.threads[AMINA].checkin_id)
    fw = framework_for(context.programme)
    state = SessionState.from_json(context.checkin.state)
    try:
        message = parse_message(raw)
        refs = referenced_ids(message)
    except Exception:  # then the email is recorded as malformed, and nothing is predicted
        return None
    try:
        read = read_reply(message)
        if read.compared:  # read again against what we sent, as the routing does
            sent = await storage.sent_email_texts(context.checkin.id, referenced=refs)
            read = read_reply(message, our_emails(sent))
    except Exception:  # then the email is recorded as malformed, and nothing is predicted
        return None
    options = EngineOptions(round_open=context.round.is_open)
    per_message = world.inbound.channel.per_message
    found = understood(fw, state, read, per_message=per_message)
    ignored = [AttachmentsIgnored(read.attachments)] if read.attachments else []
    extra = [*ignored, *found.notes]
    step = advance_all(fw, state, found.replies, options, per_message=per_message, extra=extra)
    return [(e.question_id, e.value, e.skipped, e.raw_text) for e in step.answers]


def unchanged(before: Snapshot, after: Snapshot) -> bool:
    return (before.answers, before.changes, before.version) == (
        after.answers,
        after.changes,
        after.version,
    )


@given(data=st.data())
@io(150)
async def test_any_email_is_recorded_once_and_stored_whole_or_not_at_all(
    world: EmailWorld, data: st.DataObject, tally: Tally
) -> None:
    amina, raj = world.threads[AMINA], world.threads[RAJ]
    delivery = data.draw(
        deliveries(grantee=AMINA, reply_to=amina.reply_to, our_id=amina.message_id, domain=DOMAIN)
    )
    with tally.case("properties email"):
        before, other_before = await snapshot(amina.checkin_id), await snapshot(raj.checkin_id)
        key = expected_key(delivery.raw)
        seen_before = await inbound_rows(key)
        events = await predicted(world, delivery.raw)
        outcome = await world.receive(delivery.raw, delivery.rcpt, delivery.mail_from)
        after, other_after = await snapshot(amina.checkin_id), await snapshot(raj.checkin_id)
        assert outcome in OUTCOMES, outcome
        event(outcome)
        rows = await inbound_rows(key)
        assert len(rows) == 1, f"{key}: {len(rows)} inbound records"  # recorded, and once
        assert unchanged(other_before, other_after), "another grantee's check-in changed"
        if seen_before:
            assert outcome == "duplicate" and unchanged(before, after)
        elif outcome == "saved":
            assert rows[0].outcome == "handled" and rows[0].checkin_id == amina.checkin_id
            assert events is not None
            # the whole email or nothing: every answer it gives, an audit row each, one version
            final = {qid: (value, skipped, text) for qid, value, skipped, text in events}
            assert after.answers == {**before.answers, **final}
            assert after.changes == before.changes + len(events)
            assert after.version == before.version + 1
            assert after.outbound == before.outbound + 1  # the reply to the reply
        else:
            assert rows[0].outcome == outcome, (rows[0].outcome, outcome)
            assert unchanged(before, after), outcome
            assert after.outbound == before.outbound  # refused mail gets no answer


def _clean(text: str | None) -> bool:
    """Text that every database and log can take: valid Unicode, no NUL."""
    if text is None:
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in text


@given(raw=raw_emails())
@pure(200)
def test_reading_any_email_never_raises_and_gives_storable_text(raw: bytes, tally: Tally) -> None:
    with tally.case("properties email parsing"):
        message = parse_message(raw)
        key = external_id(message, raw)
        assert _clean(key) and 3 <= len(key) <= 255, key
        assert _clean(sender_address(message))
        assert all(_clean(i) and len(i) <= 255 for i in referenced_ids(message))
        assert _clean(automated(message, "someone@example.org"))
        bounce(message)
        read = read_reply(message)
        assert _clean(read.text)
        assert all(_clean(line.text) and line.line >= 1 for line in read.written)
