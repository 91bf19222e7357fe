"""The `checkins` command line: setup, rounds, the terminal check-in, configuration and the demo."""

from __future__ import annotations

import asyncio
import logging
import sys
import uuid
from collections.abc import Awaitable, Callable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, NoReturn, TypeVar
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from bot.admin import operations as admin
from bot.admin.grantee_import import GranteeImportError
from bot.admin.programme_file import ProgrammeFileError
from bot.admin.rounds_by_hand import open_round_now
from bot.channels.console import ConsoleChannel
from bot.cli.participants import participants_app
from bot.cli.schedule import grantee_app, round_close, schedule_app
from bot.cli.status import status
from bot.cli.web import web_app
from bot.conversation.channel import InboundMessage
from bot.conversation.dispatcher import Dispatcher, utc_now
from bot.conversation.rendering import Renderer
from bot.settings import Settings, SettingsError, describe_settings, load_settings
from conversations.errors import FrameworkError
from conversations.framework import load_framework
from storage.db import StorageError, database, upgrade
from storage.records import GranteeStatus

app = typer.Typer(
    help="Cohesion Check-ins: social cohesion check-ins for funders and grantees.",
    pretty_exceptions_show_locals=False,  # locals can hold tokens and passwords
)
db_app = typer.Typer(help="The database.")
framework_app = typer.Typer(help="Measurement frameworks.")
programme_app = typer.Typer(help="Programmes.")
grantees_app = typer.Typer(help="Grantees.")
round_app = typer.Typer(help="Reporting rounds.")
app.add_typer(db_app, name="db")
app.add_typer(framework_app, name="framework")
app.add_typer(programme_app, name="programme")
app.add_typer(grantees_app, name="grantees")
app.add_typer(round_app, name="round")
app.add_typer(schedule_app, name="schedule")
app.add_typer(grantee_app, name="grantee")
round_app.command("close")(round_close)
app.command("status")(status)
email_app = typer.Typer(help="Check-ins by email.")
app.add_typer(email_app, name="email")
app.add_typer(web_app, name="web")
app.add_typer(participants_app, name="participants")

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)
T = TypeVar("T")

SettingsPath = Annotated[
    Path | None,
    typer.Option("--settings", help="Settings file (default: ./settings.toml if present)."),
]
ProgrammeSlug = Annotated[str, typer.Option("--programme", help="The programme's slug.")]
USER_ERRORS = (
    SettingsError,
    StorageError,
    ProgrammeFileError,
    GranteeImportError,
    FrameworkError,
    admin.AdminError,
)


def _settings(path: Path | None) -> Settings:
    try:
        return load_settings(path)
    except SettingsError as exc:
        _fail(f"Configuration problem: {exc}")


def _fail(message: str, code: int = 1) -> NoReturn:
    # escaped: messages quote what people wrote, such as [[questions.national]] in a framework
    err.print(f"[red]{escape(message)}[/red]", soft_wrap=True)
    raise typer.Exit(code)


def _run(settings: Settings, work: Callable[[], Awaitable[T]]) -> T:
    """Run one command's work inside a database connection, turning known errors into messages."""

    async def main() -> T:
        async with database(settings.database_url()):
            return await work()

    try:
        return asyncio.run(main())
    except USER_ERRORS as exc:
        _fail(str(exc))


@db_app.command("upgrade")
def db_upgrade(settings: SettingsPath = None) -> None:
    """Apply pending database migrations."""
    config = _settings(settings)
    try:
        applied = asyncio.run(upgrade(config.database_url()))
    except StorageError as exc:
        _fail(str(exc))
    if applied:
        out.print(f"Applied {len(applied)} migration(s): {', '.join(applied)}")
    else:
        out.print("The database is up to date.")


@framework_app.command("check")
def framework_check(file: Path, settings: SettingsPath = None) -> None:
    """Validate a framework file and list its questions."""
    _settings(settings)  # a broken configuration is reported here too, before anything else
    try:
        fw = load_framework(file)
    except FrameworkError as exc:
        _fail(str(exc))
    table = Table(title=f"{fw.title} ({fw.key}): {len(fw.questions)} questions")
    for column in ("#", "id", "section", "kind", "required", "national benchmark", "question"):
        table.add_column(column, overflow="fold")
    for number, q in enumerate(fw.questions, start=1):
        shown = "; ".join(
            f"{bench.geography}: {bench.value:g} {bench.unit}, {bench.year}" for bench in q.national
        )
        table.add_row(
            str(number),
            q.id,
            q.section,
            q.kind,
            "yes" if q.required else "optional",
            shown,
            q.short,
        )
    out.print(table)
    out.print(f"{file} is valid.")


