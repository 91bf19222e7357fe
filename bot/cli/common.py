"""What every command shares: the console, settings, running work in a database, errors."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from bot.errors import BotError
from bot.settings import Settings, SettingsError
from bot.settings_loading import load_settings
from conversations.errors import ConversationsError
from storage.db import database
from storage.errors import StorageError

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)
T = TypeVar("T")

SettingsPath = Annotated[
    Path | None,
    typer.Option("--settings", help="Settings file (default: ./settings.toml if present)."),
]
ProgrammeSlug = Annotated[str, typer.Option("--programme", help="The programme's slug.")]
# each package's error base: a person's mistake or an unreachable service, printed as a message
USER_ERRORS = (BotError, StorageError, ConversationsError)


def settings_from(path: Path | None) -> Settings:
    try:
        return load_settings(path)
    except SettingsError as exc:
        fail(f"Configuration problem: {exc}")


def fail(message: str, code: int = 1) -> NoReturn:
    # escaped: messages quote what people wrote, such as [[questions.national]] in a framework
    err.print(f"[red]{escape(message)}[/red]", soft_wrap=True)
    raise typer.Exit(code)


def run(settings: Settings, work: Callable[[], Awaitable[T]]) -> T:
    """Run one command's work inside a database connection, turning known errors into messages."""

    async def main() -> T:
        async with database(settings.database_url()):
            return await work()

    try:
        return asyncio.run(main())
    except USER_ERRORS as exc:
        fail(str(exc))


def plain(text: str) -> None:
    out.print(text, markup=False, highlight=False)


def writable(path: Path) -> Path:
    if not path.parent.exists():
        fail(f"The folder {path.parent} does not exist; create it or choose another --out.")
    return path
