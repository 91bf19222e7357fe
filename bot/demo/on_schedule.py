"""The demo's scheduling part: a quarter run by the scheduler's jobs on an accelerated clock."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.table import Table

import storage
from bot.admin import operations as admin
from bot.conversation.channel import Delivery, InboundMessage
from bot.conversation.dispatcher import Dispatcher
from bot.conversation.frameworks import framework_for
from bot.conversation.rendering import ConversationView, Renderer
from bot.scheduling import availability_requests as availability
from bot.scheduling.jobs import Jobs
from conversations.state import Prompt, SessionState, Status
from storage.db import database
from storage.records import GranteeSpec

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
START = datetime(2027, 1, 3, 10, 0, tzinfo=ZoneInfo("UTC"))  # the 2027 Q1 round is due
HOME = [
    GranteeSpec(
        "Amina Hussain",
        "Unity Through Food",
        "amina@unitythroughfood.example.org",
        None,
        "Europe/London",
        "food",
        "Bradford",
    ),
    GranteeSpec(
        "Raj Patel",
        "Belgrave Arts Collective",
        "raj@belgravearts.example.org",
        None,
        "Europe/London",
        "arts",
        "Leicester",
    ),
]
ABROAD = [
    GranteeSpec(name, org, email, None, zone, activity, place)
    for name, org, email, zone, activity, place in (
        ("Rosa Diaz", "Bronx Neighbours", "rosa@bronx.example", "America/New_York", "food", "NYC"),
        ("Arjun Sen", "Kolkata Commons", "arjun@kolkata.example", "Asia/Kolkata", "arts", "WB"),
        ("Mere Tane", "Otara Together", "mere@otara.example", "Pacific/Auckland", "youth", "AKL"),
    )
]
SHOWN = {g.email for g in HOME + ABROAD}
REPLIES = {"count": "10", "number": "7.5", "proportion": "8 of 10", "choice": "1", "yes_no": "no"}


@dataclass(frozen=True)
class _Sent:
    at: datetime
    channel: str
    recipient: str
    text: str


class _DemoChannel:
    """Renders like the terminal and keeps what it would have sent, with the clock's time."""

    def __init__(self, name: str, log: list[_Sent], jobs_clock: list[datetime]) -> None:
        self.name = name
        self.log = log
        self.now = jobs_clock
        self.renderer = Renderer()

    def recipient(self, context: Any) -> str:
        return str(context.grantee.email)

    def render(self, prompts: Sequence[Prompt], view: ConversationView) -> dict[str, Any]:
        return {"text": self.renderer.text(prompts, view)}

    async def deliver(self, delivery: Delivery) -> str | None:
        text = str(delivery.payload["text"])
        self.log.append(_Sent(self.now[0], self.name, delivery.recipient, text))
        return None


def _kind(text: str) -> str:
    if "check-in for" in text and text.startswith("Hello") and "reminder" not in text:
        return "first message"
    if "was due on" in text:
        return "reminder (overdue)"
    if "a reminder about" in text:
        return "reminder"
    if "grantees have completed" in text:
        return "notice to contacts"
    return ""


async def run_schedule_demo(directory: Path, out: Console) -> None:
    url = f"sqlite://{directory / 'schedule.sqlite3'}"
    out.rule("Scheduling: a quarter on an accelerated clock")
    async with database(url):
        programme = await admin.load_programme(EXAMPLES / "programme.toml")
        await storage.upsert_grantees(programme.id, HOME + ABROAD)
        now = [START]
        log: list[_Sent] = []
        channels = {name: _DemoChannel(name, log, now) for name in ("email",)}
        dispatcher = Dispatcher(channels, clock=lambda: now[0])
        jobs = Jobs(dispatcher, timezone="Europe/London")
        dispatcher.on_completed.append(jobs.checkin_completed)
        await jobs.tick(START)
        done: set[str] = set()
        rnd = await storage.current_round(programme.id)
        assert rnd is not None  # opened by the tick
        out.print(f"{programme.name}: round {rnd.period} opened at {START:%d %b %H:%M} UTC.")
        while True:
            lines = await storage.schedule_lines(rnd.id)
            moments = [line.next_at for line in lines if line.next_at is not None]
            moments += [m for m in (rnd.due_at, rnd.closes_at) if m is not None and m > now[0]]
            if not moments or now[0] > (rnd.closes_at or now[0]):
                break
            now[0] = min(moments) + timedelta(seconds=1)
            await jobs.tick(now[0])
            await _grantees_act(dispatcher, now[0], done)
            fresh = await storage.get_round(programme.id, rnd.period)
            if fresh is None or not fresh.is_open:
                break
        _print_sends(out, log)
        notice = next((s for s in log if _kind(s.text) == "notice to contacts"), None)
        if notice is not None:
            out.print("At the due date, the contacts were told:", style="bold")
            out.print(notice.text, markup=False, highlight=False)
        out.print(f"Round {rnd.period} closed at the end of its grace period; answers are kept.")


async def _grantees_act(dispatcher: Dispatcher, now: datetime, done: set[str]) -> None:
    """Amina completes after her first message; Raj asks to be reminded on Friday."""
    amina = await storage.open_checkins_for_email("amina@unitythroughfood.example.org")
    if amina and amina[0].checkin.status == "in_progress":
        context = amina[0]
        for n in range(60):
            context = await storage.load_checkin_context(context.checkin.id)
            state = SessionState.from_json(context.checkin.state)
            if state.status is Status.COMPLETED:
                break
            text = "submit" if state.status is Status.REVIEWING else "Neighbours cook together."
            if state.current is not None:
                kind = framework_for(context.programme).question(state.current).kind
                text = REPLIES.get(kind, text)
            message = InboundMessage("email", f"demo-amina-{n}", context.grantee.email, text)
            await dispatcher.handle(context.checkin.id, message)
            await dispatcher.settle()
    raj = await storage.open_checkins_for_email("raj@belgravearts.example.org")
    if raj and raj[0].checkin.status != "not_started" and "raj" not in done:
        done.add("raj")  # after his first message: "remind me Friday"
        request = availability.understood(raj[0], "remind me Friday", now)
        if request is not None:
            await availability.apply(raj[0], request, now=now)


def _print_sends(out: Console, log: list[_Sent]) -> None:
    table = Table(title="What went out, in each grantee's local time")
    for column in ("local time", "grantee", "what"):
        table.add_column(column)
    zones = {"rosa@bronx.example": "America/New_York", "arjun@kolkata.example": "Asia/Kolkata"}
    zones["mere@otara.example"] = "Pacific/Auckland"
    for sent in log:
        kind = _kind(sent.text)
        if not kind or kind == "notice to contacts" or sent.recipient not in SHOWN:
            continue
        zone = ZoneInfo(zones.get(sent.recipient, "Europe/London"))
        local = sent.at.astimezone(zone)
        table.add_row(f"{local:%a %d %b %H:%M %Z}", sent.recipient, kind)
    out.print(table)