@programme_app.command("load")
def programme_load(file: Path, settings: SettingsPath = None) -> None:
    """Create or update a programme (and its funder) from a programme file."""
    loaded = _run(_settings(settings), lambda: admin.load_programme(file))
    out.print(
        f"Loaded programme {loaded.slug} ({loaded.name}) for {loaded.funder_name}, "
        f"framework {loaded.framework_id}@{loaded.framework_version}."
    )


@grantees_app.command("import")
def grantees_import(file: Path, programme: ProgrammeSlug, settings: SettingsPath = None) -> None:
    """Import grantees from a CSV file; nothing is imported if any row is wrong."""
    result = _run(_settings(settings), lambda: admin.import_grantees(file, programme))
    out.print(f"Imported {file}: {result.created} new grantee(s), {result.updated} updated.")


@round_app.command("open")
def round_open(
    programme: ProgrammeSlug,
    period: Annotated[str, typer.Option(help="The period's label, e.g. '2026 Q4'.")],
    due: Annotated[
        datetime | None, typer.Option(formats=["%Y-%m-%d"], help="Due date (YYYY-MM-DD).")
    ] = None,
    settings: SettingsPath = None,
) -> None:
    """Open a round now, with one check-in per active grantee."""
    config = _settings(settings)
    due_day: date | None = due.date() if due else None
    opened, scheduled = _run(
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


@round_app.command("status")
def round_status(
    programme: ProgrammeSlug,
    period: Annotated[str | None, typer.Option(help="A period (default: the open round).")] = None,
    settings: SettingsPath = None,
) -> None:
    """Who has completed, who is in progress, who has not started."""
    config = _settings(settings)
    report = _run(config, lambda: admin.round_status(programme, period))
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


@app.command()
def chat(
    grantee: Annotated[str, typer.Option(help="The grantee's email address.")],
    programme: Annotated[
        str | None, typer.Option(help="The programme, if the grantee is in several.")
    ] = None,
    settings: SettingsPath = None,
) -> None:
    """Answer a grantee's open check-in in the terminal; quit any time and resume later."""
    config = _settings(settings)

    async def session() -> None:
        context = await admin.checkin_for_chat(grantee, programme)
        console = ConsoleChannel(Renderer(), write=_plain)
        dispatcher = Dispatcher(
            {"console": console},
            max_invalid_attempts=config.conversation.max_invalid_attempts,
            contact_hint=config.conversation.contact_hint,
        )
        from bot.scheduling import availability_requests as availability
        from bot.summaries.delivery import register as send_summaries

        send_summaries(dispatcher)  # the benchmarked summary once the check-in is submitted
        availability.register(dispatcher)  # "remind me Friday", "away until ...", "mute"
        session_id = uuid.uuid4().hex
        await dispatcher.start(context.checkin.id, "console", occasion=session_id)
        out.print("[dim](type your answers; `quit` leaves and keeps your place)[/dim]")
        for line_number, line in enumerate(_lines(), start=1):
            if line.strip().lower() in ("quit", "exit", ":q"):
                break
            message = InboundMessage(
                "console", f"{session_id}:{line_number}", grantee.lower(), line
            )
            await dispatcher.handle(context.checkin.id, message)
            await dispatcher.settle()  # the summary, before the next prompt blocks the loop
        out.print("Your answers are saved. Run the same command to carry on.")

    _run(config, session)


def _plain(text: str) -> None:
    out.print(text, markup=False, highlight=False)


def _lines() -> Iterator[str]:
    while True:
        try:
            yield input("> ")
        except EOFError:
            return


@app.command()
def serve(settings: SettingsPath = None) -> None:
    """Run the service (channels and scheduler) until stopped with Ctrl-C or SIGTERM."""
    from bot.service import build_service

    config = _settings(settings)
    logging.getLogger().setLevel(config.logging.level)
    try:
        asyncio.run(build_service(config).run_until_stopped())
    except USER_ERRORS as exc:
        _fail(str(exc))


@app.command("check-config")
def check_config(settings: SettingsPath = None) -> None:
    """Print the effective configuration, with secrets masked."""
    config = _settings(settings)
    table = Table(title="Effective configuration")
    for column in ("key", "value", "from"):
        table.add_column(column)
    for key, value, source in describe_settings(config):
        table.add_row(key, value, source)
    out.print(table)


@app.command()
def demo(
    directory: Annotated[Path, typer.Option(help="Where the demo keeps its data.")] = Path(
        "var/demo"
    ),
    settings: SettingsPath = None,
) -> None:
    """Run the end-to-end demo on a fresh SQLite database (the settings' conversation options)."""
    from bot.demo.run import run_demo

    conversation = _settings(settings).conversation
    try:
        asyncio.run(
            run_demo(
                directory,
                out,
                max_invalid_attempts=conversation.max_invalid_attempts,
                contact_hint=conversation.contact_hint,
            )
        )
    except USER_ERRORS as exc:
        _fail(str(exc))


# ---- summaries, digests, evidence and exports -------------------------------------------------

OutFile = Annotated[Path | None, typer.Option("--out", help="Write HTML to this file.")]


def _writable(path: Path) -> Path:
    if not path.parent.exists():
        _fail(f"The folder {path.parent} does not exist; create it or choose another --out.")
    return path


@app.command()
def summary(
    grantee: Annotated[str, typer.Option(help="The grantee's email address.")],
    programme: Annotated[
        str | None, typer.Option(help="The programme, if the grantee is in several.")
    ] = None,
    period: Annotated[str | None, typer.Option(help="A period (default: the latest).")] = None,
    out: OutFile = None,
    settings: SettingsPath = None,
) -> None:
    """A grantee's benchmarked summary: their figures beside peers and national figures."""
    from bot.summaries.build import summary_for_grantee
    from bot.summaries.render import SummaryRenderer, data_uris, summary_charts

    config = _settings(settings)
    result = _run(config, lambda: summary_for_grantee(grantee, programme, period))
    renderer = SummaryRenderer()
    _plain(renderer.summary_text(result))
    if out is not None:
        html = renderer.summary_html(result, data_uris(summary_charts(result)))
        _writable(out).write_text(html, encoding="utf-8")
        _plain(f"\nWrote {out}")


@app.command()
def digest(
    programme: ProgrammeSlug,
    period: Annotated[str | None, typer.Option(help="A period (default: the open round).")] = None,
    out: OutFile = None,
    send: Annotated[
        bool, typer.Option("--send", help="Queue it to the programme's contacts and Slack channel.")
    ] = False,
    settings: SettingsPath = None,
) -> None:
    """The funder digest of a programme: responses, outputs, pooled outcomes, what works."""
    from bot.summaries.build import funder_digest
    from bot.summaries.delivery import send_digest
    from bot.summaries.render import SummaryRenderer, data_uris, digest_charts
    from conversations.digests import FunderDigest

    config = _settings(settings)
    renderer = SummaryRenderer()
    now = utc_now()

    async def work() -> tuple[FunderDigest, tuple[int, ...]]:
        if send:
            return await send_digest(programme, period, occasion=f"manual-{now:%Y-%m-%d}")
        return await funder_digest(programme, period, now=now), ()

    result, queued = _run(config, work)
    if out is not None:
        html = renderer.digest_html(result, data_uris(digest_charts(result.indicators)))
        _writable(out).write_text(html, encoding="utf-8")
        _plain(f"Wrote the digest for {result.period} to {out}")
    else:
        _plain(renderer.digest_text(result))
    if send:
        _plain(
            f"Queued {len(queued)} message(s); the service sends them."
            if queued
            else "Already queued today; nothing new to send."
        )


@app.command()
def evidence(
    out: Annotated[Path, typer.Option("--out", help="Write the HTML report to this file.")],
    settings: SettingsPath = None,
) -> None:
    """Pooled, anonymous evidence across every programme on this instance."""
    from bot.summaries.build import pooled_evidence
    from bot.summaries.render import SummaryRenderer, data_uris, digest_charts

    config = _settings(settings)
    result = _run(config, pooled_evidence)
    html = SummaryRenderer().evidence_html(result, data_uris(digest_charts(result.indicators)))
    _writable(out).write_text(html, encoding="utf-8")
    _plain(
        f"Wrote pooled evidence from {result.programmes} programme(s) and {result.grantees} "
        f"reporting grantees to {out}"
    )


@app.command()
def export(
    programme: ProgrammeSlug,
    format: Annotated[str, typer.Option("--format", help="csv or xlsx.")],
    out: Annotated[Path, typer.Option("--out", help="The file to write.")],
    long: Annotated[
        bool, typer.Option("--long", help="One row per answer instead of per check-in.")
    ] = False,
    settings: SettingsPath = None,
) -> None:
    """Export a programme's check-ins: a column per question@version (or --long)."""
    from bot.admin.export import export_programme

    config = _settings(settings)
    table = _run(config, lambda: export_programme(programme, format.lower(), out, long=long))
    _plain(f"Wrote {len(table.rows)} row(s) and {len(table.header)} column(s) to {out}")


@email_app.command("send")
def email_send(programme: ProgrammeSlug, settings: SettingsPath = None) -> None:
    """Email each grantee's check-in for the open round (once per round; completed ones skipped)."""
    from bot.admin.email_rounds import send_round_emails

    config = _settings(settings)
    result = _run(config, lambda: send_round_emails(config, programme))
    out.print(
        f"{result.period}: {result.queued} check-in email(s) queued, {result.sent} sent; "
        f"{result.already} emailed before, {result.skipped} completed or stopped."
    )
    if result.sent < result.queued:
        out.print(
            "Some emails could not be sent yet; `checkins serve` keeps retrying them "
            f"(relay: {config.email.relay})."
        )


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        app()
    except KeyboardInterrupt:
        err.print("Interrupted; everything answered so far is saved.")
        sys.exit(130)
