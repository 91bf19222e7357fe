"""`make demo`: a fresh database, the example programme, and simulated grantees answering."""

from __future__ import annotations

import random
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
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
from conversations.framework import (
    ChoiceQuestion,
    CountQuestion,
    Framework,
    NumberQuestion,
    ProportionQuestion,
    Question,
    ScaleQuestion,
    TextQuestion,
    YesNoQuestion,
)
from conversations.state import SessionState, Status
from storage.db import database
from storage.records import CheckInContext, Programme

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PERIOD = "2026 Q4"
DEMO_NOW = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)

STORIES = [
    "Two mums who met at our Saturday cook-along now run the Thursday session together.",
    "Young people from the estate and the new arrivals' group planned the summer fun day.",
    "Our walking football team played its first match against the mosque's team.",
    "The choir now sings in three languages and the audience joins in.",
]
COMMENTS = [
    "More people stay for tea afterwards.",
    "Tension after the local election, but the group held together.",
]


@dataclass
class Grantee:
    """A simulated grantee: answers what is asked, with a few planned detours."""

    rng: random.Random
    detours: dict[str, list[str]] = field(default_factory=dict)  # question id -> texts first

    def answer(self, q: Question, given: Mapping[str, object]) -> str:
        planned = self.detours.get(q.id)
        if planned:
            return planned.pop(0)
        facts = {k: v for k, v in given.items() if isinstance(v, int) and not isinstance(v, bool)}
        return _plausible(q, facts, self.rng)


def _plausible(q: Question, facts: dict[str, int], rng: random.Random) -> str:
    """A believable answer that keeps to the framework's own rules, given earlier answers."""
    if isinstance(q, CountQuestion):
        value = {
            "O1": lambda: rng.randint(8, 30),
            "O2": lambda: facts["O1"] * rng.randint(9, 20),
            "O3": lambda: rng.randint(facts["O2"] // 5, facts["O2"] // 2),
            "O4": lambda: rng.randint(facts["O3"] // 5, facts["O3"] // 2),
            "O5": lambda: rng.randint(3, 18),
            "O5H": lambda: facts["O5"] * rng.randint(6, 20),
            "O6": lambda: rng.randint(facts["O1"] // 2, facts["O1"]),
            "O8": lambda: rng.randint(10, max(10, facts["O3"] // 2)),
            "O8F": lambda: rng.randint(12, max(12, facts["O3"] // 2)),
            "P7N": lambda: rng.randint(facts["O8F"] * 2 // 3, facts["O8F"]),
        }.get(q.id, lambda: rng.randint(q.min, q.min + 20))()
        return f"{value:,}" if value > 999 else str(value)
    if isinstance(q, ProportionQuestion):
        n = rng.randint(max(1, facts.get("O8F", 20) * 2 // 3), max(1, facts.get("O8F", 20)))
        share = {"P6": 0.1, "P3": 0.45}.get(q.id, 0.75)
        x = min(n, max(0, round(n * (share + rng.uniform(-0.15, 0.15)))))
        return rng.choice([f"{x} of {n}", f"{x}/{n}", f"{x} out of {n}"])
    if isinstance(q, NumberQuestion):
        return f"{rng.uniform(6.2, 8.4):.1f}"
    if isinstance(q, ScaleQuestion):
        return str(rng.randint(q.min, q.max))
    if isinstance(q, ChoiceQuestion):
        if q.id == "G1":
            return rng.choice(["better", "1", "about the same", "Better"])
        return str(rng.randint(1, len(q.options)))
    if isinstance(q, YesNoQuestion):
        return "yes" if rng.random() < 0.25 else "no"
    assert isinstance(q, TextQuestion)
    if q.flags_incident:
        return (
            "Some name-calling between two groups of teenagers; we talked with both and it settled."
        )
    return rng.choice(STORIES if q.required else COMMENTS)


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
    await _slack(directory, out)
    await _email(directory, out)
    await _schedule(directory, out)
    async with database(url):  # so the demo ends on what comes back to people
        await _summaries(directory, out, programme, grantees[2].email)
    await _web(directory, out)  # and on a link to open in a browser


async def _web(directory: Path, out: Console) -> None:
    from bot.demo.on_the_web import run_web_demo  # a round opened now, answered on the web pages

    await run_web_demo(directory, out)


async def _schedule(directory: Path, out: Console) -> None:
    from bot.demo.on_schedule import run_schedule_demo  # a quarter run by the scheduler's jobs

    await run_schedule_demo(directory, out)


async def _email(directory: Path, out: Console) -> None:
    from bot.demo.by_email import run_email_demo  # the grantees the terminal demo left untouched

    await run_email_demo(directory, out)


async def _slack(directory: Path, out: Console) -> None:
    from bot.demo.in_slack import run_slack_demo  # it builds on this module's simulated grantees

    await run_slack_demo(directory, out)


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
    from datetime import timedelta

    from bot.demo.summaries import add_past_rounds, show_summaries

    await add_past_rounds(programme, DEMO_NOW)
    await show_summaries(directory, out, programme, email=email, now=DEMO_NOW + timedelta(days=15))
