"""The Slack part of `make demo`: grantees answer in DMs through the real bolt endpoint.

Requests are signed as Slack signs them and sent to the bot's HTTP endpoint; the bot's Web API
calls go to the local stand-in, which records them, so the DMs can be printed as text.
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path
from typing import Any

import aiohttp
from rich.console import Console

import storage
from bot.admin import operations as admin
from bot.channels.slack.server import EVENTS_PATH, SlackServer
from bot.conversation.frameworks import framework_for
from bot.demo.grantees import DEMO_NOW, EXAMPLES, PERIOD, Grantee
from bot.demo.slack_requests import SignedSender, block_action, message_event, slash_command
from bot.demo.slack_standin import Call, SlackStandIn, SlackUser
from bot.demo.slack_standin_limits import SCRIPTED_PACE, scripted_limits
from bot.service import build_service
from bot.settings import Settings
from conversations.answers import Parsed, format_answer, parse_answer
from conversations.framework import ChoiceQuestion, YesNoQuestion
from conversations.state import SessionState, Status

SECRET = "demo-signing-secret"
# who answers in Slack: (Slack user, email, what they do)
PEOPLE = [
    (
        "U0AMINA001",
        "amina@unitythroughfood.example.org",
        "finishes, clicking where there are buttons",
    ),
    ("U0RAJP0001", "raj@belgravearts.example.org", "answers three questions, then clicks Later"),
    ("U0RHYS0001", "rhys@grangetowncycles.example.org", "known only by email: found and linked"),
]
STRANGER = "U0VISITOR1"


def _dm_lines(calls: list[Call], user: str) -> list[str]:
    """The bot's side of a DM as text: new messages, and messages updated with an answer."""
    lines: list[str] = []
    for call in calls:
        if call.response.get("channel") != f"D{user}" or not call.response.get("ok"):
            continue
        text = str(call.params.get("text", ""))
        if call.method == "chat.postMessage":
            lines.extend(
                "  Bot: " + line if n == 0 else "       " + line
                for n, line in enumerate(text.splitlines())
            )
        elif call.method == "chat.update":
            lines.append(f"  (the question above now reads: {text})")
    return lines


def _excerpt(lines: list[str], head: int = 22, tail: int = 12, around: int = 7) -> list[str]:
    """A long DM shortened to its start, its first button click and its end."""
    if len(lines) <= head + tail + 2 * around:
        return lines
    keep = set(range(head)) | set(range(len(lines) - tail, len(lines)))
    clicks = [n for n, line in enumerate(lines) if line.startswith("  [clicks")]
    if clicks:
        keep |= set(range(max(0, clicks[0] - around), min(len(lines), clicks[0] + around)))
    shown: list[str] = []
    for n in range(len(lines)):
        if n in keep:
            shown.append(lines[n])
        elif shown and shown[-1] != "  ...":
            shown.append("  ...")
    return shown


class SlackGrantee:
    """Plays one grantee in Slack: clicks a button when the question has them, else types."""

    def __init__(self, user: str, email: str, sender: SignedSender, standin: SlackStandIn) -> None:
        self.user, self.email, self.sender, self.standin = user, email, sender, standin
        self.person = Grantee(random.Random(user))
        self.lines: list[str] = []
        self.summary: list[str] = []  # the benchmarked summary posted once it is submitted
        self._seen = 0

    def _posts(self) -> list[Call]:
        return self.standin.posts(f"D{self.user}")

    async def _after(self, said: str, send: Any) -> None:
        before = len(self._posts())
        self.lines.append(said)
        await send
        await self.standin.wait_for(lambda: len(self._posts()) > before, timeout=10)
        self.lines.extend(self._new_lines())

    def _new_lines(self) -> list[str]:
        new = self.standin.calls[self._seen :]
        self._seen = len(self.standin.calls)
        return _dm_lines(new, self.user)

    async def receive_summary(self) -> None:
        """The benchmarked summary the bot posts once the check-in is submitted, with its chart.

        It is sent after the completion message, by work of its own, so it is waited for.
        """
        channel = f"D{self.user}"
        await self.standin.wait_for(lambda: bool(self.standin.shared_files(channel)), timeout=30)
        self.summary = self._new_lines()
        self.summary += [f"  [chart: {f.title}]" for f in self.standin.shared_files(channel)]

    async def command(self, text: str = "") -> None:
        await self._after(
            f"  > /checkin {text}".rstrip(), self.sender.command(slash_command(self.user, text))
        )

    async def say(self, text: str) -> None:
        await self._after(f"  > {text}", self.sender.event(message_event(self.user, text)))

    async def click(self, label: str) -> None:
        post = self._posts()[-1]
        await self._after(
            f"  [clicks {label}]", self.sender.action(block_action(self.user, post, label))
        )

    async def answer(self, limit: int) -> None:
        """Answer what is asked, `limit` times at most, then submit at the review."""
        for _ in range(limit):
            (context,) = await storage.open_checkins_for_email(self.email)
            state = SessionState.from_json(context.checkin.state)
            framework = framework_for(context.programme)
            if state.status is Status.REVIEWING:
                await self.click("Submit")
                return
            if state.current is None:
                return
            q = framework.question(state.current)
            text = self.person.answer(q, state.answers)
            parsed = parse_answer(q, text)
            if isinstance(q, (ChoiceQuestion, YesNoQuestion)) and isinstance(parsed, Parsed):
                await self.click(format_answer(q, parsed.value))
            else:
                await self.say(text)


