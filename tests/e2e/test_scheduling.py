"""A whole quarter on a real database: local send times across DST, reminders, deadlines, close."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

import storage
from bot.conversation.channel import InboundMessage
from bot.scheduling import availability_requests as availability
from storage.db import database
from tests.e2e.scheduling_helpers import PEOPLE, GranteeSpec, World, complete, make_world, utc

MINUTE = timedelta(minutes=1)
BEN = GranteeSpec("Ben Moss", "Moss Side Kitchen", "ben@london.example", None, "Europe/London",
                  "food", "Manchester")  # fmt: skip
KOFI = GranteeSpec("Kofi Mensah", "Kofi Youth", "kofi@london.example", None, "Europe/London",
                   "youth", "Hackney")  # fmt: skip


def kind(text: str) -> str:
    if "this is your Bridges Fund check-in" in text:
        return "first"
    if "was due on" in text:
        return "overdue"
    if "a reminder about" in text:
        return "reminder"
    return "reply"


def scheduled(world: World, who: str) -> list[tuple[str, datetime]]:
    return [(kind(s.text), s.at) for s in world.to(who) if kind(s.text) != "reply"]


def to_email(world: World, email: str) -> list[tuple[str, datetime]]:
    return [(kind(s.text), s.at) for s in world.sent if s.recipient == email]


async def say(world: World, who: str, text: str) -> None:
    """What the dispatcher does with an availability request, done here directly."""
    context = await world.checkin(who)
    request = availability.understood(context, text, world.clock.now)
    assert request is not None, text
    await availability.apply(context, request, now=world.clock.now)


EXPECTED = {
    "london": [("first", utc(2026, 3, 2, 10)), ("reminder", utc(2026, 3, 5, 10))],
    "new_york": [
        ("first", utc(2026, 3, 2, 15)),
        ("reminder", utc(2026, 3, 5, 15)),
        ("reminder", utc(2026, 3, 9, 14)),  # New York is on daylight time from 8 March
        ("reminder", utc(2026, 3, 23, 14)),
        ("reminder", utc(2026, 3, 30, 14)),  # the due date
        ("overdue", utc(2026, 4, 6, 14)),
    ],
    "kolkata": [
        ("first", utc(2026, 3, 2, 4, 30)),
        ("reminder", utc(2026, 3, 5, 4, 30)),
        ("reminder", utc(2026, 3, 6, 4, 30)),  # "Friday"
        ("reminder", utc(2026, 3, 9, 4, 30)),
        ("reminder", utc(2026, 3, 23, 4, 30)),
        ("reminder", utc(2026, 3, 30, 4, 30)),
        # five reminders is the plan's number: the snoozed one counts, so none on 6 April
    ],
    "auckland": [
        ("first", utc(2026, 3, 1, 21)),  # Monday 10:00 NZDT
        ("reminder", utc(2026, 3, 19, 21)),  # back from being away: Friday 20 March, 10:00
        ("reminder", utc(2026, 3, 22, 21)),
        ("reminder", utc(2026, 3, 29, 21)),  # the due date there
        ("overdue", utc(2026, 4, 5, 22)),  # 10:00 NZST, after New Zealand's clocks went back
    ],
}


async def test_a_quarter_in_four_timezones_across_the_clock_changes(
    db_url: str, tmp_path: Path
) -> None:
    async with database(db_url):
        world = await make_world(tmp_path, start=utc(2026, 2, 27), extra=[BEN, KOFI])
        await availability.set_away_by_email("kofi@london.example", date(2026, 4, 20))
        moments = {t for sends in EXPECTED.values() for _, t in sends}
        # a minute early nothing may go: checked at each first message and each clock change
        edges = [utc(2026, 3, 2, 10), utc(2026, 3, 2, 15), utc(2026, 3, 2, 4, 30)]
        edges += [utc(2026, 3, 1, 21), utc(2026, 3, 9, 14), utc(2026, 3, 30, 9)]
        edges += [utc(2026, 4, 5, 22)]
        moments |= {t - MINUTE for t in edges}
        actions = {
            utc(2026, 3, 2): ("auckland", "away until 2026-03-20"),
            utc(2026, 3, 2, 5): ("kolkata", "12"),  # one answer, then silence
            utc(2026, 3, 2, 10, 5): ("ben", "mute reminders"),
            utc(2026, 3, 5, 6): ("kolkata", "remind me Friday"),
            utc(2026, 3, 6, 12): ("london", "complete"),
            utc(2026, 4, 7, 12): ("new_york", "complete"),
        }
        checkpoints = {utc(2026, 3, 1, 9, 59), utc(2026, 3, 1, 10), utc(2026, 3, 31)}
        checkpoints |= {utc(2026, 4, 14), utc(2026, 4, 20, 12)}
        for at in sorted(moments | set(actions) | checkpoints):
            await world.tick(at)
            if at == utc(2026, 3, 1, 9, 59):
                assert await storage.get_round(world.programme.id, "2026 Q1") is None
            if at == utc(2026, 3, 1, 10):
                rnd = await storage.get_round(world.programme.id, "2026 Q1")
                assert rnd is not None and world.sent == []
            if at in actions:
                await act(world, *actions[at])

        for who, expected in EXPECTED.items():
            assert scheduled(world, who) == expected, who
        assert to_email(world, "ben@london.example") == [("first", utc(2026, 3, 2, 10))]
        assert to_email(world, "kofi@london.example") == []  # away all round
        assert {s.channel for s in world.to("london")} == {"slack"}  # linked to Slack
        assert {s.channel for s in world.to("new_york")} == {"email"}
        assert {s.channel for s in world.to("auckland")} == {"slack"}
        overdue = world.to("new_york")[5].text
        assert "was due on Monday 30 March 2026" in overdue and "Monday 13 April 2026" in overdue

        # at the due date the contacts were told who had not answered, once
        notices = [s for s in world.sent if "grantees have completed" in s.text]
        assert sorted((s.channel, s.recipient) for s in notices) == [
            ("email", "priya@worldtrust.example"),
            ("email", "tom@worldtrust.example"),
            ("slack", "C0BRIDGES01"),
        ]
        assert {s.at for s in notices} == {utc(2026, 3, 31)}
        notice = notices[0].text
        assert "1 of 6 grantees have completed" in notice
        for line in ("Rosa Diaz", "Arjun Sen, Arjun Sen Project (1 answered)", "Mere Tane"):
            assert line in notice
        assert "Ben Moss, Moss Side Kitchen (no answers yet)" in notice
        missing, away = notice.split("Away, so not counted as missing (1):")
        assert "Kofi" in away and "Kofi" not in missing and "Amina" not in notice

        # after the grace period: closed, partial answers kept, late completion recorded
        rnd = await storage.get_round(world.programme.id, "2026 Q1")
        assert rnd is not None and rnd.closed_at == utc(2026, 4, 14)
        kolkata = await storage.load_checkin_context(await checkin_id(world, "kolkata"))
        assert kolkata.checkin.status == "in_progress"
        assert [a.value for a in await storage.answers_for_checkin(kolkata.checkin.id)] == [12]
        rosa = await storage.load_checkin_context(await checkin_id(world, "new_york"))
        assert rosa.checkin.status == "completed"
        assert rnd.due_at is not None and rosa.checkin.completed_at is not None
        assert rosa.checkin.completed_at > rnd.due_at  # late, and accepted
        before = len(world.sent)
        await world.tick(utc(2026, 5, 1))
        assert len(world.sent) == before


async def checkin_id(world: World, who: str) -> int:
    rnd = await storage.get_round(world.programme.id, "2026 Q1")
    assert rnd is not None
    (row,) = [r for r in await storage.round_status(rnd.id) if r.grantee.email == PEOPLE[who][1]]
    assert row.checkin is not None
    return row.checkin.id


async def act(world: World, who: str, what: str) -> None:
    if what == "complete":
        channel = "slack" if PEOPLE[who][2] else "email"
        await complete(world, who, channel)
    elif who == "ben":
        (context,) = await storage.open_checkins_for_email("ben@london.example")
        request = availability.understood(context, what, world.clock.now)
        assert request is not None
        await availability.apply(context, request, now=world.clock.now)
    elif what.isdigit():
        context = await world.checkin(who)
        message = InboundMessage("email", f"{who}-answer", PEOPLE[who][1], what)
        await world.dispatcher.handle(context.checkin.id, message)
    else:
        await say(world, who, what)


@pytest.mark.parametrize("catch_up_hours", [12])
async def test_after_downtime_recent_sends_go_late_and_older_ones_are_reported(
    db_url: str, tmp_path: Path, catch_up_hours: int
) -> None:
    async with database(db_url):
        world = await make_world(
            tmp_path, start=utc(2026, 2, 27), catch_up=timedelta(hours=catch_up_hours)
        )
        # down from before the round opened until Monday 12:00 UTC
        await world.tick(utc(2026, 3, 2, 12))
        assert scheduled(world, "london") == [("first", utc(2026, 3, 2, 12))]  # 2 h late
        assert scheduled(world, "kolkata") == [("first", utc(2026, 3, 2, 12))]  # 7.5 h late
        assert scheduled(world, "auckland") == []  # 15 h late: beyond the 12 h window
        assert scheduled(world, "new_york") == []  # not due until 15:00
        rnd = await storage.get_round(world.programme.id, "2026 Q1")
        assert rnd is not None
        lines = {line.grantee.email: line for line in await storage.schedule_lines(rnd.id)}
        auckland = lines[PEOPLE["auckland"][1]]
        assert (auckland.missed, auckland.last_outcome) == (1, "missed")
        # the opening message, which they never had, goes at the next planned time instead
        assert auckland.next_at == utc(2026, 3, 4, 21)
        # running the same tick again (a restart, a second instance) sends nothing new
        await world.tick(utc(2026, 3, 2, 12))
        assert len(world.sent) == 2
        await world.tick(utc(2026, 3, 4, 21))
        assert scheduled(world, "auckland") == [("first", utc(2026, 3, 4, 21))]
        await world.tick(utc(2026, 3, 8, 21))
        assert [k for k, _ in scheduled(world, "auckland")] == ["first", "reminder"]


async def test_a_round_missed_entirely_is_reported_not_opened(db_url: str, tmp_path: Path) -> None:
    async with database(db_url):
        world = await make_world(tmp_path, start=utc(2026, 2, 27))
        report = await world.jobs.tick(utc(2026, 3, 5, 12))
        assert report.missed_rounds == ["bridges 2026 Q1"] and report.opened == []
        assert await storage.get_round(world.programme.id, "2026 Q1") is None
        assert world.sent == []


@pytest.mark.postgres
async def test_two_schedulers_racing_on_postgres_send_each_message_once(
    postgres_url: str, tmp_path: Path
) -> None:
    # PostgreSQL only: with SQLite the service runs as one process (DESIGN.md section 6)
    db_url = postgres_url
    many = [
        GranteeSpec(
            f"Grantee {n}",
            f"Org {n:02d}",
            f"g{n}@example.org",
            None,
            "Europe/London",
            "food",
            "Leeds",
        )
        for n in range(24)
    ]
    async with database(db_url):
        world = await make_world(tmp_path, start=utc(2026, 3, 1, 10), people=(), extra=many)
        second = await make_world(tmp_path, start=utc(2026, 3, 1, 10), people=())
        await world.tick(utc(2026, 3, 1, 10))  # the round opens; nothing is due yet
        assert world.sent == []

    ready = asyncio.Barrier(2)

    async def instance(w: World) -> None:
        # its own connection pool, as a second process would have
        async with database(db_url):
            w.clock.now = utc(2026, 3, 2, 10)
            w.jobs.batch = 5  # small claims, so the two interleave
            for channel in w.dispatcher.channels.values():
                channel.delay = 0.002  # type: ignore[attr-defined]
            await ready.wait()
            await w.jobs.tick(utc(2026, 3, 2, 10))

    await asyncio.gather(instance(world), instance(second))
    firsts = sorted(s.recipient for s in world.sent + second.sent)
    assert firsts == sorted(g.email for g in many)  # every grantee once, none twice
    assert world.sent and second.sent  # both instances did some of the work
    async with database(db_url):
        counts = await storage.outbound_counts()
        assert counts == {"sent": len(many)}
