"""The scheduling commands as an operator runs them: show, open (queued now), away, close."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.clock import utc_now
from tests.support.cli import run_cli

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
NIAMH = "niamh@foylecommonground.example.org"


@pytest.fixture
def settings_file(tmp_path: Path, sqlite_url: str) -> Path:
    path = tmp_path / "settings.toml"
    path.write_text(f'[database]\nurl = "{sqlite_url}"\n')
    return path


run = run_cli


def test_schedule_round_away_and_close(settings_file: Path) -> None:
    assert run(settings_file, "programme", "load", str(EXAMPLES / "programme.toml"))[0] == 0
    args = ("grantees", "import", str(EXAMPLES / "grantees.csv"), "--programme", "bridges-2026")
    assert run(settings_file, *args)[0] == 0

    code, output = run(settings_file, "schedule", "show", "--programme", "bridges-2026")
    assert code == 0, output
    assert "Quarterly, day 'first monday', weekdays only; first message at 10:00" in output
    assert "Upcoming rounds (dates in Europe/London)" in output
    assert "sends in each grantee's local time" in output and "Niamh O'Neill" in output

    code, output = run(
        settings_file, "round", "open", "--programme", "bridges-2026", "--period", "2026 Q4"
    )
    assert code == 0, output
    assert "First messages to 12 grantee(s) are queued to go now" in output

    back = (utc_now() + timedelta(days=10)).date()
    code, output = run(settings_file, "grantee", "away", NIAMH, "--until", f"{back}")
    assert code == 0
    assert output.strip() == f"Niamh O'Neill (Foyle Common Ground) is away until {back}."
    code, output = run(settings_file, "grantee", "away", "nobody@example.org", "--until", f"{back}")
    assert code == 1 and "no grantee has the email 'nobody@example.org'" in output
    code, output = run(settings_file, "grantee", "away", NIAMH)
    assert code == 1 and "Give --until YYYY-MM-DD" in output

    code, output = run(settings_file, "round", "status", "--programme", "bridges-2026")
    assert code == 0 and f"away until {back:%d %b %Y}" in output
    assert "12 grantee(s): 1 away, 11 not started." in output  # away is not counted as missing

    code, output = run(settings_file, "schedule", "show", "--programme", "bridges-2026")
    assert code == 0 and "Open round 2026 Q4" in output
    assert f"away until {back}" in output and "first message" in output

    code, output = run(settings_file, "round", "close", "--programme", "bridges-2026")
    assert code == 0 and output.startswith("Closed round 2026 Q4 at ")
    code, output = run(settings_file, "round", "close", "--programme", "bridges-2026")
    assert code == 1 and "has no open round" in output
