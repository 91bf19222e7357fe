"""`make demo`: a fresh database, the example programme, and simulated grantees answering."""

from __future__ import annotations

import random
import shutil
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.table import Table

import storage
from bot.admin import operations as admin
from bot.channels.console import ConsoleChannel
from bot.conversation.channel import InboundMessage
from bot.conversation.dispatcher import Dispatcher
from bot.conversation.frameworks import framework_for
from bot.conversation.rendering import Renderer
from bot.demo.by_email import run_email_demo
from bot.demo.grantees import DEMO_NOW, EXAMPLES, PERIOD, Grantee
from bot.demo.in_slack import run_slack_demo
from bot.demo.on_schedule import run_schedule_demo
from bot.demo.on_the_web import run_web_demo
from bot.demo.summaries import add_past_rounds, show_summaries
from conversations.framework import (
    Framework,
)
from conversations.state import SessionState, Status
from storage.db import database
from storage.records import CheckInContext, Programme

# who does what in the demo, by their row in examples/grantees.csv
PLANS: dict[int, dict[str, list[str]]] = {
    0: {"O1": ["about a dozen", "-3", "12 sessions"], "O4": ["900"], "O5H": ["skip"]},
    1: {"O3": ["help"], "O7": ["lots", "2"], "P1": ["41 of 32"]},
    2: {"O2": ["twelve hundred", "1,200"], "G1": ["b"]},
}
BACK_AT = {0: "O6"}  # says `back` when asked this, then answers both again
EDIT_AT_REVIEW = {0: ("1", "14")}  # at the review: `edit 1`, then the new answer
PAUSE_AT = {1: "O8"}  # says `later` here, then comes back in a new session
EDIT_AFTER = {2: ("O5", "9")}  # after completing: `edit O5`, then the new answer
STOP_AT = {9: "O4"}  # stops part-way
NOT_STARTED = {10, 11}
FULL_TRANSCRIPTS = 3


async def run_demo(
    directory: Path, out: Console, *, max_invalid_attempts: int = 3, contact_hint: str = ""
) -> None:
    directory = directory.resolve()
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    url = f"sqlite://{directory / 'checkins.sqlite3'}"
    out.rule("Cohesion Check-ins: demo")
    out.print(f"Fresh database: {url}")
    async with database(url):
        programme = await admin.load_programme(EXAMPLES / "programme.toml")
        imported = await admin.import_grantees(EXAMPLES / "grantees.csv", programme.slug)
        opened = await admin.open_round(
            programme.slug, PERIOD, now=DEMO_NOW, timezone="Europe/London"
        )
        out.print(
            f"Loaded {programme.name} ({programme.funder_name}); imported {imported.created} "
            f"grantees; opened {PERIOD} with {opened.created} check-ins.\n"
        )
        grantees = await storage.list_grantees(programme.id)
        transcripts: list[tuple[str, list[str]]] = []
        for index, grantee in enumerate(grantees):
            if index in NOT_STARTED:
                continue
            (context,) = await storage.open_checkins_for_email(grantee.email)
            lines = await _converse(context, index, max_invalid_attempts, contact_hint)
            transcripts.append((f"{grantee.name}, {grantee.organisation}", lines))
        saved = directory / "transcripts"
        saved.mkdir()
        for number, (title, lines) in enumerate(transcripts, start=1):
            (saved / f"{number:02d}.txt").write_text(title + "\n" + "\n".join(lines) + "\n")
        for title, lines in transcripts[:FULL_TRANSCRIPTS]:
            out.rule(title)
            for line in lines:
                out.print(line, markup=False, highlight=False, soft_wrap=True)
        out.rule("The other grantees")
        for title, lines in transcripts[FULL_TRANSCRIPTS:]:
            answered = sum(1 for line in lines if line.startswith("  > "))
            out.print(f"{title}: {answered} replies", markup=False)
        out.print(f"Every conversation is saved in {saved}/.", markup=False)
        report = await admin.round_status(programme.slug)
        await _print_status(out, report)
        (first,) = await storage.open_checkins_for_email(grantees[2].email)
        history = await storage.answer_history(first.checkin.id)
        edits = [h for h in history if h.old_value is not None and not h.new_skipped]
        london = ZoneInfo("Europe/London")
        for change in edits:
            out.print(
                f"Audit trail for {grantees[2].name}: {change.question_id} changed from "
                f"{change.old_value} to {change.new_value} by {change.actor} at "
                f"{change.changed_at.astimezone(london):%d %b %Y %H:%M:%S} (Europe/London)",
                markup=False,
                soft_wrap=True,
            )
    await run_slack_demo(directory, out)
    await run_email_demo(directory, out)  # the grantees the terminal demo left untouched
    await run_schedule_demo(directory, out)  # a quarter run by the scheduler's jobs
    async with database(url):  # so the demo ends on what comes back to people
        await _summaries(directory, out, programme, grantees[2].email)
    await run_web_demo(directory, out)  # a round opened now, answered on the web pages


