"""`checkins web ...`: switch off private links to web check-ins."""

from __future__ import annotations

from typing import Annotated

import typer

from bot.admin.operations import revoke_web_links
from bot.cli.common import SettingsPath, fail, out, run, settings_from
from bot.clock import utc_now

web_app = typer.Typer(help="The web check-in.")


@web_app.command("revoke")
def revoke(
    grantee: Annotated[
        str | None, typer.Option(help="Every link of the grantee with this email address.")
    ] = None,
    checkin: Annotated[int | None, typer.Option(help="Every link to this check-in.")] = None,
    settings: SettingsPath = None,
) -> None:
    """Switch off private links: they open nothing from now on. Messages sent from now carry a
    new link (within ten minutes for a service that is running); a grantee can also ask for one."""
    if (grantee is None) == (checkin is None):
        fail("Give either --grantee EMAIL or --checkin ID.", code=2)
    config = settings_from(settings)
    count, found = run(config, lambda: revoke_web_links(grantee, checkin, now=utc_now()))
    if not found:
        who = f"the grantee {grantee}" if grantee else f"check-in {checkin}"
        fail(f"No check-in found for {who}; nothing was revoked.")
    out.print(f"Revoked {count} link(s) to {found} check-in(s).")
