"""Fifty grantees answer at once while the first DMs of a 1,000-grantee round go out in Slack."""

from __future__ import annotations

import asyncio
import re
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bot.admin import operations as admin
from bot.admin.rounds_by_hand import open_round_now
from bot.demo.slack_requests import SignedSender, message_event
from bot.demo.slack_standin import Call, SlackStandIn
from tests.support.slack_text import block_text

ANSWERING = "answering-2026"  # a programme whose grantees are mid check-in
OPENING = "opening-2026"  # a programme whose round opens during the test
PERIOD = "2026 Q4"
ZONE = "Europe/London"
TURNS = 4  # answers each answering grantee gives: O1 to O4, each followed by the next question
_QUESTION = re.compile(r"\*Question (\d+)\*")


@dataclass(frozen=True)
class Person:
    number: int
    user: str
    email: str

    def answer(self, turn: int) -> str:
        """O1 sessions, O2 attendance, O3 unique participants (<= O2), O4 first-timers."""
        return str((10, 400, 200, 100)[turn] + self.number)


def people(prefix: str, count: int) -> list[Person]:
    return [
        Person(n, f"U0{prefix}{n:05d}", f"{prefix.lower()}{n:05d}@load.example.org")
        for n in range(count)
    ]


def _programme(slug: str) -> str:
    return f"""
[funder]
slug = "load-foundation"
name = "Load Foundation"

[programme]
slug = "{slug}"
name = "Programme {slug}"
framework = "social_cohesion_v1"

[[contacts]]
name = "Priya Shah"
email = "priya.shah@load.example"
"""


async def seed(folder: Path, answering: Sequence[Person], opening: Sequence[Person]) -> None:
    """Both programmes and their grantees; the answering programme's round open, its first
    questions due now (call inside a database connection)."""
    for slug, group in ((ANSWERING, answering), (OPENING, opening)):
        programme_file = folder / f"{slug}.toml"
        programme_file.write_text(_programme(slug), encoding="utf-8")
        rows = ["name,organisation,email,slack_user_id,timezone,activity_type,local_authority"]
        rows += [f"G {p.number},P {p.number},{p.email},{p.user},{ZONE},arts,Leeds" for p in group]
        csv = folder / f"{slug}.csv"
        csv.write_text("\n".join(rows) + "\n", encoding="utf-8")
        await admin.load_programme(programme_file)
        await admin.import_grantees(csv, slug)
    await open_round_now(ANSWERING, PERIOD, now=datetime.now(UTC), zone=ZONE, due=None)


async def open_the_round() -> int:
    """Open the big round: its first DMs are due at once (call inside a database connection)."""
    opened, _ = await open_round_now(OPENING, PERIOD, now=datetime.now(UTC), zone=ZONE, due=None)
    return opened.created


def asked(call: Call) -> int | None:
    """The number of the question a post asks, if it asks one."""
    found = _QUESTION.findall(block_text(call))
    return int(found[-1]) if found else None


@dataclass
class Outcome:
    latencies: list[float] = field(default_factory=list)  # answer sent -> next question posted
    answered_at: list[float] = field(default_factory=list)  # when each next question arrived
    statuses: list[int] = field(default_factory=list)
    round_began: float | None = None  # first and last first-DM of the opening round posted
    round_ended: float | None = None


class RoundLoad:
    """Watches the stand-in's posts; plays the answering grantees once the round is going out."""

    def __init__(
        self,
        standin: SlackStandIn,
        senders: Callable[[], Sequence[SignedSender]],
        answering: Sequence[Person],
        opening: Sequence[Person],
        *,
        think: float = 0.0,
    ) -> None:
        """`think`: seconds a grantee takes to answer a question after it arrives (after the
        first, which all answer at the same moment); a person takes more than one."""
        self.think = think
        self.standin = standin
        self.senders = senders
        self.answering = list(answering)
        self.opening = {p.user for p in opening}
        self.dms: dict[str, list[Call]] = defaultdict(list)  # user -> posts in their DM
        self.outcome = Outcome()
        self._arrived: dict[str, asyncio.Event] = defaultdict(asyncio.Event)
        self._round_posts = 0
        self._round_going = asyncio.Event()
        # the services may have posted first questions before this was made: seen from the start
        for call in list(standin.calls):
            self._seen(call)
        standin.on_call = self._seen

    def _seen(self, call: Call) -> None:
        if call.method != "chat.postMessage" or not call.response.get("ok"):
            return
        user = str(call.response.get("channel", ""))[1:]
        self.dms[user].append(call)
        self._arrived[user].set()
        if user in self.opening:
            now = time.perf_counter()
            self._round_posts += 1
            self.outcome.round_began = self.outcome.round_began or now
            self.outcome.round_ended = now
            if self._round_posts >= 20:  # well under way, with most of it still to go
                self._round_going.set()

    async def first_questions(self, timeout: float = 60) -> None:
        async with asyncio.timeout(timeout):
            while any(not self.dms[p.user] for p in self.answering):
                await asyncio.sleep(0.05)

    async def answer_while_the_round_opens(self, timeout: float = 120) -> None:
        """Once the round's first DMs are going out, every answering grantee answers at the
        same moment, then answers each next question as soon as it arrives."""
        await asyncio.wait_for(self._round_going.wait(), timeout)
        await asyncio.gather(*(self._play(n, p) for n, p in enumerate(self.answering)))

    async def _play(self, index: int, person: Person) -> None:
        for turn in range(TURNS):
            if turn:
                await asyncio.sleep(self.think)
            senders = self.senders()
            sender = senders[(index + turn) % len(senders)]  # alternate between instances
            before = len(self.dms[person.user])
            arrived = self._arrived[person.user]
            arrived.clear()
            started = time.perf_counter()
            status, _ = await sender.event(message_event(person.user, person.answer(turn)))
            self.outcome.statuses.append(status)
            async with asyncio.timeout(60):
                while len(self.dms[person.user]) <= before:
                    await arrived.wait()
                    arrived.clear()
            arrived_at = time.perf_counter()
            self.outcome.latencies.append(arrived_at - started)
            self.outcome.answered_at.append(arrived_at)

    async def round_delivered(self, timeout: float = 300) -> None:
        async with asyncio.timeout(timeout):
            while sum(1 for u in self.opening if self.dms[u]) < len(self.opening):
                await asyncio.sleep(0.1)

    def asked_in_order(self) -> dict[str, list[int | None]]:
        """Each answering grantee's DM, as the question numbers its posts asked."""
        return {p.user: [asked(c) for c in self.dms[p.user]] for p in self.answering}

    def round_duplicates(self) -> dict[str, int]:
        return {u: len(self.dms[u]) for u in self.opening if len(self.dms[u]) > 1}
