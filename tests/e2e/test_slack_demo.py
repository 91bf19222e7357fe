"""The Slack part of `make demo`: signed requests in, the stand-in's record of the DMs out."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console

from bot.demo.in_slack import run_slack_demo


async def test_slack_demo_prints_the_dms_as_text(tmp_path: Path) -> None:
    buffer = io.StringIO()
    await run_slack_demo(tmp_path, Console(file=buffer, width=200))
    shown = buffer.getvalue()
    assert "Hello Amina Hussain, this is your Bridges Community Fund check-in for 2026 Q4" in shown
    assert "[clicks 10\u201324%]" in shown  # a choice answered with its button
    assert (
        "(the question above now reads: Question 1: How many sessions, activities or events did "
        "you run this period? Answer: 27 sessions)" in shown
    )
    assert "[clicks Submit]" in shown and "Thank you, your check-in is complete" in shown
    assert "[clicks Later]" in shown and "Your 3 of 14 answers are saved" in shown
    assert "Hello Rhys Evans" in shown  # known by email only, found through his profile
    assert "I couldn't find you among them, so nothing was recorded" in shown
    amina = (tmp_path / "slack" / "dm-U0AMINA001.txt").read_text()
    assert amina.count("  [clicks ") >= 3 and "> 27" in amina
