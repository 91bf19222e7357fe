"""`checkins participants`: participants' feedback forms: print, import, figures, delete, purge.

Each command imports what it needs when it runs, so that every other command (and the service,
started through this CLI) starts no slower for them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

from bot.cli.common import plain, run, settings_from
from bot.clock import utc_now
from bot.participants import admin as padmin
from bot.participants.printable import form_link, form_token, printable_form
from bot.participants.printable_pdf import printable_pdf
from bot.participants.report import change_for, describe
from conversations.participant_figures import figures_from_counts
from storage.participants import form_counts, reported_count

participants_app = typer.Typer(help="Participants' feedback forms.")

SettingsPath = Annotated[
    Path | None,
    typer.Option("--settings", help="Settings file (default: ./settings.toml if present)."),
]
GranteeEmail = Annotated[str, typer.Option("--grantee", help="The grantee's email address.")]
ProgrammeOpt = Annotated[
    str | None, typer.Option("--programme", help="The programme, if the email has several.")
]
Period = Annotated[str, typer.Option("--period", help="The reporting period, e.g. '2026 Q4'.")]
Kind = Annotated[
    Literal["baseline", "follow_up"],
    typer.Option("--kind", help="baseline (at entry) or follow_up (at the end)."),
]


@participants_app.command("form")
def form(
    grantee: GranteeEmail,
    period: Period,
    out_file: Annotated[
        Path,
        typer.Option("--out", help="Where to write it: a .pdf file, or HTML for any other name."),
    ],
    kind: Kind = "follow_up",
    programme: ProgrammeOpt = None,
    settings: SettingsPath = None,
) -> None:
    """Write a grantee's printable form (PDF, or HTML to print from a browser), with its link."""

    config = settings_from(settings)
    where = run(config, lambda: padmin.target(grantee, programme))
    secret = config.participants.link_secret
    link = None
    if secret is not None:
        token = form_token(secret.get_secret_value(), where.grantee.id, period, kind)
        link = form_link(config.web.base_url(), token)
    organisation = where.grantee.organisation
    if out_file.suffix.lower() == ".pdf":
        pdf = printable_pdf(
            where.framework, kind, organisation=organisation, period=period, link=link
        )
        out_file.write_bytes(pdf)
    else:
        html = printable_form(
            where.framework, kind, organisation=organisation, period=period, link=link
        )
        out_file.write_text(html, encoding="utf-8")
    plain(f"Wrote {out_file}.")
    if link is None:
        plain(
            "No online link or QR code on it: set CHECKINS_PARTICIPANTS__LINK_SECRET to a long "
            "random string to add them."
        )


@participants_app.command("import")
def import_forms(
    file: Annotated[Path, typer.Argument(help="CSV: a column per question id, a row per form.")],
    grantee: GranteeEmail,
    period: Period,
    kind: Kind = "follow_up",
    programme: ProgrammeOpt = None,
    settings: SettingsPath = None,
) -> None:
    """Import paper forms typed into a CSV file; any bad row stops the whole file."""

    config = settings_from(settings)

    async def work() -> int:
        where = await padmin.target(grantee, programme)
        return await padmin.import_keyed(where, period, kind, file, now=utc_now())

    count = run(config, work)
    plain(f"Imported {count} {kind.replace('_', '-')} forms for {grantee}, {period}.")


@participants_app.command("figures")
def figures(
    grantee: GranteeEmail,
    period: Period,
    programme: ProgrammeOpt = None,
    settings: SettingsPath = None,
) -> None:
    """A grantee's figures from its forms for a period, and change where forms are paired."""

    config = settings_from(settings)

    async def work() -> list[str]:
        where = await padmin.target(grantee, programme)
        counts = await form_counts(where.grantee.id, period)
        found = figures_from_counts(where.framework, counts.answers, counts.forms, counts.held)
        paired = await change_for(where.framework, where.grantee.id)
        form = where.framework.participant_form
        people = None
        if form is not None and form.unique_participants is not None:
            people = await reported_count(where.grantee.id, period, form.unique_participants)
        return list(
            describe(
                where.framework,
                found,
                paired,
                grant_amount=where.grantee.grant_amount,
                participants_count=people,
            )
        )

    for line in run(config, work):
        plain(line)


@participants_app.command("delete")
def delete(
    grantee: GranteeEmail,
    programme: ProgrammeOpt = None,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    settings: SettingsPath = None,
) -> None:
    """Delete every participant form a grantee has collected (their check-in answers stay)."""

    config = settings_from(settings)
    where = run(config, lambda: padmin.target(grantee, programme))
    if not yes and not typer.confirm(
        f"Delete all participant forms of {where.grantee.organisation} ({grantee})?"
    ):
        raise typer.Exit(1)
    count = run(config, lambda: padmin.delete_for(where))
    plain(f"Deleted {count} participant forms of {where.grantee.organisation}.")


@participants_app.command("purge")
def purge(settings: SettingsPath = None) -> None:
    """Delete forms older than the retention period (participants.retention_days)."""

    config = settings_from(settings)
    days = config.participants.retention_days
    count = run(config, lambda: padmin.purge(days, now=utc_now()))
    plain(f"Deleted {count} participant forms received more than {days} days ago.")
