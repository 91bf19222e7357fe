"""Setting up: the database, frameworks, programmes, grantees and the configuration."""

from __future__ import annotations

import asyncio
from pathlib import Path

from rich.table import Table

from bot.admin import operations as admin
from bot.cli.common import ProgrammeSlug, SettingsPath, fail, out, run, settings_from
from bot.settings_loading import describe_settings
from conversations.errors import FrameworkError
from conversations.framework import load_framework
from storage.db import upgrade
from storage.errors import StorageError


def db_upgrade(settings: SettingsPath = None) -> None:
    """Apply pending database migrations."""
    config = settings_from(settings)
    try:
        applied = asyncio.run(upgrade(config.database_url()))
    except StorageError as exc:
        fail(str(exc))
    if applied:
        out.print(f"Applied {len(applied)} migration(s): {', '.join(applied)}")
    else:
        out.print("The database is up to date.")


def framework_check(file: Path, settings: SettingsPath = None) -> None:
    """Validate a framework file and list its questions."""
    settings_from(settings)  # a broken configuration is reported here too, before anything else
    try:
        fw = load_framework(file)
    except FrameworkError as exc:
        fail(str(exc))
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


def programme_load(file: Path, settings: SettingsPath = None) -> None:
    """Create or update a programme (and its funder) from a programme file."""
    loaded = run(settings_from(settings), lambda: admin.load_programme(file))
    out.print(
        f"Loaded programme {loaded.slug} ({loaded.name}) for {loaded.funder_name}, "
        f"framework {loaded.framework_id}@{loaded.framework_version}."
    )


def grantees_import(file: Path, programme: ProgrammeSlug, settings: SettingsPath = None) -> None:
    """Import grantees from a CSV file; nothing is imported if any row is wrong."""
    result = run(settings_from(settings), lambda: admin.import_grantees(file, programme))
    out.print(f"Imported {file}: {result.created} new grantee(s), {result.updated} updated.")


def check_config(settings: SettingsPath = None) -> None:
    """Print the effective configuration, with secrets masked."""
    config = settings_from(settings)
    table = Table(title="Effective configuration")
    for column in ("key", "value", "from"):
        table.add_column(column)
    for key, value, source in describe_settings(config):
        table.add_row(key, value, source)
    out.print(table)
