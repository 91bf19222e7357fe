"""The summary, digest, evidence and export commands, run as an operator would run them."""

from __future__ import annotations

import asyncio
from pathlib import Path

from typer.testing import CliRunner

from bot.cli.app import app
from storage.db import database
from tests.e2e import summary_seed as seed
from tests.e2e.summary_seed import proportion

ORGS = [f"Org {letter}" for letter in "ABCDEFG"]


async def _seed(url: str) -> None:
    async with database(url):
        target = await seed.programme("bridges", "northern", ("arts",))
        await seed.grantees(target, [(org, "arts") for org in ORGS])
        await seed.open_round(target, "2026 Q1", 0)
        for minute, org in enumerate(ORGS):
            answers = {"O1": 10 + minute, "O8F": 40, "P1": proportion(20 + minute, 40)}
            await seed.complete(target, "2026 Q1", org, answers, minute=minute)


def test_commands_print_and_write_what_they_say(tmp_path: Path) -> None:
    url = f"sqlite://{tmp_path}/checkins.db"
    asyncio.run(_seed(url))
    settings = tmp_path / "settings.toml"
    settings.write_text(f'[database]\nurl = "{url}"\n')
    runner = CliRunner()

    def run(*args: str) -> str:
        result = runner.invoke(app, [*args, "--settings", str(settings)])
        assert result.exit_code == 0, result.output
        return result.output

    shown = run("summary", "--grantee", "org.g@example.org", "--out", str(tmp_path / "s.html"))
    assert "How your 2026 Q1 check-in compares, Org G" in shown
    assert "65% of 40 participants (26 of 40; 95% interval 50% to 78%)" in shown
    assert 'src="data:image/png;base64,' in (tmp_path / "s.html").read_text()

    digest = run("digest", "--programme", "bridges")
    assert "7 of 7 grantees have reported (100%)." in digest
    run("digest", "--programme", "bridges", "--out", str(tmp_path / "d.html"))
    assert "Different backgrounds get on well" in (tmp_path / "d.html").read_text()

    evidence = run("evidence", "--out", str(tmp_path / "e.html"))
    assert "1 programme(s) and 7 reporting grantees" in evidence
    exported = run(
        "export", "--programme", "bridges", "--format", "csv", "--out", str(tmp_path / "x.csv")
    )
    assert "Wrote 7 row(s)" in exported
    assert "Org A" in (tmp_path / "x.csv").read_text(encoding="utf-8-sig")


def test_mistakes_get_a_clear_message(tmp_path: Path) -> None:
    url = f"sqlite://{tmp_path}/checkins.db"
    asyncio.run(_seed(url))
    settings = tmp_path / "settings.toml"
    settings.write_text(f'[database]\nurl = "{url}"\n')
    runner = CliRunner()
    missing = runner.invoke(
        app, ["summary", "--grantee", "nobody@example.org", "--settings", str(settings)]
    )
    assert missing.exit_code == 1 and "no grantee has the email" in missing.output
    no_folder = runner.invoke(
        app,
        [
            "export",
            "--programme",
            "bridges",
            "--format",
            "csv",
            "--out",
            str(tmp_path / "no" / "x.csv"),
            "--settings",
            str(settings),
        ],
    )
    assert no_folder.exit_code == 1 and "does not exist" in no_folder.output
    unknown = runner.invoke(app, ["digest", "--programme", "nope", "--settings", str(settings)])
    assert unknown.exit_code == 1 and "no programme 'nope'" in unknown.output
