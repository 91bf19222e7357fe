"""Run the `checkins` command line in-process with a settings file, as an operator would."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from bot.cli.app import app


def run_cli(settings: Path, *args: str) -> tuple[int, str]:
    """Exit code and output of `checkins ARGS --settings SETTINGS`, on a wide terminal."""
    result = CliRunner().invoke(app, [*args, "--settings", str(settings)], env={"COLUMNS": "220"})
    return result.exit_code, result.output
