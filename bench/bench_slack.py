"""Slack turns per second: the real bot against a bare bolt app (the floor), on one harness.

The load generator and the Web API stand-in run in this process; the app under test runs in a
child process with the shipped settings (HTTP mode, real database), so the two share the 2 cores
as a real bot and Slack would not. The stand-in enforces Slack's documented limits, so a grantee
answers each question a second after it arrives, as a person would (no faster than Slack takes
posts in one conversation). A turn is a signed request (a typed DM or a button click) until the
bot's next message reaches the stand-in. The floor is a bolt app on the same harness that only
acknowledges and posts a fixed message.

    python bench/bench_slack.py            # prints a Markdown section
    python bench/bench_slack.py serve-app DB_URL API_URL   (used internally)
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.demo.slack_requests import (  # noqa: E402
    SignedSender,
    block_action,
    message_event,
    slash_command,
)
from bot.demo.slack_standin import Call, SlackStandIn  # noqa: E402

SECRET = "bench-signing-secret"
CONCURRENT = 50
TURNS_EACH = 20  # 50 x 20 = 1,000 turns
SINGLE_TURNS = 40
THINK = 1.0  # seconds a grantee takes to answer after the question arrives
# app-then-floor pairs per engine; the median pair is shown: this machine's speed drifts from
# minute to minute, and one pair can land on either side of a change
PAIRS = 3
POSTGRES = os.environ.get("CHECKINS_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")
FIXED: list[dict[str, Any]] = [
    {"type": "section", "text": {"type": "mrkdwn", "text": "Thanks, noted."}},
    {
        "type": "actions",
        "block_id": "floor",
        "elements": [
            {
                "type": "button",
                "action_id": "ok",
                "text": {"type": "plain_text", "text": "OK"},
                "value": "ok",
            }
        ],
    },
]


# ---- the apps under test (child processes) -----------------------------------------------------


async def serve_app(db_url: str, api_url: str) -> None:
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
        email={"inbound_port": 0},  # the email inbound server starts too: any free port
        web={"port": 0},  # and the web check-in
    )
    service = build_service(settings)
    await service.start()
    tune_for_serving()  # as `checkins serve` does once started
    server = next(c for c in service.components if isinstance(c, SlackServer))
    await _serve_until_stdin_closes(server.port)
    await service.stop()


async def serve_floor(api_url: str) -> None:
    from aiohttp import web
    from slack_bolt.app.async_app import AsyncApp
    from slack_sdk.web.async_client import AsyncWebClient

    client = AsyncWebClient(token="xoxb-bench", base_url=api_url)
    app = AsyncApp(client=client, signing_secret=SECRET)

    @app.event("message")
    async def message(event: dict[str, Any]) -> None:
        await client.chat_postMessage(channel=f"D{event['user']}", text="noted", blocks=FIXED)

    @app.action(re.compile(".*"))
    async def click(ack: Any, body: dict[str, Any]) -> None:
        await ack()
        await client.chat_postMessage(channel=f"D{body['user']['id']}", text="ok", blocks=FIXED)

    @app.command("/checkin")
    async def command(ack: Any, command: dict[str, Any]) -> None:
        await ack(text="ok")
        await client.chat_postMessage(channel=f"D{command['user_id']}", text="hi", blocks=FIXED)

    runner = web.AppRunner(app.web_app(path="/slack/events"))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    await _serve_until_stdin_closes(int(runner.addresses[0][1]))
    await runner.cleanup()


async def _serve_until_stdin_closes(port: int | None) -> None:
    print(port, flush=True)
    began = time.process_time()
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)
    # the app's own CPU while it was driven, for the cost per turn beside the floor's
    print(f"CPU {time.process_time() - began:.3f}", flush=True)


# ---- the load generator ------------------------------------------------------------------------


@dataclass
class Run:
    latencies: list[float] = field(default_factory=list)
    acks: list[float] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    seconds: float = 0.0
    cpu_ms: float = 0.0  # the app process's CPU per turn over the whole run

    @property
    def turns(self) -> int:
        return len(self.latencies)

    @property
    def rate(self) -> float:
        return self.turns / self.seconds if self.seconds else 0.0

    def p(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


class Driver:
    """Plays grantees: reads the bot's last message, answers it, waits for the next one."""

    def __init__(self, standin: SlackStandIn, sender: SignedSender) -> None:
        self.standin = standin
        self.sender = sender
        self.waiting: dict[str, asyncio.Future[Call]] = {}
        self.last: dict[str, Call] = {}
        self.scripts: dict[str, list[str]] = {}
        standin.on_call = self._seen

    def _seen(self, call: Call) -> None:
        if call.method != "chat.postMessage" or not call.response.get("ok"):
            return
        user = str(call.response.get("channel", ""))[1:]  # the DM: D + the user id
        self.last[user] = call
        future = self.waiting.pop(user, None)
        if future is not None and not future.done():
            future.set_result(call)

    async def _request(self, user: str, send: Any) -> tuple[float, float, int]:
        future: asyncio.Future[Call] = asyncio.get_running_loop().create_future()
        self.waiting[user] = future
        started = time.perf_counter()
        status, _ = await send
        acked = time.perf_counter() - started
        await asyncio.wait_for(future, 30)
        return time.perf_counter() - started, acked, status

    async def begin(self, user: str) -> None:
        await self._request(user, self.sender.command(slash_command(user)))

    def choose(self, user: str, turn: int, replay: list[str] | None) -> tuple[str, Any]:
        post = self.last[user]
        if replay is not None:  # the floor: same mix of clicks and typing, fixed message
            kind = replay[turn % len(replay)]
            if kind == "type":
                return kind, self.sender.event(message_event(user, "20"))
            return kind, self.sender.action(block_action(user, post, "OK"))
        blocks = post.params.get("blocks") or []
        text = " ".join(str(b.get("text", {}).get("text", "")) for b in blocks if b.get("text"))
        hints = " ".join(
            e.get("text", "") for b in blocks if b["type"] == "context" for e in b["elements"]
        )
        answer_buttons = [
            e["text"]["text"]
            for b in blocks
            if b["type"] == "actions"
            for e in b["elements"]
            if e.get("action_id", "").startswith("ci:answer")
        ]
        if any(e.get("type") == "static_select" for b in blocks for e in b.get("elements", [])):
            return "click", self.sender.action(block_action(user, post, "1. Sessions run"))
        if answer_buttons:
            label = answer_buttons[turn % min(2, len(answer_buttons))]
            return "click", self.sender.action(block_action(user, post, label))
        if "How many sessions" in text:
            typed = "30" if turn % 2 else "40"  # edits change the answer, so they are written
        elif "x of n" in hints:
            typed = "8 of 10"
        elif "own words" in hints:
            typed = "Neighbours who had never met now cook together."
        elif "Reply with a number" in hints:
            typed = "7.5"
        else:
            typed = "20"
        return "type", self.sender.event(message_event(user, typed))

    async def play(self, user: str, turns: int, run: Run, replay: list[str] | None) -> None:
        script = self.scripts.setdefault(user, [])
        for turn in range(turns):
            await asyncio.sleep(THINK)  # reading the question; not counted in the turn's time
            kind, send = self.choose(user, turn, replay)
            if replay is None:
                script.append(kind)
            latency, acked, status = await self._request(user, send)
            run.latencies.append(latency)
            run.acks.append(acked)
            run.statuses.append(status)


