"""Running things: the service, the demo, and a round's check-in emails."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Annotated

import typer

from bot.admin.email_rounds import send_round_emails
from bot.cli.common import USER_ERRORS, ProgrammeSlug, SettingsPath, fail, out, run, settings_from
from bot.demo.run import run_demo
from bot.service import build_service


def serve(settings: SettingsPath = None) -> None:
    """Run the service (channels and scheduler) until stopped with Ctrl-C or SIGTERM."""

    config = settings_from(settings)
    logging.getLogger().setLevel(config.logging.level)
    try:
        asyncio.run(build_service(config).run_until_stopped())
    except USER_ERRORS as exc:
        fail(str(exc))


def demo(
    directory: Annotated[Path, typer.Option(help="Where the demo keeps its data.")] = Path(
        "var/demo"
    ),
    settings: SettingsPath = None,
) -> None:
    """Run the end-to-end demo on a fresh SQLite database (the settings' conversation options)."""

    conversation = settings_from(settings).conversation
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
        fail(str(exc))


# ---- summaries, digests, evidence and exports -------------------------------------------------


def email_send(programme: ProgrammeSlug, settings: SettingsPath = None) -> None:
    """Email each grantee's check-in for the open round (once per round; completed ones skipped)."""

    config = settings_from(settings)
    result = run(config, lambda: send_round_emails(config, programme))
    out.print(
        f"{result.period}: {result.queued} check-in email(s) queued, {result.sent} sent; "
        f"{result.already} emailed before, {result.skipped} completed or stopped."
    )
    if result.sent < result.queued:
        out.print(
            "Some emails could not be sent yet; `checkins serve` keeps retrying them "
            f"(relay: {config.email.relay})."
        )
