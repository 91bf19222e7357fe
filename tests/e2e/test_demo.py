"""`make demo` runs a whole round: re-prompts, a skip, a back and edits appear in what it prints."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console

from bot.demo.run import run_demo


async def test_demo_shows_complete_check_ins_with_reprompts_skip_back_and_edit(
    tmp_path: Path,
) -> None:
    buffer = io.StringIO()
    await run_demo(tmp_path / "demo", Console(file=buffer, width=200))
    shown = buffer.getvalue()
    assert "imported 12 grantees; opened 2026 Q4 with 12 check-ins" in shown
    assert "> about a dozen" in shown and "I need a whole number of sessions, like 12." in shown
    assert "First-time participants (900) can't be more than unique participants" in shown
    assert "> skip" in shown and "Skipped Volunteer hours." in shown
    assert "> back" in shown
    assert "> edit 1" in shown and "Changed Sessions run from 12 sessions to 14 sessions." in shown
    assert "> later" in shown and "(later, in a new terminal session)" in shown
    assert "Thank you, your check-in is complete" in shown
    assert "Updated. Your check-in stays submitted" in shown
    assert "Audit trail for" in shown and "O5 changed from" in shown
    transcripts = sorted((tmp_path / "demo" / "transcripts").glob("*.txt"))
    assert len(transcripts) == 10  # two grantees have not started
