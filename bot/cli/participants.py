"""`checkins participants`: participants' forms: print, post online, pause, import, figures, delete.

Each command imports what it needs when it runs, so that every other command (and the service,
started through this CLI) starts no slower for them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

from bot.cli.common import fail, plain, run, settings_from, writable
from bot.clock import utc_now
from bot.participants import admin as padmin
from bot.participants.online import FormStatus, register_form, set_form_status
from bot.participants.printable import form_link, poster, printable_form
from bot.participants.report import change_for, describe
from bot.participants.secret import participant_secret
from bot.settings import Settings, SettingsError
from conversations.participant_figures import figures_from_counts
from conversations.participant_items import FormKind
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


def _secret(config: Settings) -> str:
    """The participants' secret, made and kept on first use (as the service would)."""
    try:
        return participant_secret(config)
    except SettingsError as exc:
        fail(f"Configuration problem: {exc}")


def _online_link(config: Settings, where: padmin.Target, period: str, kind: FormKind) -> str:
    """The form's address (`web.public_url` + /p/<token>), recorded so that it opens the form."""
    secret = _secret(config)
    token = run(
        config,
        lambda: register_form(where.grantee.id, period, kind, secret=secret, now=utc_now()),
    )
    return form_link(config.web.base_url(), token)


@participants_app.command("form")
def form(
    grantee: GranteeEmail,
    period: Period,
    out_file: Annotated[Path, typer.Option("--out", help="Where to write the HTML.")],
    kind: Kind = "follow_up",
    programme: ProgrammeOpt = None,
    settings: SettingsPath = None,
) -> None:
    """Write a grantee's printable form (HTML, print it from a browser), with its online link."""

    config = settings_from(settings)
    where = run(config, lambda: padmin.target(grantee, programme))
    link = _online_link(config, where, period, kind)
    html = printable_form(
        where.framework, kind, organisation=where.grantee.organisation, period=period, link=link
    )
    writable(out_file).write_text(html, encoding="utf-8")
    plain(f"Wrote {out_file}. Online: {link}")


@participants_app.command("poster")
def poster_command(
    grantee: GranteeEmail,
    period: Period,
    out_file: Annotated[Path, typer.Option("--out", help="Where to write the HTML.")],
    kind: Kind = "follow_up",
    programme: ProgrammeOpt = None,
    settings: SettingsPath = None,
) -> None:
    """Write a poster or handout for the online form: its QR code and short address, large."""

    config = settings_from(settings)
    where = run(config, lambda: padmin.target(grantee, programme))
    link = _online_link(config, where, period, kind)
    html = poster(
        where.framework, kind, organisation=where.grantee.organisation, period=period, link=link
    )
    writable(out_file).write_text(html, encoding="utf-8")
    plain(f"Wrote {out_file}. Online: {link}")


_STATUS_SAYS: dict[FormStatus, str] = {
    "open": "open: it takes answers",
    "paused": "paused: its page says it is not taking answers just now, and stores nothing "
    "sent to it (`checkins participants reopen` opens it again)",
    "closed": "closed: its page says it has closed, and stores nothing sent to it",
}


def _set_status(
    status: FormStatus,
    grantee: str,
    period: str,
    kind: FormKind,
    programme: str | None,
    settings: Path | None,
) -> None:
    config = settings_from(settings)

    async def work() -> str:
        where = await padmin.target(grantee, programme)
        await set_form_status(where.grantee.id, period, kind, status, now=utc_now())
        return where.grantee.organisation

    organisation = run(config, work)
    name = kind.replace("_", "-")
    plain(f"The {name} form of {organisation} for {period} is {_STATUS_SAYS[status]}.")


@participants_app.command("pause")
def pause(
    grantee: GranteeEmail,
    period: Period,
    kind: Kind = "follow_up",
    programme: ProgrammeOpt = None,
    settings: SettingsPath = None,
) -> None:
    """Pause a grantee's online form: it takes no answers until reopened."""
    _set_status("paused", grantee, period, kind, programme, settings)


@participants_app.command("close")
def close(
    grantee: GranteeEmail,
    period: Period,
    kind: Kind = "follow_up",
    programme: ProgrammeOpt = None,
    settings: SettingsPath = None,
) -> None:
    """Close a grantee's online form: its page says it has closed."""
    _set_status("closed", grantee, period, kind, programme, settings)


@participants_app.command("reopen")
def reopen(
    grantee: GranteeEmail,
    period: Period,
    kind: Kind = "follow_up",
    programme: ProgrammeOpt = None,
    settings: SettingsPath = None,
) -> None:
    """Open a paused or closed online form again."""
    _set_status("open", grantee, period, kind, programme, settings)


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

    secret = _secret(config)  # codes pair with those given online

    async def work() -> int:
        where = await padmin.target(grantee, programme)
        return await padmin.import_keyed(where, period, kind, file, now=utc_now(), secret=secret)

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
