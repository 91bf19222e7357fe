"""The `checkins` command line: each topic's commands gathered under one typer app."""

from __future__ import annotations

import logging
import sys

import typer

from bot.cli import chat, participants, reports, rounds, running, schedule, setup, status, web
from bot.cli.common import err

app = typer.Typer(
    help="Cohesion Check-ins: social cohesion check-ins for funders and grantees.",
    pretty_exceptions_show_locals=False,  # locals can hold tokens and passwords
)
db_app = typer.Typer(help="The database.")
framework_app = typer.Typer(help="Measurement frameworks.")
programme_app = typer.Typer(help="Programmes.")
grantees_app = typer.Typer(help="Grantees.")
round_app = typer.Typer(help="Reporting rounds.")
email_app = typer.Typer(help="Check-ins by email.")
app.add_typer(db_app, name="db")
app.add_typer(framework_app, name="framework")
app.add_typer(programme_app, name="programme")
app.add_typer(grantees_app, name="grantees")
app.add_typer(round_app, name="round")
app.add_typer(schedule.schedule_app, name="schedule")
app.add_typer(schedule.grantee_app, name="grantee")
app.add_typer(email_app, name="email")
app.add_typer(web.web_app, name="web")
app.add_typer(participants.participants_app, name="participants")

db_app.command("upgrade")(setup.db_upgrade)
framework_app.command("check")(setup.framework_check)
programme_app.command("load")(setup.programme_load)
grantees_app.command("import")(setup.grantees_import)
app.command("check-config")(setup.check_config)
round_app.command("open")(rounds.round_open)
round_app.command("status")(rounds.round_status)
round_app.command("close")(schedule.round_close)
app.command()(chat.chat)
app.command()(running.serve)
app.command()(running.demo)
email_app.command("send")(running.email_send)
app.command()(reports.summary)
app.command()(reports.digest)
app.command()(reports.evidence)
app.command()(reports.export)
app.command("status")(status.status)


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        app()
    except KeyboardInterrupt:
        err.print("Interrupted; everything answered so far is saved.")
        sys.exit(130)
