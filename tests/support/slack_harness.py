"""The real service with Slack switched on, pointed at the local stand-in, plus helpers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp

import storage
from bot.admin import operations as admin
from bot.channels.slack.server import EVENTS_PATH, SlackServer
from bot.conversation.frameworks import framework_for
from bot.demo.slack_standin_limits import SCRIPTED_PACE, scripted_limits
from bot.service import Service, build_service
from bot.settings import Settings
from conversations.state import SessionState, Status
from storage.records import CheckInContext, Programme
from tests.support.fake_slack import (
    Call,
    SignedSender,
    SlackStandIn,
    SlackUser,
    UploadedFile,
    block_action,
    message_event,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
OPENED = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)
AMINA = "U0AMINA001"  # in the grantee import with her Slack id
RHYS = "U0RHYS0001"  # imported with his email only
STRANGER = "U0NOBODY01"  # in the workspace, in no programme
PRIYA = "U0PRIYA001"  # the programme's contact
AMINA_EMAIL = "amina@unitythroughfood.example.org"
RHYS_EMAIL = "rhys@grangetowncycles.example.org"
# what a sensible grantee types for each kind of question
TYPED = {
    "count": "10",
    "number": "7.5",
    "proportion": "8 of 10",
    "choice": "1",
    "yes_no": "no",
    "scale": "3",
    "text": "Neighbours who had never met now cook together.",
}


def workspace() -> dict[str, SlackUser]:
    return {
        AMINA: SlackUser(AMINA, AMINA_EMAIL),
        RHYS: SlackUser(RHYS, RHYS_EMAIL, tz="Europe/London"),
        STRANGER: SlackUser(STRANGER, "nobody@example.org"),
        PRIYA: SlackUser(PRIYA, "priya.shah@northernlight.example"),
    }


def scripted_standin(users: Mapping[str, SlackUser] | None = None) -> SlackStandIn:
    """The stand-in with Slack's limits, at a scripted grantee's pace per conversation."""
    return SlackStandIn(users, limits=scripted_limits())


def slack_settings(db_url: str, api_url: str, **slack: Any) -> Settings:
    values = {
        "api_base_url": api_url,
        "http_port": 0,
        "bot_token": "xoxb-test-token",
        "signing_secret": SECRET,
        **SCRIPTED_PACE,  # a scripted grantee answers in milliseconds (see SCRIPTED_PACE)
        **slack,
    }
    # the whole service starts, email inbound server included: any free port, never 2525
    return Settings(
        database={"url": db_url}, slack=values, email={"inbound_port": 0}, web={"port": 0}
    )


@dataclass
class SlackHarness:
    standin: SlackStandIn
    service: Service
    sender: SignedSender
    programme: Programme

    @property
    def server(self) -> SlackServer:
        return next(c for c in self.service.components if isinstance(c, SlackServer))

    def dm(self, user: str) -> list[Call]:
        return self.standin.posts(f"D{user}")

    async def wait_dm(self, user: str, count: int, timeout: float = 5.0) -> Call:
        """The count-th message the bot posted to the user, once it is there."""
        await self.standin.wait_for(lambda: len(self.dm(user)) >= count, timeout)
        return self.dm(user)[count - 1]

    def charts(self, user: str) -> list[UploadedFile]:
        """Files the bot shared in the user's DM."""
        return self.standin.shared_files(f"D{user}")

    async def wait_chart(self, user: str, count: int = 1, timeout: float = 5.0) -> UploadedFile:
        """The count-th file the bot shared in the user's DM, once it is there."""
        await self.standin.wait_for(lambda: len(self.charts(user)) >= count, timeout)
        return self.charts(user)[count - 1]

    async def say(self, user: str, text: str, **kwargs: Any) -> int:
        """Type a DM and wait for the bot's reply to it; the HTTP status Slack got."""
        before = len(self.dm(user))
        status, _ = await self.sender.event(message_event(user, text, **kwargs))
        await self.wait_dm(user, before + 1)
        return status

    async def click(self, user: str, post: Call, label: str) -> int:
        before = len(self.dm(user))
        status, _ = await self.sender.action(block_action(user, post, label))
        await self.wait_dm(user, before + 1)
        return status

    async def context(self, email: str = AMINA_EMAIL) -> CheckInContext:
        (found,) = await storage.open_checkins_for_email(email)
        return found

    async def state(self, email: str = AMINA_EMAIL) -> SessionState:
        return SessionState.from_json((await self.context(email)).checkin.state)

    async def answer_until(
        self,
        user: str,
        email: str,
        stop_at: str | None = None,
        typed: Mapping[str, str] = TYPED,
    ) -> None:
        """Type sensible answers until the review, or until `stop_at` is being asked."""
        for _ in range(100):
            context = await self.context(email)
            state = SessionState.from_json(context.checkin.state)
            if state.status is not Status.IN_PROGRESS or state.current in (None, stop_at):
                return
            q = framework_for(context.programme).question(state.current)
            await self.say(user, typed[q.kind])
        raise AssertionError("the check-in never reached the review")


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 5.0) -> None:
    """Wait for something the service finishes after Slack has been answered."""
    async with asyncio.timeout(timeout):
        while not await check():
            await asyncio.sleep(0.02)


@asynccontextmanager
async def running(db_url: str, standin: SlackStandIn, **slack: Any) -> AsyncIterator[Service]:
    # no scheduler: these rounds are opened at fixed past dates, which it would close at once
    service = build_service(slack_settings(db_url, standin.api_url, **slack), scheduler=False)
    await service.start()
    try:
        yield service
    finally:
        await service.stop()


@asynccontextmanager
async def slack_harness(db_url: str) -> AsyncIterator[SlackHarness]:
    standin = scripted_standin(workspace())
    await standin.start()
    try:
        async with running(db_url, standin) as service, aiohttp.ClientSession() as session:
            programme = await admin.load_programme(EXAMPLES / "programme.toml")
            await admin.import_grantees(EXAMPLES / "grantees.csv", programme.slug)
            await admin.open_round(programme.slug, "2026 Q4", now=OPENED, timezone="Europe/London")
            server = next(c for c in service.components if isinstance(c, SlackServer))
            url = f"http://127.0.0.1:{server.port}{EVENTS_PATH}"
            yield SlackHarness(standin, service, SignedSender(url, SECRET, session), programme)
    finally:
        await standin.stop()
