"""Opening a round by hand and seeing who has answered it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from rich.table import Table

from bot.admin import operations as admin
from bot.admin.rounds_by_hand import open_round_now
from bot.cli.common import ProgrammeSlug, SettingsPath, out, run, settings_from
from bot.clock import utc_now
from storage.records import GranteeStatus


def round_open(
    programme: ProgrammeSlug,
    period: Annotated[str, typer.Option(help="The period's label, e.g. '2026 Q4'.")],
    due: Annotated[
        datetime | None, typer.Option(formats=["%Y-%m-%d"], help="Due date (YYYY-MM-DD).")
    ] = None,
    settings: SettingsPath = None,
) -> None:
    """Open a round now, with one check-in per active grantee."""
    config = settings_from(settings)
    due_day: date | None = due.date() if due else None
    opened, scheduled = run(
        config,
        lambda: open_round_now(
            programme, period, now=utc_now(), zone=config.schedule.timezone, due=due_day
        ),
    )
    if opened.existed:
        out.print(
            f"Round {opened.round.period} was already open; {opened.created} new check-in(s) "
            "created for grantees added since."
        )
    else:
        out.print(f"Opened round {opened.round.period} with {opened.created} check-in(s).")
    if opened.round.due_at:
        local = opened.round.due_at.astimezone(ZoneInfo(config.schedule.timezone))
        out.print(f"Due {local:%A %d %B %Y} ({config.schedule.timezone}).")
    if scheduled:
        out.print(
            f"First messages to {scheduled} grantee(s) are queued to go now, reminders as the "
            "programme's schedule plans; the running service (`checkins serve`) sends them."
        )


STATUS_WORDS = {
    "completed": "completed",
    "in_progress": "in progress",
    "reviewing": "reviewing answers",
    "paused": "paused",
    "stopped": "stopped",
    "not_started": "not started",
}


def _status_text(row: GranteeStatus, today: date) -> str:
    if row.checkin is None:
        return "no check-in (joined after the round opened)"
    away = row.grantee.away_until
    if row.checkin.status != "completed" and away is not None and today < away:
        return "away"  # not missing: they said when they are back
    return STATUS_WORDS.get(row.checkin.status, row.checkin.status)


def round_status(
    programme: ProgrammeSlug,
    period: Annotated[str | None, typer.Option(help="A period (default: the open round).")] = None,
    settings: SettingsPath = None,
) -> None:
    """Who has completed, who is in progress, who has not started."""
    config = settings_from(settings)
    report = run(config, lambda: admin.round_status(programme, period))
    zone = ZoneInfo(config.schedule.timezone)
    state = "open" if report.round.is_open else "closed"
    table = Table(title=f"{report.programme.name}: {report.round.period} ({state})")
    for column in ("organisation", "grantee", "status", "answers", f"last activity ({zone.key})"):
        table.add_column(column)
    counts: dict[str, int] = {}
    today = utc_now().astimezone(zone).date()
    for row in report.rows:
        status = _status_text(row, today)
        counts[status] = counts.get(status, 0) + 1
        if status == "away" and row.grantee.away_until is not None:
            status = f"away until {row.grantee.away_until:%d %b %Y}"
        last = (
            row.last_activity.astimezone(zone).strftime("%d %b %H:%M") if row.last_activity else ""
        )
        name = row.grantee.name + (" (email failing)" if row.grantee.email_failing else "")
        table.add_row(row.grantee.organisation, name, status, str(row.answered), last)
    out.print(table)
    summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    out.print(f"{len(report.rows)} grantee(s): {summary}.")
