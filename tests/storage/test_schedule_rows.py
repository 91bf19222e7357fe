"""Schedule rows: plans by timezone, leased claims, snoozes, preferences, round events."""

from __future__ import annotations

from datetime import timedelta

import storage
from storage.records import Grantee, OpenedRound
from tests.storage.factories import NOW, later

LEASE = timedelta(minutes=5)


async def test_plans_are_added_once_per_check_in(
    opened: OpenedRound, grantees: list[Grantee]
) -> None:
    plan = {"Europe/London": [later(60), later(120)]}
    assert await storage.add_schedules(opened.round.id, plan) == 3
    assert await storage.add_schedules(opened.round.id, plan) == 0  # a second open adds none
    lines = await storage.schedule_lines(opened.round.id)
    assert [(line.next_at, line.number, line.reminders_sent) for line in lines] == [
        (later(60), 0, 0)
    ] * 3
    assert await storage.add_schedules(opened.round.id, {"Asia/Kolkata": [later(5)]}) == 0


async def test_a_claimed_send_is_not_claimed_again_until_its_lease_ends(
    opened: OpenedRound, grantees: list[Grantee]
) -> None:
    await storage.add_schedules(opened.round.id, {"Europe/London": [later(60), later(120)]})
    assert await storage.claim_due_sends(now=later(59), lease=LEASE) == []
    first = await storage.claim_due_sends(now=later(60), lease=LEASE, limit=2)
    assert len(first) == 2 and {s.number for s in first} == {0}
    assert first[0].plan == (later(60), later(120)) and first[0].round.id == opened.round.id
    rest = await storage.claim_due_sends(now=later(61), lease=LEASE)
    assert len(rest) == 1 and rest[0].checkin_id not in {s.checkin_id for s in first}
    assert await storage.claim_due_sends(now=later(62), lease=LEASE) == []
    # a scheduler that crashed holding a claim: another takes the row when the lease ends
    again = await storage.claim_due_sends(now=later(65), lease=LEASE)
    assert sorted(s.checkin_id for s in again) == sorted(s.checkin_id for s in first)

    send = again[0]
    await storage.finish_send(
        send.schedule_id,
        now=later(65),
        outcome="first sent",
        next_at=later(120),
        next_number=1,
        sent=True,
        first=True,
    )
    lines = {line.grantee.id: line for line in await storage.schedule_lines(opened.round.id)}
    line = lines[send.grantee.id]
    assert (line.next_at, line.number, line.last_outcome) == (later(120), 1, "first sent")
    taken = await storage.claim_due_sends(now=later(119), lease=LEASE)
    assert send.schedule_id not in {s.schedule_id for s in taken}  # its next send is at 120
    assert [s.number for s in await storage.claim_due_sends(now=later(120), lease=LEASE)] == [1]


async def test_snooze_mute_and_away(opened: OpenedRound, grantees: list[Grantee]) -> None:
    await storage.add_schedules(opened.round.id, {"Europe/London": [later(60), later(120)]})
    amir = next(g for g in grantees if g.email == "amir@alder.org")
    status = {r.grantee.id: r.checkin for r in await storage.round_status(opened.round.id)}
    checkin = status[amir.id]
    assert checkin is not None
    assert await storage.snooze(checkin.id, later(300))
    await storage.set_preference(amir.id, now=NOW, muted=True)
    await storage.set_preference(amir.id, now=NOW, channel="email")
    assert await storage.preferences([amir.id]) == {amir.id: ("email", True)}
    assert await storage.set_away([amir.id], NOW.date() + timedelta(days=9)) == 1
    lines = {line.grantee.id: line for line in await storage.schedule_lines(opened.round.id)}
    line = lines[amir.id]
    assert (line.next_at, line.snoozed_until, line.muted, line.channel) == (
        later(300),
        later(300),
        True,
        "email",
    )
    assert line.grantee.away_until == NOW.date() + timedelta(days=9)


async def test_round_events_are_claimed_once(opened: OpenedRound) -> None:
    assert await storage.claim_round_event(opened.round.id, "due_notice", now=NOW)
    assert not await storage.claim_round_event(opened.round.id, "due_notice", now=later(1))
    assert await storage.round_events(opened.round.id) == {"due_notice": NOW}
