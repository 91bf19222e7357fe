"""Schedules: cadence rules to rounds, exact local send times across DST, 'later' phrases."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from conversations.availability import Away, Mute, NotUnderstood, Snooze, read_availability
from conversations.schedule import (
    RoundSlot,
    Schedule,
    SendKind,
    latest_round,
    local_moment,
    nth_weekday,
    round_created_at,
    rounds_between,
    send_plan,
)

# A quarter that spans the clock changes of New York (8 March) and London (29 March) and, by
# its overdue reminder, Auckland (5 April).
SPRING = Schedule(
    cadence="quarterly",
    months=(3, 6, 9, 12),
    day="first monday",
    send_time=time(10, 0),
    due_after_days=28,
    reminders_after_days=(3, 7, 21, 35),
    grace_days=14,
)
TODAY = date(2026, 11, 25)  # a Wednesday


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def test_quarterly_first_monday_rounds() -> None:
    schedule = Schedule(cadence="quarterly", day="first monday")
    slots = rounds_between(schedule, date(2026, 1, 1), date(2026, 12, 31))
    assert [(s.period, s.opens_on) for s in slots] == [
        ("2026 Q1", date(2026, 1, 5)),
        ("2026 Q2", date(2026, 4, 6)),
        ("2026 Q3", date(2026, 7, 6)),
        ("2026 Q4", date(2026, 10, 5)),
    ]
    assert slots[0].due_on == date(2026, 1, 19) and slots[0].closes_on == date(2026, 2, 2)


def test_monthly_on_a_weekend_day_opens_the_monday_after() -> None:
    schedule = Schedule(cadence="monthly", day="1", weekdays_only=True)
    slots = rounds_between(schedule, date(2026, 2, 1), date(2026, 3, 31))
    # 1 February and 1 March 2026 are Sundays
    assert [(s.period, s.opens_on) for s in slots] == [
        ("February 2026", date(2026, 2, 2)),
        ("March 2026", date(2026, 3, 2)),
    ]
    every_day = Schedule(cadence="monthly", day="1", weekdays_only=False)
    assert rounds_between(every_day, date(2026, 2, 1), date(2026, 2, 28))[0].opens_on == date(
        2026, 2, 1
    )


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ("first monday", date(2026, 6, 1)),
        ("second tuesday", date(2026, 6, 9)),
        ("last friday", date(2026, 6, 26)),
        ("last day", date(2026, 6, 30)),
        ("15", date(2026, 6, 15)),
    ],
)
def test_day_rules(rule: str, expected: date) -> None:
    assert nth_weekday(2026, 6, rule) == expected


def test_last_day_of_december_rolls_the_year() -> None:
    assert nth_weekday(2026, 12, "last day") == date(2026, 12, 31)


def test_weekly_and_limits() -> None:
    schedule = Schedule(cadence="weekly", day="wednesday", starts=date(2026, 11, 10))
    slots = rounds_between(schedule, date(2026, 11, 1), date(2026, 11, 30))
    assert [s.opens_on for s in slots] == [date(2026, 11, d) for d in (11, 18, 25)]
    assert slots[0].period == "2026-W46"
    assert latest_round(schedule, TODAY) == slots[-1]


def test_latest_round_before_any_opening_is_none() -> None:
    schedule = Schedule(cadence="yearly", months=(6,), day="1", starts=date(2027, 1, 1))
    assert latest_round(schedule, TODAY) is None


def plan_times(zone: str) -> list[tuple[SendKind, datetime]]:
    (slot,) = rounds_between(SPRING, date(2026, 3, 1), date(2026, 3, 31))
    return [(send.kind, send.at) for send in send_plan(SPRING, slot, ZoneInfo(zone))]


F, R = SendKind.FIRST, SendKind.REMINDER


def test_send_times_in_london_follow_the_clock_change() -> None:
    assert plan_times("Europe/London") == [
        (F, utc(2026, 3, 2, 10)),
        (R, utc(2026, 3, 5, 10)),
        (R, utc(2026, 3, 9, 10)),
        (R, utc(2026, 3, 23, 10)),
        (R, utc(2026, 3, 30, 9)),  # the due date: 10:00 BST
        (R, utc(2026, 4, 6, 9)),
    ]


def test_send_times_in_new_york_follow_its_earlier_clock_change() -> None:
    assert plan_times("America/New_York") == [
        (F, utc(2026, 3, 2, 15)),
        (R, utc(2026, 3, 5, 15)),
        (R, utc(2026, 3, 9, 14)),  # 10:00 EDT from 8 March
        (R, utc(2026, 3, 23, 14)),
        (R, utc(2026, 3, 30, 14)),
        (R, utc(2026, 4, 6, 14)),
    ]


def test_send_times_in_kolkata_never_move() -> None:
    days = [(3, 2), (3, 5), (3, 9), (3, 23), (3, 30), (4, 6)]
    assert [at for _, at in plan_times("Asia/Kolkata")] == [
        datetime(2026, m, d, 4, 30, tzinfo=UTC) for m, d in days
    ]


def test_send_times_in_auckland_are_the_evening_before_in_utc() -> None:
    assert [at for _, at in plan_times("Pacific/Auckland")] == [
        utc(2026, 3, 1, 21),  # Monday 10:00 NZDT is Sunday 21:00 UTC
        utc(2026, 3, 4, 21),
        utc(2026, 3, 8, 21),
        utc(2026, 3, 22, 21),
        utc(2026, 3, 29, 21),
        utc(2026, 4, 5, 22),  # NZST from 5 April
    ]


def test_round_is_created_before_anyones_first_send() -> None:
    (slot,) = rounds_between(SPRING, date(2026, 3, 1), date(2026, 3, 31))
    created = round_created_at(slot)
    assert created == utc(2026, 3, 1, 10)
    for zone in ("Pacific/Auckland", "Pacific/Kiritimati", "Pacific/Pago_Pago"):
        assert send_plan(SPRING, slot, ZoneInfo(zone))[0].at >= created


def test_a_send_time_in_the_spring_gap_goes_out_an_hour_later_by_the_new_clock() -> None:
    london = ZoneInfo("Europe/London")
    moment = local_moment(date(2026, 3, 29), time(1, 30), london)
    assert moment == utc(2026, 3, 29, 1, 30)
    assert moment.astimezone(london).strftime("%H:%M %Z") == "02:30 BST"
    # 01:30 happens twice on 25 October: the first one (BST) is meant
    assert local_moment(date(2026, 10, 25), time(1, 30), london) == utc(2026, 10, 25, 0, 30)


def test_max_reminders_and_weekend_due_date() -> None:
    schedule = Schedule(
        cadence="monthly",
        day="1",
        due_after_days=12,  # from Monday 1 June: Saturday 13 June, moved to Monday 15
        reminders_after_days=(5, 6),  # Saturday and Sunday: both move to Monday 8
        max_reminders=1,
    )
    (slot,) = rounds_between(schedule, date(2026, 6, 1), date(2026, 6, 1))
    assert slot.due_on == date(2026, 6, 15)
    plan = send_plan(schedule, slot, ZoneInfo("Europe/London"))
    assert [(p.kind, p.at.date(), p.number) for p in plan] == [
        (F, date(2026, 6, 1), 0),
        (R, date(2026, 6, 8), 1),
    ]
    unlimited = schedule.model_copy(update={"max_reminders": None})
    assert [p.at.date() for p in send_plan(unlimited, slot, ZoneInfo("Europe/London"))] == [
        date(2026, 6, 1),
        date(2026, 6, 8),
        date(2026, 6, 15),
    ]


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"cadence": "fortnightly"}, "Input should be"),
        ({"send_time": "25:00"}, "write it as HH:MM"),
        ({"day": "first moonday"}, "is not a day rule"),
        ({"day": "31"}, "is not a day rule"),
        ({"cadence": "quarterly", "months": [1, 4, 7]}, "opens in 4 month(s) a year"),
        ({"cadence": "weekly", "day": "1"}, "a weekday such as 'monday'"),
        ({"cadence": "monthly", "day": "monday"}, "say which one: 'first monday'"),
        ({"reminders_after_days": [3, 3]}, "listed more than once"),
        ({"reminders_after_days": [0]}, "each must be 1 or more"),
        ({"reminders_after_days": [40]}, "after the round has closed"),
        ({"send_tme": "10:00"}, "Extra inputs"),
    ],
)
def test_schedule_errors_say_what_to_write(table: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Schedule.model_validate(table)
    assert message in str(caught.value)


def test_example_programme_schedule_reads() -> None:
    schedule = Schedule.model_validate(
        {
            "cadence": "quarterly",
            "send_time": "10:00",
            "weekdays_only": True,
            "due_after_days": 14,
            "reminders_after_days": [7, 3],
            "grace_days": 14,
        }
    )
    assert schedule.reminders_after_days == (3, 7)
    assert schedule.send_time == time(10, 0)
    assert schedule.reminder_limit == 3


# ---- what grantees say ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("remind me Friday", Snooze(date(2026, 11, 27))),
        ("Remind me on friday.", Snooze(date(2026, 11, 27))),
        ("remind me wednesday", Snooze(date(2026, 12, 2))),  # today is Wednesday: next week's
        ("later friday", Snooze(date(2026, 11, 27))),
        ("later tomorrow", Snooze(date(2026, 11, 26))),
        ("in 3 days", Snooze(date(2026, 11, 28))),
        ("remind me in 2 weeks", Snooze(date(2026, 12, 9))),
        ("remind me next week", Snooze(date(2026, 11, 30))),
        ("remind me on 2026-12-01", Snooze(date(2026, 12, 1))),
        ("remind me 3 January", Snooze(date(2027, 1, 3))),
        ("remind me December 4th", Snooze(date(2026, 12, 4))),
        ("away until 2026-12-01", Away(date(2026, 12, 1))),
        ("I'm away until 1 Dec", Away(date(2026, 12, 1))),
        ("out of office till 7 December 2026", Away(date(2026, 12, 7))),
        ("mute reminders", Mute(True)),
        ("no more reminders", Mute(True)),
        ("unmute", Mute(False)),
    ],
)
def test_availability_phrases(text: str, expected: object) -> None:
    assert read_availability(text, TODAY) == expected


@pytest.mark.parametrize("text", ["later", "pause", "12", "later I will check the figures", "yes"])
def test_other_messages_are_left_to_the_engine(text: str) -> None:
    assert read_availability(text, TODAY) is None


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("remind me whenever", "write a date like 2026-12-01"),
        ("remind me 2026-11-20", "has already come"),
        ("away until 2026-11-01", "is in the past"),
        ("away until 2028-01-01", "more than a year away"),
        ("remind me 31 February", "couldn't read"),
    ],
)
def test_unusable_days_get_a_hint(text: str, reason: str) -> None:
    result = read_availability(text, TODAY)
    assert isinstance(result, NotUnderstood) and reason in result.reason


def test_slot_is_a_plain_value() -> None:
    slot = RoundSlot("2026 Q1", date(2026, 1, 5), date(2026, 1, 19), date(2026, 2, 2))
    assert slot == RoundSlot("2026 Q1", date(2026, 1, 5), date(2026, 1, 19), date(2026, 2, 2))


def test_availability_replies_say_what_will_happen() -> None:
    from bot.conversation.rendering import ConversationView, Renderer
    from conversations.framework import builtin_framework_path, load_framework
    from conversations.state import AvailabilityNoted

    view = ConversationView(
        framework=load_framework(builtin_framework_path("social_cohesion_v1")),
        grantee_name="Amina",
        programme_name="Bridges",
        period="2026 Q4",
    )

    def said(prompt: AvailabilityNoted) -> str:
        return Renderer().text([prompt], view)

    snooze = said(AvailabilityNoted("snooze", "Friday 27 November at 10:00"))
    assert snooze.startswith("No problem. I'll remind you on Friday 27 November at 10:00.")
    away = said(AvailabilityNoted("away", "Tuesday 1 December"))
    assert "until you are back on Tuesday 1 December" in away and "counted as missing" in away
    assert said(AvailabilityNoted("muted")).startswith("Reminders are off.")
    assert said(AvailabilityNoted("unmuted")) == "Reminders are back on."
    hint = "I couldn't read 'whenever' as a day; write a date like 2026-12-01"
    assert said(AvailabilityNoted("not_understood", detail=hint)).startswith(hint)
