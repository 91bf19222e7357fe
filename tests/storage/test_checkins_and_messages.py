"""Finding open check-ins by email or Slack user, and the inbound/outbound message records."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from tortoise.transactions import in_transaction

import storage
from storage import models as m
from storage import plans
from storage.records import Grantee, InboundKey, OpenedRound, OutboundWrite, Programme
from tests.storage.factories import INITIAL_STATE, NOW, grantee_spec, later, programme_spec


async def test_open_check_ins_for_email_newest_round_first(
    programme: Programme, grantees: list[Grantee], opened: OpenedRound
) -> None:
    april = await storage.open_round(programme.id, "2026-04", now=later(60), initial_state={})
    south = await storage.upsert_programme(programme_spec("south", funder_slug="beta"))
    await storage.upsert_grantees(south.id, [grantee_spec("Amir@Alder.org", "Alder South")])
    south_round = await storage.open_round(south.id, "Q1", now=later(30), initial_state={})

    found = await storage.open_checkins_for_email("AMIR@alder.org")

    assert [(c.programme.slug, c.round.period) for c in found] == [
        ("north", "2026-04"),
        ("south", "Q1"),
        ("north", "2026-03"),
    ]
    newest = found[0]
    assert newest.round == april.round
    assert newest.grantee.email == "amir@alder.org"
    assert newest.programme == await storage.get_programme("north")
    assert newest.checkin.round_id == april.round.id
    assert newest.checkin.grantee_id == newest.grantee.id
    assert found[1].round == south_round.round
    assert found[1].programme.funder_slug == "beta"


async def test_closed_rounds_and_inactive_grantees_have_no_open_check_ins(
    programme: Programme, grantees: list[Grantee], opened: OpenedRound
) -> None:
    assert len(await storage.open_checkins_for_email("cara@cedar.org")) == 1
    await m.Grantee.filter(email="cara@cedar.org").update(active=False)
    assert await storage.open_checkins_for_email("cara@cedar.org") == []

    await storage.close_round(opened.round.id, now=later(5))
    assert await storage.open_checkins_for_email("amir@alder.org") == []
    assert await storage.open_checkins_for_slack_user("UAMIR") == []


async def test_open_check_ins_for_slack_user(grantees: list[Grantee], opened: OpenedRound) -> None:
    (context,) = await storage.open_checkins_for_slack_user("UCARA")
    assert context.grantee.email == "cara@cedar.org"
    assert context.checkin.state == INITIAL_STATE
    assert await storage.open_checkins_for_slack_user("UNOBODY") == []
    assert await storage.load_checkin_context(context.checkin.id) == context


async def test_loading_an_unknown_check_in_is_not_found(db: str) -> None:
    with pytest.raises(storage.NotFound, match="no check-in with id 77"):
        await storage.load_checkin_context(77)


async def test_record_inbound_once_per_channel_and_id(db: str) -> None:
    key = InboundKey("email", "<abc@mail.example>")
    assert await storage.record_inbound(key, now=NOW, outcome="auto_reply", detail="OOO")
    assert not await storage.record_inbound(key, now=later(1), outcome="handled")
    other_channel = InboundKey("slack", key.external_id)
    assert await storage.record_inbound(other_channel, now=NOW, outcome="no_checkin")
    stored = await m.InboundMessage.filter(channel="email").get()
    assert (stored.outcome, stored.detail, stored.received_at, stored.checkin_id) == (
        "auto_reply",
        "OOO",
        NOW,
        None,
    )


async def test_record_inbound_for_a_missing_check_in_is_an_error_not_a_duplicate(
    db: str,
) -> None:
    with pytest.raises(storage.StorageError, match="InboundMessage"):
        await storage.record_inbound(
            InboundKey("slack", "Ev9"), now=NOW, outcome="handled", checkin_id=12345
        )


def _write(key: str, channel: str = "email") -> OutboundWrite:
    return OutboundWrite(key, channel, "amir@alder.org", {"subject": key, "lines": ["a", "b"]})


async def test_outbound_queue_pending_sent_failed_and_retry(db: str) -> None:
    ids = await storage.enqueue_outbound(
        [_write("one"), _write("two"), _write("three"), _write("slack", "slack")], now=NOW
    )
    assert len(ids) == 4
    assert await storage.enqueue_outbound([_write("one")], now=later(1)) == ()  # same key
    one, two, three, _ = ids

    pending = await storage.pending_outbound("email", now=NOW)
    assert [p.idempotency_key for p in pending] == ["one", "two", "three"]
    assert (pending[0].status, pending[0].attempts, pending[0].payload) == (
        "pending",
        0,
        {"subject": "one", "lines": ["a", "b"]},
    )
    assert [p.id for p in await storage.pending_outbound("email", now=NOW, limit=2)] == [one, two]

    await storage.mark_outbound_sent(one, now=later(1), external_id="<m1@bot>")
    await storage.mark_outbound_failed(two, now=later(1), error="421 busy", retry_at=later(10))
    await storage.mark_outbound_failed(three, now=later(1), error="550 unknown", retry_at=None)

    assert await storage.pending_outbound("email", now=later(9)) == []  # two is not due yet
    (due,) = await storage.pending_outbound("email", now=later(10))
    assert (due.id, due.attempts, due.last_error, due.sent_at) == (two, 1, "421 busy", None)

    sent = await m.OutboundMessage.get(id=one)
    assert (sent.status, sent.sent_at, sent.external_id, sent.attempts) == (
        "sent",
        later(1),
        "<m1@bot>",
        1,
    )
    failed = await m.OutboundMessage.get(id=three)
    assert (failed.status, failed.attempts, failed.last_error) == ("failed", 1, "550 unknown")

    await storage.mark_outbound_sent(two, now=later(11))
    assert await storage.pending_outbound("email", now=later(60)) == []
    assert [p.channel for p in await storage.pending_outbound("slack", now=NOW)] == ["slack"]


async def test_marking_an_unknown_message_is_not_found(db: str) -> None:
    with pytest.raises(storage.NotFound):
        await storage.mark_outbound_sent(999, now=NOW)
    with pytest.raises(storage.NotFound):
        await storage.mark_outbound_failed(999, now=NOW, error="x", retry_at=None)


async def test_marks_made_together_are_stored_each_caller_hearing_its_own(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = await storage.enqueue_outbound([_write(f"m{n}") for n in range(8)], now=NOW)
    transactions: list[bool] = []
    run = plans.run

    async def counted(plan: Any, *, atomic: bool = True) -> Any:
        transactions.append(atomic)
        return await run(plan, atomic=atomic)

    monkeypatch.setattr(plans, "run", counted)
    marks = [
        storage.mark_outbound_sent(i, now=later(n), external_id=f"<{n}@bot>")
        for n, i in enumerate(ids)
    ]
    marks.append(storage.mark_outbound_sent(999, now=NOW))  # no such message, among them
    results = await asyncio.gather(*marks, return_exceptions=True)
    assert results[:8] == [None] * 8
    assert isinstance(results[8], storage.NotFound) and "999" in str(results[8])
    if db.startswith("sqlite"):
        assert transactions == [True]  # nine marks, one transaction
    else:  # PostgreSQL: a lone statement each, committed in its own round trip
        assert transactions == [False] * 9
    rows = await m.OutboundMessage.filter(id__in=list(ids)).order_by("id")
    assert [(r.status, r.external_id, r.sent_at, r.attempts) for r in rows] == [
        ("sent", f"<{n}@bot>", later(n), 1) for n in range(8)
    ]


async def test_a_mark_inside_a_transaction_is_part_of_it(db: str) -> None:
    (one,) = await storage.enqueue_outbound([_write("inside")], now=NOW)
    with pytest.raises(RuntimeError, match="rolled back"):
        async with in_transaction():
            await storage.mark_outbound_sent(one, now=later(1), external_id="<x@bot>")
            raise RuntimeError("rolled back")
    row = await m.OutboundMessage.get(id=one)
    assert (row.status, row.external_id, row.attempts) == ("pending", None, 0)
