"""The `checkins` commands as an operator runs them, against SQLite and PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli.app import app
from tests.support.cli import run_cli

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
FRAMEWORKS = Path(__file__).resolve().parents[1] / "data" / "frameworks"
EMAIL = "amina@unitythroughfood.example.org"


@pytest.fixture
def settings_file(tmp_path: Path, db_url: str) -> Path:
    path = tmp_path / "settings.toml"
    path.write_text(f'[database]\nurl = "{db_url}"\n')
    return path


run = run_cli


def setup_programme(settings: Path) -> None:
    assert run(settings, "programme", "load", str(EXAMPLES / "programme.toml"))[0] == 0
    code, output = run(
        settings,
        "grantees",
        "import",
        str(EXAMPLES / "grantees.csv"),
        "--programme",
        "bridges-2026",
    )
    assert code == 0, output


def test_programme_load_and_grantee_import_then_reimport_updates(settings_file: Path) -> None:
    code, output = run(settings_file, "programme", "load", str(EXAMPLES / "programme.toml"))
    assert code == 0
    assert "Loaded programme bridges-2026 (Bridges Community Fund) for Northern Light" in output
    args = ("grantees", "import", str(EXAMPLES / "grantees.csv"), "--programme", "bridges-2026")
    assert "12 new grantee(s), 0 updated" in run(settings_file, *args)[1]
    assert "0 new grantee(s), 0 updated" in run(settings_file, *args)[1]


def test_bad_csv_reports_every_problem_by_row_and_imports_nothing(settings_file: Path) -> None:
    assert run(settings_file, "programme", "load", str(EXAMPLES / "programme.toml"))[0] == 0
    bad = EXAMPLES / "grantees_with_errors.csv"
    code, output = run(settings_file, "grantees", "import", str(bad), "--programme", "bridges-2026")
    assert code == 1
    assert "row 3" in output and "email" in output and "timezone" in output
    code, output = run(
        settings_file, "round", "open", "--programme", "bridges-2026", "--period", "Q4"
    )
    assert code == 0 and "with 0 check-in(s)" in output  # nothing was imported


def test_unknown_programme_says_how_to_load_one(settings_file: Path) -> None:
    code, output = run(
        settings_file, "grantees", "import", str(EXAMPLES / "grantees.csv"), "--programme", "nope"
    )
    assert code == 1 and "no programme 'nope'" in output and "checkins programme load" in output


def test_round_open_twice_creates_nothing_new_and_status_lists_everyone(
    settings_file: Path,
) -> None:
    setup_programme(settings_file)
    opening = ("round", "open", "--programme", "bridges-2026", "--period", "2026 Q4")
    code, output = run(settings_file, *opening, "--due", "2099-01-15")
    assert code == 0 and "Opened round 2026 Q4 with 12 check-in(s)." in output
    assert "Due Thursday 15 January 2099 (Europe/London)." in output
    code, output = run(settings_file, *opening)
    assert "already open; 0 new check-in(s)" in output
    code, output = run(settings_file, "round", "status", "--programme", "bridges-2026")
    assert code == 0
    assert "Unity Through Food" in output and "Amina Hussain" in output
    assert "12 grantee(s): 12 not started." in output


def test_round_open_refuses_a_due_date_in_the_past(settings_file: Path) -> None:
    setup_programme(settings_file)
    code, output = run(
        settings_file, "round", "open", "--programme", "bridges-2026", "--period", "Q1",
        "--due", "2001-01-01",
    )  # fmt: skip
    assert code == 1 and "in the past" in output


def test_chat_resumes_at_the_same_question_in_a_new_process(
    settings_file: Path, tmp_path: Path
) -> None:
    setup_programme(settings_file)
    run(settings_file, "round", "open", "--programme", "bridges-2026", "--period", "2026 Q4")
    command = [sys.executable, "-m", "bot", "chat", "--grantee", EMAIL]
    command += ["--settings", str(settings_file)]
    env = {**os.environ, "COLUMNS": "200"}
    first = subprocess.run(
        command, input="12\nlots\n300\nquit\n", capture_output=True, text=True, env=env,
        timeout=60, check=True,
    )  # fmt: skip
    assert "Question 1 (0 of" in first.stdout
    assert "Saved. Sessions run: 12 sessions." in first.stdout
    assert "I need a whole number of attendances, like 12." in first.stdout
    assert "Saved. Total attendance: 300 attendances." in first.stdout
    assert "Your answers are saved. Run the same command to carry on." in first.stdout
    second = subprocess.run(
        command, input="", capture_output=True, text=True, env=env, timeout=60, check=True
    )
    assert "Question 3 (2 of" in second.stdout and "Hello" not in second.stdout


def test_framework_check_lists_questions_or_names_the_problem(tmp_path: Path) -> None:
    settings = tmp_path / "none.toml"
    settings.write_text("")
    default = (
        Path(__file__).resolve().parents[2] / "conversations/frameworks/social_cohesion_v1.toml"
    )
    result = CliRunner().invoke(app, ["framework", "check", str(default)], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "26 questions" in result.output and "England: 62 percent, 2024/25" in result.output
    assert "UK: 7.45 mean, year ending March 2023" in result.output
    broken = sorted(FRAMEWORKS.glob("*.toml"))[0]
    result = CliRunner().invoke(app, ["framework", "check", str(broken)], env={"COLUMNS": "200"})
    assert result.exit_code == 1 and broken.name in result.output
    old = FRAMEWORKS / "stored_social_cohesion_v1_with_old_benchmarks.toml"
    result = CliRunner().invoke(app, ["framework", "check", str(old)], env={"COLUMNS": "200"})
    assert result.exit_code == 1
    assert "is the old form of a national figure" in result.output
    assert "give each figure as a [[questions.national]] table" in result.output


def test_check_config_masks_secrets_and_bad_values_name_the_key(tmp_path: Path) -> None:
    settings = tmp_path / "settings.toml"
    settings.write_text('[email]\ninbound_port = "lots"\n')
    result = CliRunner().invoke(app, ["check-config", "--settings", str(settings)])
    assert result.exit_code == 1 and "email.inbound_port" in result.output
    settings.write_text("[database]\nurl = 'sqlite://x.db'\n")
    secret = "xoxb-1234567890-abcdefghijklmnop"
    result = CliRunner().invoke(
        app,
        ["check-config", "--settings", str(settings)],
        env={"SLACK_BOT_TOKEN": secret, "COLUMNS": "200"},
    )
    assert result.exit_code == 0 and "slack.bot_token" in result.output
    assert secret not in result.output and "database.url" in result.output


def test_db_upgrade_applies_migrations_once(tmp_path: Path, empty_db_url: str) -> None:
    settings_file = tmp_path / "settings.toml"
    settings_file.write_text(f'[database]\nurl = "{empty_db_url}"\n')
    code, output = run(settings_file, "db", "upgrade")
    assert code == 0 and "Applied" in output and "0001_initial" in output
    code, output = run(settings_file, "db", "upgrade")
    assert code == 0 and "The database is up to date." in output
