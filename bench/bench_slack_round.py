"""Slack while a big round opens: 50 grantees answer as the first DMs of 1,000 go out.

Shipped settings, and a Web API stand-in that enforces Slack's documented limits (posts per
conversation, per-method workspace budgets). The bot runs as `checkins serve` would, in a child
process; the stand-in and the grantees in this one. Measured on SQLite and on PostgreSQL:
the time from each answer to the next question, and how long the round's first DMs take beside
the same round opened with nobody answering (side by side, on a fresh database each).

    python bench/bench_slack_round.py            # prints a Markdown section
    python bench/bench_slack_round.py serve DB_URL API_URL   (used internally)
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_slack import drop_postgres, postgres_database  # noqa: E402
from bot.demo.slack_requests import SignedSender  # noqa: E402
from bot.demo.slack_standin import SlackStandIn  # noqa: E402
from bot.demo.slack_standin_limits import SlackLimits  # noqa: E402
from tests.support.round_load import (  # noqa: E402
    TURNS,
    RoundLoad,
    open_the_round,
    people,
    seed,
)

SECRET = "bench-signing-secret"
ANSWERING, OPENING = people("ANS", 50), people("RND", 1000)
THINK = 1.0  # a grantee answers a question no sooner than this after it arrives


async def serve(db_url: str, api_url: str) -> None:
    """The bot with the shipped settings; only addresses, secrets and a quick first tick."""
    from bot.channels.slack.server import SlackServer
    from bot.gc_tuning import tune_for_serving
    from bot.service import build_service
    from bot.settings import Settings

    settings = Settings(
        database={"url": db_url},
        slack={
            "api_base_url": api_url,
            "http_port": 0,
            "bot_token": "xoxb-bench",
            "signing_secret": SECRET,
        },
        email={"inbound_port": 0},
        schedule={"tick_seconds": 1},  # when a round is looked for, not how fast it goes
    )
    service = build_service(settings)
    await service.start()
    tune_for_serving()
    server = next(c for c in service.components if isinstance(c, SlackServer))
    print(server.port, flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    await service.stop()


@dataclass
class Result:
    latencies: list[float]
    round_seconds: float
    rate_limited: int

    def p(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


async def measure(db_url: str, folder: Path, *, answering: bool) -> Result:
    import storage

    async with storage.database(db_url):
        await seed(folder, ANSWERING, OPENING)
    standin = SlackStandIn()
    await standin.start()
    process = subprocess.Popen(
        [sys.executable, __file__, "serve", db_url, standin.api_url],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        assert process.stdout is not None
        line = await asyncio.get_running_loop().run_in_executor(None, process.stdout.readline)
        url = f"http://127.0.0.1:{int(line)}/slack/events"
        async with aiohttp.ClientSession() as session:
            sender = SignedSender(url, SECRET, session)
            load = RoundLoad(standin, lambda: [sender], ANSWERING, OPENING, think=THINK)
            await load.first_questions()
            async with storage.database(db_url):
                await open_the_round()
            if answering:
                await load.answer_while_the_round_opens()
            await load.round_delivered()
        outcome = load.outcome
        assert outcome.round_began is not None and outcome.round_ended is not None
        if answering:
            assert load.asked_in_order() == {p.user: [1, 2, 3, 4, 5] for p in ANSWERING}
        assert load.round_duplicates() == {}
        return Result(
            outcome.latencies,
            outcome.round_ended - outcome.round_began,
            len(standin.rate_limited),
        )
    finally:
        assert process.stdin is not None
        process.stdin.close()
        process.wait(timeout=60)
        await standin.stop()


async def engine_url(name: str, tmp: str) -> str | None:
    if name == "SQLite":
        return f"sqlite://{tmp}/bench.sqlite3"
    return await postgres_database()


async def main() -> int:
    limits = SlackLimits()
    lines = [
        "## Slack: answers while a 1,000-grantee round opens (bench/bench_slack_round.py)",
        "",
        f"{len(ANSWERING)} grantees, each at its first question, answer at the same moment "
        f"once the first DMs of a {len(OPENING):,}-grantee round are going out, then answer "
        f"each next question {THINK:.0f} s after it arrives ({TURNS} answers each). Shipped "
        "settings; the Web API stand-in enforces Slack's documented limits (posts: "
        f"{limits.posts_per_conversation_per_second:.0f} a second per conversation, bursts of "
        f"{limits.post_burst_per_conversation}; chat.update, conversations.open, "
        "users.lookupByEmail: 50 a minute; views.publish, files.*: 100 a minute) and answers "
        "`ratelimited` with Retry-After over them. The bot runs in its own process.",
        "",
        "The least time the stand-in's limits allow for the round's first DMs: none. Each DM "
        "goes to a different conversation, so the per-conversation limit never applies, and "
        "the bot posts to the user id (Slack opens the DM), so no Tier 3 call is made per "
        "grantee; with a `conversations.open` per grantee the limits would allow no less than "
        f"{limits.minimum_seconds('conversations.open', len(OPENING)) / 60:.0f} minutes. So "
        "the round's time is the bot's own work, and the floor it is compared with is the same "
        "round opened with nobody answering, measured right before it (target: within 10%).",
        "",
        "| engine | answers | p50 s | p95 s | slowest s | round alone s | round while answering "
        "s | ratio | ratelimited |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    verdicts: list[str] = []
    for name in ("SQLite", "PostgreSQL"):
        results: list[Result] = []
        for answering in (False, True):
            with tempfile.TemporaryDirectory() as tmp:
                url = await engine_url(name, tmp)
                if url is None:
                    break
                try:
                    results.append(await measure(url, Path(tmp), answering=answering))
                finally:
                    if name == "PostgreSQL":
                        await drop_postgres(url)
        if len(results) < 2:
            verdicts.append(f"- {name}: not measured (server unreachable).")
            continue
        alone, busy = results
        ratio = busy.round_seconds / alone.round_seconds
        lines.append(
            f"| {name} | {len(busy.latencies)} | {busy.p(0.5):.2f} | {busy.p(0.95):.2f} | "
            f"{max(busy.latencies):.2f} | {alone.round_seconds:.1f} | {busy.round_seconds:.1f} "
            f"| {ratio:.2f} | {alone.rate_limited + busy.rate_limited} |"
        )
        verdicts.append(
            f"- {name}: answer to next question p50 {busy.p(0.5):.2f} s (target under 0.5 s: "
            f"{'met' if busy.p(0.5) < 0.5 else 'NOT met'}), p95 {busy.p(0.95):.2f} s (target "
            f"under 1.5 s: {'met' if busy.p(0.95) < 1.5 else 'NOT met'}); the round's "
            f"{len(OPENING):,} first DMs in {busy.round_seconds:.1f} s, {ratio:.2f}x the round "
            f"alone (target at most 1.10x: {'met' if ratio <= 1.10 else 'NOT met'}); "
            f"{alone.rate_limited + busy.rate_limited} calls refused as `ratelimited`."
        )
    load = os.getloadavg()[0]
    verdicts.append(f"- Load average when it finished: {load:.1f} (other work shares the machine).")
    print("\n".join([*lines, "", *verdicts]))
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "serve":
        asyncio.run(serve(sys.argv[2], sys.argv[3]))
    else:
        started = time.monotonic()
        code = asyncio.run(main())
        print(f"\n(measured in {time.monotonic() - started:.0f} s)", file=sys.stderr)
        sys.exit(code)
