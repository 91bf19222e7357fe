"""`checkins status`: the queues of a running deployment, for operators and monitoring checks."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

import typer
from rich.table import Table

from bot.cli.common import SettingsPath, out, plain, run, settings_from
from bot.clock import utc_now
from storage.health import Health, health

ATTENTION = 2  # exit status when something waits too long (0: all well; 1: cannot tell)


def _age(now: datetime, then: datetime) -> str:
    minutes = int((now - then).total_seconds() // 60)
    return f"{minutes} min" if minutes < 120 else f"{minutes // 60} h"


def status(
    max_wait: Annotated[
        int, typer.Option(help="Minutes a message may wait before it needs attention.")
    ] = 15,
    hours: Annotated[int, typer.Option(help="Inbound messages of the last N hours.")] = 24,
    settings: SettingsPath = None,
) -> None:
    """The outbound queue, inbound outcomes, failing addresses and overdue scheduled sends.

    Exits 2 when a message has waited longer than --max-wait minutes or a scheduled send is
    that late (no scheduler running?), 1 when the database cannot be reached, else 0.
    """
    config = settings_from(settings)
    now = utc_now()
    late = timedelta(minutes=max_wait)
    found: Health = run(
        config, lambda: health(now=now, since=now - timedelta(hours=hours), late=late)
    )
    table = Table(title="Outbound messages")
    states = ("pending", "sending", "sent", "failed")
    for column in ("channel", *states, "waiting since"):
        table.add_column(column)
    waiting_too_long = False
    for channel in sorted({line.channel for line in found.queue}):
        lines = {line.status: line for line in found.queue if line.channel == channel}
        waiting = [lines[s].oldest for s in ("pending", "sending") if s in lines]
        oldest = min(waiting) if waiting else None
        waiting_too_long |= oldest is not None and now - oldest > late
        counts = [str(lines[s].count) if s in lines else "0" for s in states]
        table.add_row(channel, *counts, _age(now, oldest) if oldest else "")
    out.print(table)
    for message in found.failed:
        plain(f"failed: #{message.id} {message.channel} to {message.recipient}: {message.error}")
    inbound = ", ".join(f"{ch} {outcome} {n}" for (ch, outcome), n in sorted(found.inbound.items()))
    plain(f"Inbound in the last {hours} h: {inbound or 'none'}")
    if found.failing_addresses:
        plain(f"Email addresses failing: {', '.join(found.failing_addresses)}")
    plain(f"Scheduled sends overdue by more than {max_wait} min: {found.overdue_sends}")
    if waiting_too_long or found.overdue_sends:
        plain(
            "Attention: messages are waiting. Check the service is running "
            "(`checkins serve`), its log, the relay and Slack."
        )
        raise typer.Exit(ATTENTION)