async def measure(
    driver: Driver, users: list[str], turns: int, replay: dict[str, list[str]] | None
) -> Run:
    run = Run()
    started = time.perf_counter()
    await asyncio.gather(
        *(driver.play(u, turns, run, replay.get(u) if replay else None) for u in users)
    )
    run.seconds = time.perf_counter() - started
    return run


# ---- set-up ------------------------------------------------------------------------------------


async def prepare(db_url: str, users: list[str]) -> None:
    import storage
    from bot.admin import operations as admin
    from storage.records import GranteeSpec

    async with storage.database(db_url):
        programme = await admin.load_programme(ROOT / "examples" / "programme.toml")
        specs = [
            GranteeSpec(
                f"Grantee {u}",
                f"Org {u}",
                f"{u.lower()}@bench.example.org",
                u,
                "Europe/London",
                "arts",
                "Leeds",
            )
            for u in users
        ]
        await storage.upsert_grantees(programme.id, specs)
        from datetime import UTC, datetime

        await admin.open_round(
            programme.slug, "Bench", now=datetime.now(UTC), timezone="Europe/London"
        )


async def postgres_database() -> str | None:
    try:
        import asyncpg  # type: ignore[import-untyped]

        admin_dsn = POSTGRES.replace("postgres://", "postgresql://", 1)
        conn = await asyncpg.connect(admin_dsn, timeout=5)
    except Exception as exc:  # any failure: PostgreSQL figures are reported as skipped
        print(f"PostgreSQL unreachable ({exc}); skipping it", file=sys.stderr)
        return None
    name = f"bench_{uuid.uuid4().hex[:10]}"
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    return POSTGRES.rsplit("/", 1)[0] + f"/{name}"


