"""`checkins chat`: a grantee's check-in answered in the terminal."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Annotated

import typer

from bot.admin import operations as admin
from bot.channels.console import ConsoleChannel
from bot.cli.common import SettingsPath, out, plain, run, settings_from
from bot.conversation.channel import InboundMessage
from bot.conversation.dispatcher import Dispatcher
from bot.conversation.rendering import Renderer
from bot.scheduling import availability_requests as availability
from bot.summaries.delivery import register as send_summaries


def chat(
    grantee: Annotated[str, typer.Option(help="The grantee's email address.")],
    programme: Annotated[
        str | None, typer.Option(help="The programme, if the grantee is in several.")
    ] = None,
    settings: SettingsPath = None,
) -> None:
    """Answer a grantee's open check-in in the terminal; quit any time and resume later."""
    config = settings_from(settings)

    async def session() -> None:
        context = await admin.checkin_for_chat(grantee, programme)
        console = ConsoleChannel(Renderer(), write=plain)
        dispatcher = Dispatcher(
            {"console": console},
            max_invalid_attempts=config.conversation.max_invalid_attempts,
            contact_hint=config.conversation.contact_hint,
        )

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

    run(config, session)


def _lines() -> Iterator[str]:
    while True:
        try:
            yield input("> ")
        except EOFError:
            return