async def run_slack_demo(directory: Path, out: Console) -> None:
    """Three grantees (and one visitor) in Slack, on their own database; prints their DMs."""
    folder = directory / "slack"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    # the demo's grantees answer in milliseconds: Slack's limits at a scripted pace
    standin = SlackStandIn({u: SlackUser(u, e) for u, e, _ in PEOPLE}, limits=scripted_limits())
    standin.users[STRANGER] = SlackUser(STRANGER, "visitor@example.org")
    await standin.start()
    settings = Settings(
        database={"url": f"sqlite://{folder / 'checkins.sqlite3'}"},
        slack={
            "api_base_url": standin.api_url,
            "http_port": 0,
            "bot_token": "xoxb-demo",
            "signing_secret": SECRET,
            **SCRIPTED_PACE,
        },
        email={"inbound_port": 0},  # the email inbound server starts too: any free port
        web={"port": 0},
    )
    service = build_service(settings, scheduler=False)  # the demo's round has a fixed date
    await service.start()
    try:
        programme = await admin.load_programme(EXAMPLES / "programme.toml")
        await admin.import_grantees(EXAMPLES / "grantees.csv", programme.slug)
        await admin.open_round(programme.slug, PERIOD, now=DEMO_NOW, timezone="Europe/London")
        server = next(c for c in service.components if isinstance(c, SlackServer))
        url = f"http://127.0.0.1:{server.port}{EVENTS_PATH}"
        out.rule("Slack")
        out.print(
            f"The bot serves Slack's Events API at {url}; each request below is signed with the "
            f"signing secret, and the bot's messages go to a local stand-in of Slack's Web API.",
            markup=False,
            soft_wrap=True,
        )
        async with aiohttp.ClientSession() as session:
            sender = SignedSender(url, SECRET, session)
            players = [SlackGrantee(u, e, sender, standin) for u, e, _ in PEOPLE]
            amina, raj, rhys = players
            await amina.command()
            await amina.answer(limit=60)
            await amina.receive_summary()
            await raj.command()
            await raj.answer(limit=3)
            await raj.click("Later")
            await rhys.say("Hi, is this where the check-in is?")
            await rhys.answer(limit=2)
            visitor = SlackGrantee(STRANGER, "visitor@example.org", sender, standin)
            await visitor.say("hello?")
            for player, (_, _, what) in zip(
                [*players, visitor], [*PEOPLE, (STRANGER, "", "not a grantee")], strict=True
            ):
                out.rule(f"DM with {player.user} ({what})")
                whole = [*player.lines, *player.summary]
                (folder / f"dm-{player.user}.txt").write_text("\n".join(whole) + "\n")
                for line in _excerpt(player.lines):
                    out.print(line, markup=False, highlight=False, soft_wrap=True)
                if player.summary:
                    out.rule("The benchmarked summary in that DM (posted on completion)")
                    for line in player.summary:
                        out.print(line, markup=False, highlight=False, soft_wrap=True)
        out.print(f"Every DM is saved in full in {folder}/.", markup=False)
        calls: dict[str, int] = {}
        for call in standin.calls:
            calls[call.method] = calls.get(call.method, 0) + 1
        summary = ", ".join(f"{n} {method}" for method, n in sorted(calls.items()))
        out.print(f"Web API calls the bot made: {summary}.", markup=False, soft_wrap=True)
    finally:
        await service.stop()
        await standin.stop()