async def drop_postgres(url: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(POSTGRES.replace("postgres://", "postgresql://", 1))
    await conn.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
    await conn.close()


async def child(args: list[str]) -> tuple[subprocess.Popen[str], int]:
    process = subprocess.Popen(
        [sys.executable, __file__, *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert process.stdout is not None
    line = await asyncio.get_running_loop().run_in_executor(None, process.stdout.readline)
    return process, int(line)


def finish(process: subprocess.Popen[str]) -> float:
    """Stop the app; the CPU seconds it used while driven (0 if it did not say)."""
    assert process.stdin is not None and process.stdout is not None
    process.stdin.close()
    line = process.stdout.readline().split()
    process.wait(timeout=30)
    return float(line[1]) if line[:1] == ["CPU"] else 0.0


async def bench(
    mode: str, db_url: str | None, replay: dict[str, list[str]] | None
) -> tuple[Run, Run, dict[str, list[str]]]:
    standin = SlackStandIn()
    await standin.start()
    args = (
        ["serve-app", db_url or "", standin.api_url]
        if mode == "app"
        else ["serve-floor", standin.api_url]
    )
    process, port = await child(args)
    users = [f"UB{n:04d}" for n in range(CONCURRENT + 1)]
    try:
        async with aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=CONCURRENT * 2)
        ) as session:
            sender = SignedSender(f"http://127.0.0.1:{port}/slack/events", SECRET, session)
            driver = Driver(standin, sender)
            for user in users:
                await driver.begin(user)
            single_user = users[-1]
            single = await measure(
                driver,
                [single_user],
                SINGLE_TURNS,
                {single_user: replay[users[0]]} if replay else None,
            )
            crowd = await measure(driver, users[:CONCURRENT], TURNS_EACH, replay)
    finally:
        cpu = finish(process)
        await standin.stop()
    per_turn = cpu / (single.turns + crowd.turns + len(users)) * 1000
    single.cpu_ms = crowd.cpu_ms = per_turn
    return single, crowd, driver.scripts


@dataclass
class Pair:
    """One measurement of the bot and, right after it, of the floor."""

    single: Run
    crowd: Run
    floor_single: Run
    floor_crowd: Run

    @property
    def share(self) -> float:
        return self.crowd.rate / self.floor_crowd.rate

    @property
    def runs(self) -> tuple[Run, Run, Run, Run]:
        return self.single, self.crowd, self.floor_single, self.floor_crowd


def row(label: str, run: Run) -> str:
    bad = sum(1 for s in run.statuses if s != 200)
    return (
        f"| {label} | {run.turns:,} | {run.rate:,.0f} | {run.p(0.5):.1f} | {run.p(0.95):.1f} | "
        f"{max(run.acks) * 1000:.0f} | {bad} | {run.cpu_ms:.2f} |"
    )


async def main() -> int:
    users = [f"UB{n:04d}" for n in range(CONCURRENT + 1)]
    lines = [
        "## Slack: turns per second (bench/bench_slack.py)",
        "",
        f"{CONCURRENT} grantees answer at once ({TURNS_EACH} turns each: typed answers, button "
        "clicks, review edits), each turn a signed request to the real HTTP endpoint until the "
        "bot's next message reaches the local Web API stand-in. Then one grantee alone "
        f"({SINGLE_TURNS} turns). Shipped settings; the stand-in enforces Slack's documented "
        "limits (one post a second per conversation, bursts of 3; 50 chat.update a minute), so "
        f"each grantee answers {THINK:.0f} s after a question arrives, as a person would: "
        "turns per second are then set by the grantees, for the bot and the floor alike, and "
        "the comparison is in the times and the CPU per turn. "
        "The floor is a bare bolt app on the same harness that only "
        "acknowledges and posts a fixed message, driven with the same mix of clicks and typing. "
        "The app runs in its own process; the load generator and the stand-in in another. "
        f"Each engine is measured {PAIRS} times (bot, then floor), on a fresh database each "
        "time; the table shows the pair with the median share.",
        "",
        "| run | turns | turns/s | p50 ms | p95 ms | slowest ack ms | non-200 "
        "| app CPU ms a turn |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    verdicts: list[str] = []
    scripts: dict[str, list[str]] = {}
    pg_reachable = True
    results: list[tuple[str, Pair, list[float]]] = []  # engine, the median pair, every share
    for name in ("SQLite", "PostgreSQL"):
        pairs: list[Pair] = []
        for _ in range(PAIRS if pg_reachable or name == "SQLite" else 0):
            with tempfile.TemporaryDirectory() as tmp:
                url = f"sqlite://{tmp}/bench.sqlite3" if name == "SQLite" else None
                url = url or await postgres_database()
                if url is None:
                    pg_reachable = False
                    break
                try:
                    await prepare(url, users)
                    single, crowd, made = await bench("app", url, None)
                    scripts = scripts or made
                    # the floor right after, so both see the same machine (it is shared)
                    floor_single, floor_crowd, _ = await bench("floor", None, scripts)
                finally:
                    if name == "PostgreSQL":
                        await drop_postgres(url)
            pairs.append(Pair(single, crowd, floor_single, floor_crowd))
        if pairs:
            shares = sorted(p.share for p in pairs)
            median = sorted(pairs, key=lambda p: p.share)[len(pairs) // 2]
            results.append((name, median, shares))
    for name, pair, shares in results:
        single, crowd, floor_single, floor_crowd = pair.runs
        lines.append(row(f"floor (beside {name}), {CONCURRENT} at once", floor_crowd))
        lines.append(row(f"floor (beside {name}), one grantee", floor_single))
        lines.append(row(f"bot on {name}, {CONCURRENT} at once", crowd))
        lines.append(row(f"bot on {name}, one grantee", single))
        ratio = crowd.p(0.95) / floor_crowd.p(0.95)
        spread = ", ".join(f"{s:.0%}" for s in shares)
        verdicts.append(
            f"- {name}: {pair.share:.0%} of the floor's throughput, the median of {len(shares)} "
            f"pairs ({spread}) (target at least 50%: "
            f"{'met' if pair.share >= 0.5 else 'NOT met'}); p95 {ratio:.1f}x the floor's in "
            f"that pair (target at most 2x: {'met' if ratio <= 2 else 'NOT met'}); one grantee "
            f"p95 {single.p(0.95):.1f} ms (target under 20 ms: "
            f"{'met' if single.p(0.95) < 20 else 'NOT met'}); slowest acknowledgement "
            f"{max(crowd.acks + single.acks) * 1000:.0f} ms (Slack allows 3,000)."
        )
    load = os.getloadavg()[0]
    verdicts.append(f"- Load average when it finished: {load:.1f} (other work shares the machine).")
    if not pg_reachable:
        verdicts.append("- PostgreSQL: not measured (server unreachable).")
    print("\n".join([*lines, "", *verdicts]))
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "serve-app":
        asyncio.run(serve_app(sys.argv[2], sys.argv[3]))
    elif len(sys.argv) > 1 and sys.argv[1] == "serve-floor":
        asyncio.run(serve_floor(sys.argv[2]))
    else:
        sys.exit(asyncio.run(main()))
