"""Rounds: idempotent (and race-safe) opening, current round, closing, the status table."""

from __future__ import annotations

import asyncio

import storage
from storage import models as m
from storage.records import CheckInStatus, Grantee, OpenedRound, Programme
from tests.storage.factories import INITIAL_STATE, NOW, answer, grantee_spec, later, skip


async def test_open_round_creates_one_check_in_per_active_grantee(
    programme: Programme, grantees: list[Grantee]
) -> None:
    await m.Grantee.filter(email="bea@birch.org").update(active=False)
    opened = await storage.open_round(
        programme.id, "2026-03", now=NOW, initial_state=INITIAL_STATE, due_at=later(60)
    )

    assert (opened.created, opened.existed) == (2, False)
    assert opened.round.opened_at == NOW
    assert opened.round.due_at == later(60)
    rows = await m.CheckIn.filter(round_id=opened.round.id).order_by("grantee_id")
    by_email = {g.id: g.email for g in grantees}
    assert sorted(by_email[r.grantee_id] for r in rows) == ["amir@alder.org", "cara@cedar.org"]
    for row in rows:
        assert (row.status, row.version, row.state) == ("not_started", 1, INITIAL_STATE)
        assert (row.started_at, row.completed_at, row.updated_at) == (None, None, NOW)


async def test_opening_twice_creates_nothing_new_but_adds_late_grantees(
    programme: Programme, opened: OpenedRound
) -> None:
    again = await storage.open_round(programme.id, "2026-03", now=later(5), initial_state={})
    assert (again.created, again.existed, again.round) == (0, True, opened.round)

    await storage.upsert_grantees(programme.id, [grantee_spec("dan@dell.org", "Dell")])
    late = await storage.open_round(programme.id, "2026-03", now=later(10), initial_state={})
    assert (late.created, late.existed) == (1, True)
    assert await m.CheckIn.filter(round_id=opened.round.id).count() == 4
    assert await m.Round.all().count() == 1


async def test_concurrent_opens_create_each_check_in_once(
    programme: Programme, grantees: list[Grantee]
) -> None:
    results = await asyncio.gather(
        *(
            storage.open_round(programme.id, "2026-03", now=NOW, initial_state=INITIAL_STATE)
            for _ in range(3)
        )
    )

    assert sum(r.created for r in results) == len(grantees)
    assert sorted(r.existed for r in results) == [False, True, True]
    assert len({r.round.id for r in results}) == 1
    assert await m.Round.all().count() == 1
    assert await m.CheckIn.all().count() == len(grantees)


async def test_current_round_is_the_latest_open_one(programme: Programme) -> None:
    assert await storage.current_round(programme.id) is None
    march = await storage.open_round(programme.id, "2026-03", now=NOW, initial_state={})
    april = await storage.open_round(programme.id, "2026-04", now=later(60), initial_state={})
    assert await storage.current_round(programme.id) == april.round
    assert await storage.get_round(programme.id, "2026-03") == march.round
    assert await storage.get_round(programme.id, "2026-05") is None

    closed = await storage.close_round(april.round.id, now=later(90))
    assert closed.closed_at == later(90)
    assert not closed.is_open
    assert await storage.current_round(programme.id) == march.round
    again = await storage.close_round(april.round.id, now=later(120))
    assert again.closed_at == later(90)  # the first closing time stands


async def test_a_closed_round_gets_no_new_check_ins(
    programme: Programme, opened: OpenedRound
) -> None:
    await storage.close_round(opened.round.id, now=later(1))
    await storage.upsert_grantees(programme.id, [grantee_spec("dan@dell.org", "Dell")])
    reopened = await storage.open_round(programme.id, "2026-03", now=later(2), initial_state={})
    assert (reopened.created, reopened.existed) == (0, True)
    assert reopened.round.closed_at == later(1)


async def test_round_status_counts_answers_per_grantee(
    programme: Programme, grantees: list[Grantee], opened: OpenedRound
) -> None:
    by_email = {g.email: g for g in grantees}
    checkins = {row.grantee_id: row for row in await m.CheckIn.filter(round_id=opened.round.id)}
    amir = checkins[by_email["amir@alder.org"].id]
    cara = checkins[by_email["cara@cedar.org"].id]
    await storage.save_step(
        amir.id,
        expected_version=1,
        state={"status": "in_progress"},
        status=CheckInStatus.IN_PROGRESS,
        answers=[answer("q1", 12), skip("q2"), answer("q3", "lots")],
        channel="slack",
        actor="slack:UAMIR",
        now=later(10),
    )
    await storage.save_step(
        cara.id,
        expected_version=1,
        state={"status": "completed"},
        status=CheckInStatus.COMPLETED,
        answers=[answer("q1", 3)],
        channel="email",
        actor="email:cara@cedar.org",
        now=later(20),
    )
    # left the programme after starting: still listed, because it has a check-in
    await m.Grantee.filter(id=by_email["cara@cedar.org"].id).update(active=False)
    # joined but has no check-in in this round, and another who left without one
    await storage.upsert_grantees(
        programme.id, [grantee_spec("dan@dell.org", "Dell"), grantee_spec("eve@elm.org", "Elm")]
    )
    await m.Grantee.filter(email="eve@elm.org").update(active=False)

    lines = await storage.round_status(opened.round.id)

    assert [
        (
            line.grantee.organisation,
            line.checkin.status if line.checkin else None,
            line.answered,
            line.last_activity,
        )
        for line in lines
    ] == [
        ("Alder Arts", "in_progress", 2, later(10)),
        ("Birch Sports", "not_started", 0, None),
        ("Cedar Youth", "completed", 1, later(20)),
        ("Dell", None, 0, None),
    ]
    assert lines[2].grantee.active is False