async def _converse(
    context: CheckInContext, index: int, max_invalid_attempts: int, contact_hint: str
) -> list[str]:
    lines: list[str] = []

    def write(text: str) -> None:
        lines.extend("  " + line for line in ("Bot: " + text).splitlines())

    dispatcher = Dispatcher(
        {"console": ConsoleChannel(Renderer(), write=write)},
        max_invalid_attempts=max_invalid_attempts,
        contact_hint=contact_hint,
    )
    framework = framework_for(context.programme)
    plans = {k: list(v) for k, v in PLANS.get(index, {}).items()}
    person = Grantee(random.Random(index), detours=plans)
    moments = {BACK_AT.get(index): "back", PAUSE_AT.get(index): "later", STOP_AT.get(index): "stop"}
    edits = {
        Status.REVIEWING: EDIT_AT_REVIEW.get(index),
        Status.COMPLETED: EDIT_AFTER.get(index),
    }
    checkin_id = context.checkin.id
    await dispatcher.start(checkin_id, "console", occasion="demo-1")
    for step in range(200):
        text = _next_text(await _state(checkin_id), framework, person, moments, edits)
        if text is None:
            break
        if text == "resume":
            lines.append("  (later, in a new terminal session)")
        lines.append(f"  > {text}")
        message = InboundMessage("console", f"demo-{index}-{step}", context.grantee.email, text)
        await dispatcher.handle(checkin_id, message)
        await dispatcher.settle()
    return lines


def _next_text(
    state: SessionState,
    framework: Framework,
    person: Grantee,
    moments: dict[str | None, str],
    edits: dict[Status, tuple[str, str] | None],
) -> str | None:
    """What the simulated grantee says next, or None when they are finished."""
    if state.current is not None and state.status in (Status.IN_PROGRESS, Status.COMPLETED):
        planned = moments.pop(state.current, None)
        return planned or person.answer(framework.question(state.current), state.answers)
    if state.status is Status.PAUSED:
        return "resume"
    edit = edits.get(state.status)
    if edit is not None:
        edits[state.status] = None
        question_ref, new_answer = edit
        target = (
            framework.questions[int(question_ref) - 1].id
            if question_ref.isdigit()
            else question_ref
        )
        person.detours[target] = [new_answer]
        return f"edit {question_ref}"
    return "submit" if state.status is Status.REVIEWING else None


async def _state(checkin_id: int) -> SessionState:
    context = await storage.load_checkin_context(checkin_id)
    return SessionState.from_json(context.checkin.state)


async def _print_status(out: Console, report: admin.RoundReport) -> None:
    table = Table(title=f"Round status: {report.programme.name}, {report.round.period}")
    for column in ("organisation", "grantee", "status", "answers"):
        table.add_column(column)
    for row in report.rows:
        status = row.checkin.status.replace("_", " ") if row.checkin else "no check-in"
        table.add_row(row.grantee.organisation, row.grantee.name, status, str(row.answered))
    out.print(table)


async def _summaries(directory: Path, out: Console, programme: Programme, email: str) -> None:
    """Two past rounds (for trends and peers), a grantee's summary and the funder digest."""
    await add_past_rounds(programme, DEMO_NOW)
    await show_summaries(directory, out, programme, email=email, now=DEMO_NOW + timedelta(days=15))
