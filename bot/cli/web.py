"""`checkins web ...`: switch off private links to web check-ins."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from bot.clock import utc_now
from bot.settings import Settings, SettingsError, load_settings
from storage import web_links
from storage.db import StorageError, database

web_app = typer.Typer(help="The web check-in.")
out = Console(highlight=False)
err = Console(stderr=True, highlight=False)


@web_app.command("revoke")
def revoke(
    grantee: Annotated[
        str | None, typer.Option(help="Every link of the grantee with this email address.")
    ] = None,
    checkin: Annotated[int | None, typer.Option(help="Every link to this check-in.")] = None,
    settings: Annotated[Path | None, typer.Option(help="Settings file.")] = None,
) -> None:
    """Switch off private links: they open nothing from now on. Messages sent from now carry a
    new link (within ten minutes for a service that is running); a grantee can also ask for one."""
    if (grantee is None) == (checkin is None):
        err.print("Give either --grantee EMAIL or --checkin ID.")
        raise typer.Exit(2)
    try:
        config = load_settings(settings)
        count, found = asyncio.run(_revoke(config, grantee, checkin))
    except (SettingsError, StorageError) as exc:
        err.print(str(exc))
        raise typer.Exit(1) from None
    if not found:
        who = f"the grantee {grantee}" if grantee else f"check-in {checkin}"
        err.print(f"No check-in found for {who}; nothing was revoked.")
        raise typer.Exit(1)
    out.print(f"Revoked {count} link(s) to {found} check-in(s).")


async def _revoke(config: Settings, grantee: str | None, checkin: int | None) -> tuple[int, int]:
    async with database(config.database_url()):
        ids = await web_links.checkin_ids_for(email=grantee, checkin_id=checkin)
        if not ids:
            return 0, 0
        return await web_links.revoke_links(checkin_ids=ids, now=utc_now()), len(ids)
