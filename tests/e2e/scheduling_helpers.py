"""Set-up for the scheduling tests: a programme file, grantees worldwide, recording channels."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import storage
from bot.admin import operations as admin
from bot.conversation.channel import Delivery, InboundMessage
from bot.conversation.dispatcher import Dispatcher
from bot.conversation.frameworks import framework_for
from bot.conversation.rendering import ConversationView, Renderer
from bot.scheduling.jobs import Jobs
from conversations.state import Prompt, SessionState, Status
from storage.records import CheckInContext, GranteeSpec, Programme

SCHEDULE = """
[schedule]
cadence = "quarterly"
months = [3, 6, 9, 12]
day = "first monday"
send_time = "10:00"
weekdays_only = true
due_after_days = 28
reminders_after_days = [3, 7, 21, 35]
remind_on_due_date = true
grace_days = 14
"""

PROGRAMME = """
[funder]
slug = "world-trust"
name = "World Trust"

[programme]
slug = "bridges"
name = "Bridges Fund"
framework = "social_cohesion_v1"
digest_slack_channel = "C0BRIDGES01"

[[contacts]]
name = "Priya Shah"
email = "priya@worldtrust.example"

[[contacts]]
name = "Tom Okafor"
email = "tom@worldtrust.example"
"""

# name, email, Slack user (linked or not), zone
PEOPLE = {
    "london": ("Amina Hussain", "amina@london.example", "U0AMINA001", "Europe/London"),
    "new_york": ("Rosa Diaz", "rosa@newyork.example", None, "America/New_York"),
    "kolkata": ("Arjun Sen", "arjun@kolkata.example", None, "Asia/Kolkata"),
    "auckland": ("Mere Tane", "mere@auckland.example", "U0MERE0001", "Pacific/Auckland"),
}


@dataclass(frozen=True)
class Sent:
    channel: str
    recipient: str
    text: str
    at: datetime


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class RecordingChannel:
    """A channel that renders like the terminal and records what it would have sent."""

    def __init__(self, name: str, sent: list[Sent], clock: Clock) -> None:
        self.name = name
        self.sent = sent
        self.clock = clock
        self.renderer = Renderer()
        self.delay = 0.0  # seconds a send takes, so that racing senders interleave

    def recipient(self, context: CheckInContext) -> str:
        if self.name == "slack":
            return context.grantee.slack_user_id or ""
        return context.grantee.email

    def render(self, prompts: Sequence[Prompt], view: ConversationView) -> dict[str, Any]:
        return {"text": self.renderer.text(prompts, view)}

    async def deliver(self, delivery: Delivery) -> str | None:
        text = str(delivery.payload["text"])
        if self.delay:
            await asyncio.sleep(self.delay)
        self.sent.append(Sent(self.name, delivery.recipient, text, self.clock()))
        return None


@dataclass
class World:
    programme: Programme
    clock: Clock
    sent: list[Sent]
    dispatcher: Dispatcher
    jobs: Jobs

    def to(self, who: str) -> list[Sent]:
        _, email, slack, _ = PEOPLE[who]
        return [s for s in self.sent if s.recipient in (email, slack)]

    async def tick(self, at: datetime) -> None:
        self.clock.now = at
        await self.jobs.tick(at)

    async def checkin(self, who: str) -> CheckInContext:
        email = PEOPLE[who][1]
        (context,) = await storage.open_checkins_for_email(email)
        return context


def spec(who: str) -> GranteeSpec:
    name, email, slack, zone = PEOPLE[who]
    return GranteeSpec(name, f"{name} Project", email, slack, zone, "food", "Leeds")


async def make_world(
    tmp_path: Path,
    *,
    start: datetime,
    people: Sequence[str] = tuple(PEOPLE),
    catch_up: timedelta = timedelta(hours=24),
    batch: int = 200,
    extra: Sequence[GranteeSpec] = (),
) -> World:
    path = tmp_path / "programme.toml"
    path.write_text(PROGRAMME + SCHEDULE, encoding="utf-8")
    programme = await admin.load_programme(path)
    await storage.upsert_grantees(programme.id, [spec(w) for w in people] + list(extra))
    clock = Clock(start)
    sent: list[Sent] = []
    channels = {name: RecordingChannel(name, sent, clock) for name in ("email", "slack")}
    dispatcher = Dispatcher(channels, clock=clock)
    jobs = Jobs(dispatcher, timezone="Europe/London", catch_up=catch_up, batch=batch)
    dispatcher.on_completed.append(jobs.checkin_completed)
    return World(programme, clock, sent, dispatcher, jobs)


REPLIES = {
    "count": "10",
    "number": "7.5",
    "proportion": "8 of 10",
    "choice": "1",
    "yes_no": "no",
    "text": "Neighbours who had never met now cook together.",
}


async def complete(world: World, who: str, channel: str) -> None:
    """Answer every question sensibly and submit, as the grantee would."""
    context = await world.checkin(who)
    sender = PEOPLE[who][1]
    for n in range(200):
        context = await storage.load_checkin_context(context.checkin.id)
        state = SessionState.from_json(context.checkin.state)
        if state.status is Status.COMPLETED:
            return
        if state.status is Status.REVIEWING:
            text = "submit"
        elif state.current is None:
            text = "start"
        else:
            text = REPLIES[framework_for(context.programme).question(state.current).kind]
        message = InboundMessage(channel, f"{who}-{world.clock.now.isoformat()}-{n}", sender, text)
        await world.dispatcher.handle(context.checkin.id, message)
    raise AssertionError("the check-in never completed")


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)
