"""The scheduling commands: `schedule show`, `round close` and `grantee away` (typer)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from rich.table import Table

from bot.admin.rounds_by_hand import Overview, close_round, overview
from bot.cli.common import ProgrammeSlug, SettingsPath, fail, out, run, settings_from
from bot.clock import utc_now
from bot.scheduling.availability_requests import set_away_by_email
from conversations.schedule import SendKind

schedule_app = typer.Typer(help="When rounds open and who is asked and reminded when.")
grantee_app = typer.Typer(help="One grantee's availability.")


def _local(moment: datetime | None, zone: str, *, short: bool = False) -> str:
    if moment is None:
        return ""
    local = moment.astimezone(ZoneInfo(zone))
    return f"{local:%a %d %b %H:%M}" if short else f"{local:%a %d %b %Y %H:%M} {local:%Z}"


def describe(schedule_overview: Overview) -> str:
    s = schedule_overview.schedule
    if s is None:
        return "No [schedule] in the programme file: rounds are opened by hand."
    day = f"day {s.day!r}" + (", weekdays only" if s.weekdays_only else "")
    reminders = ", ".join(str(d) for d in s.reminders_after_days) or "none"
    due_day = " and on the due date" if s.remind_on_due_date else ""
    return (
        f"{s.cadence.capitalize()}, {day}; first message at {s.send_time:%H:%M} in each "
        f"grantee's own timezone; due after {s.due_after_days} days; reminders after "
        f"{reminders} days{due_day} (at most {s.reminder_limit}); closes {s.grace_days} days "
        "after the due date."
    )


@schedule_app.command("show")
def schedule_show(
    programme: ProgrammeSlug,
    rounds: Annotated[int, typer.Option(help="How many upcoming rounds to list.")] = 3,
    settings: SettingsPath = None,
) -> None:
    """Upcoming rounds, and each grantee's sends and reminders in their local time."""
    config = settings_from(settings)
    zone = config.schedule.timezone
    found = run(config, lambda: overview(programme, now=utc_now(), zone=zone, rounds=rounds))
    out.print(f"[bold]{found.programme.name}[/bold] ({found.programme.slug})")
    out.print(describe(found))
    if found.current is not None:
        _print_current(found, zone)
    if found.upcoming:
        table = Table(title=f"Upcoming rounds (dates in {zone})")
        for column in ("period", "opens", "due", "closes"):
            table.add_column(column)
        for slot in found.upcoming:
            days = (slot.opens_on, slot.due_on, slot.closes_on)
            table.add_row(slot.period, *(f"{d:%a %d %b %Y}" for d in days))
        out.print(table)
    if found.next_plan:
        first = found.upcoming[0]
        table = Table(title=f"{first.period}: sends in each grantee's local time")
        for column in ("grantee", "timezone", "channel", "first message", "reminders"):
            table.add_column(column)
        for line in found.next_plan:
            tz = line.grantee.timezone
            firsts = [s for s in line.sends if s.kind is SendKind.FIRST]
            reminders = [
                _local(s.at, tz, short=True) for s in line.sends if s.kind is SendKind.REMINDER
            ]
            away = line.grantee.away_until
            note = f" (away until {away})" if away and away > first.opens_on else ""
            table.add_row(
                f"{line.grantee.name}, {line.grantee.organisation}{note}",
                tz,
                line.channel,
                _local(firsts[0].at, tz) if firsts else "",
                "\n".join(reminders),
            )
        out.print(table)


def _print_current(found: Overview, zone: str) -> None:
    rnd = found.current
    assert rnd is not None
    out.print(
        f"Open round {rnd.period}: due {_local(rnd.due_at, zone)}, closes "
        f"{_local(rnd.closes_at, zone)}."
    )
    if "due_notice" in found.events:
        told = _local(found.events["due_notice"], zone)
        out.print(f"Contacts were told who had not answered at {told}.")
    table = Table(title=f"{rnd.period}: next scheduled message per grantee (their local time)")
    for column in ("grantee", "status", "next", "reminders sent", "notes"):
        table.add_column(column)
    for line in found.lines:
        tz = line.grantee.timezone
        notes = []
        today = utc_now().astimezone(ZoneInfo(tz)).date()
        if line.grantee.away_until and line.grantee.away_until > today:
            notes.append(f"away until {line.grantee.away_until}")
        if line.muted:
            notes.append("reminders muted")
        if line.missed:
            notes.append(f"{line.missed} missed while the service was down")
        if line.next_at is None and line.last_outcome:
            notes.append(line.last_outcome)
        kind = "first message" if line.number == 0 else "reminder"
        table.add_row(
            f"{line.grantee.name}, {line.grantee.organisation}",
            line.checkin_status.replace("_", " "),
            f"{kind} {_local(line.next_at, tz)}" if line.next_at else "nothing more",
            str(line.reminders_sent),
            "; ".join(notes),
        )
    out.print(table)


def round_close(
    programme: ProgrammeSlug,
    period: Annotated[str | None, typer.Option(help="A period (default: the open round).")] = None,
    settings: SettingsPath = None,
) -> None:
    """Close a round now: answers given are kept (partial check-ins stay partial), no reminders."""
    config = settings_from(settings)
    zone = config.schedule.timezone
    closed = run(config, lambda: close_round(programme, period, now=utc_now(), zone=zone))
    out.print(f"Closed round {closed.period} at {_local(closed.closed_at, zone)}.")


@grantee_app.command("away")
def grantee_away(
    email: str,
    until: Annotated[
        datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help="The day they are back (YYYY-MM-DD)."),
    ] = None,
    back: Annotated[bool, typer.Option("--back", help="They are back now.")] = False,
    programme: Annotated[
        str | None, typer.Option(help="Only in this programme (default: all of theirs).")
    ] = None,
    settings: SettingsPath = None,
) -> None:
    """Mark a grantee away until a date: not asked, not reminded, not counted as missing."""
    if (until is None) == (not back):
        fail("Give --until YYYY-MM-DD (the day they are back), or --back.")
    day = until.date() if until else None
    if day is not None and day <= utc_now().date():
        fail(f"{day} is not in the future; give the day they are back, or --back.")
    config = settings_from(settings)
    changed = run(config, lambda: set_away_by_email(email, day, programme))
    for grantee in changed:
        state = f"away until {day}" if day else "back"
        out.print(f"{grantee.name} ({grantee.organisation}) is {state}.")
