"""Web check-in answers per second: the real service against the same pages served from memory.

50 grantees answer their check-ins at once over HTTP, each through its own private link: an
answer is a form POST that the service stores through the dispatcher (link and check-in read
and checked, step saved with its audit rows), then the redirect's GET of the next page (drawn
from the check-in as the step stored it, the link's expiry checked again, the page rendered).
The floor is a bare aiohttp app with the same handlers and templates, whose links and
check-ins live in a dict and whose steps run the engine in memory: no database at all. Both
run in a child process of their own, as deployed (the service is `build_service` with the
shipped defaults, scheduler and access log included), one after the other in the same run:
floor, service, floor again. The grantees run in this process.

    python bench/bench_web.py                  # prints a Markdown section
    python bench/bench_web.py serve DB_URL     (used internally)
    python bench/bench_web.py serve-floor DB_URL   (used internally)
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import re
import resource
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import storage  # noqa: E402
from bot.admin import operations as admin  # noqa: E402
from bot.channels.web.channel import WebChannel  # noqa: E402
from bot.channels.web.routes import CheckinPages  # noqa: E402
from bot.channels.web.security import secure_headers  # noqa: E402
from bot.channels.web.server import WebServer  # noqa: E402
from bot.channels.web.views import Views  # noqa: E402
from bot.conversation import web_links  # noqa: E402
from bot.conversation.channel import Channel, InboundMessage  # noqa: E402
from bot.conversation.dispatcher import Dispatcher, StepReport  # noqa: E402
from bot.conversation.frameworks import framework_for  # noqa: E402
from bot.gc_tuning import tune_for_serving  # noqa: E402
from bot.service import build_service  # noqa: E402
from bot.settings import Settings  # noqa: E402
from conversations import engine  # noqa: E402
from conversations.framework import ChoiceQuestion  # noqa: E402
from conversations.state import EngineOptions  # noqa: E402
from storage.records import CheckInContext, GranteeSpec, StepOutcome  # noqa: E402
from storage.web_links import WebLink, find_link  # noqa: E402

GRANTEES = 50
SERVICE_RUNS = 3  # at full speed, each on a fresh round; then one at a reading pace
ROUNDS = SERVICE_RUNS + 1
# the paced run: each grantee reads a page for 0 to 4 s (2 s on average) before answering,
# five times quicker than people do; 50 of them offer the service about 25 answers a second
THINK_SECONDS = 2.0
TARGET_SHARE, TARGET_P95_MS = 0.50, 50.0
HIDDEN = re.compile(r'<input type="hidden" name="(\w+)" value="([^"]*)">')
ANSWERS = {
    "count": {"answer": "10"},
    "number": {"answer": "7.5"},
    "proportion": {"x": "8", "n": "10"},
    "yes_no": {"answer": "no"},
    "scale": {"answer": "3"},
    "text": {"answer": "Neighbours who had never met now cook together."},
}


# ---- the servers (child processes) ----------------------------------------------------------


def _settings(db_url: str, folder: Path) -> Settings:
    return Settings.model_validate(
        {
            "database": {"url": db_url},
            "email": {"inbound_port": 0, "relay": f"maildir:{folder / 'outbox'}"},
            "web": {"port": 0},
        }
    )


async def serve(db_url: str) -> None:
    folder = Path(tempfile.mkdtemp(prefix="bench-web-"))
    logging.basicConfig(level=logging.INFO, filename=folder / "service.log")
    service = build_service(_settings(db_url, folder))
    await service.start()
    tune_for_serving()
    (server,) = [c for c in service.components if isinstance(c, WebServer)]
    try:
        await _until_stdin_closes(server.port or 0)
    finally:
        await service.stop()


class MemoryLinks:
    """The floor's links: every check-in's context in a dict, by token hash."""

    def __init__(self, contexts: dict[str, tuple[WebLink, CheckInContext]]) -> None:
        self.contexts = contexts

    async def open(self, token: str) -> web_links.OpenLink | web_links.LinkProblem:
        found = self.contexts.get(web_links.token_hash(token))
        if found is None:
            return web_links.LinkProblem.UNKNOWN
        return web_links.OpenLink(token, found[0], found[1])


class MemoryDispatcher(Dispatcher):
    """Steps run by the engine and kept in memory: the same transitions, no storage."""

    def __init__(self, channels: dict[str, Channel], links: MemoryLinks) -> None:
        super().__init__(channels)
        self.links = links

    async def handle(
        self, checkin_id: int, message: InboundMessage, *, context: CheckInContext | None = None
    ) -> Any:
        assert context is not None and message.step is not None  # the web's forms carry both
        step = message.step
        framework = framework_for(context.programme)
        state = engine.new_state(framework)
        if context.checkin.state:
            state = state.from_json(context.checkin.state)
        transition = step(framework, state, EngineOptions())
        checkin = replace(
            context.checkin, state=transition.state.to_json(), version=context.checkin.version + 1
        )
        for key, (link, known) in self.links.contexts.items():
            if known.checkin.id == context.checkin.id:
                self.links.contexts[key] = (link, replace(known, checkin=checkin))
        return StepReport(StepOutcome.SAVED, transition.prompts, ())


async def serve_floor(db_url: str) -> None:
    logging.basicConfig(level=logging.ERROR)
    contexts: dict[str, tuple[WebLink, CheckInContext]] = {}
    async with storage.database(db_url):
        for token in os.environ["BENCH_WEB_TOKENS"].split(","):
            found = await find_link(web_links.token_hash(token))
            assert found is not None
            fresh = replace(found.context.checkin, state={}, status="not_started")
            contexts[web_links.token_hash(token)] = (
                found.link,
                replace(found.context, checkin=fresh),
            )
    links = MemoryLinks(contexts)
    dispatcher = MemoryDispatcher({"web": WebChannel()}, links)
    app = web.Application(middlewares=[secure_headers(False)])
    CheckinPages(dispatcher, links, Views(dispatcher)).add_routes(app)  # type: ignore[arg-type]
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    tune_for_serving()
    try:
        await _until_stdin_closes(int(runner.addresses[0][1]))
    finally:
        await runner.cleanup()


async def _until_stdin_closes(port: int) -> None:
    started = resource.getrusage(resource.RUSAGE_SELF)  # start-up's CPU, for those who subtract it
    print(f"PORT {port} CPU {started.ru_utime + started.ru_stime}", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(f"CPU {usage.ru_utime + usage.ru_stime}", flush=True)


# ---- the grantees (this process) ------------------------------------------------------------


@dataclass
class Run:
    name: str
    answers: int
    seconds: float
    times: list[float]
    cpu: float

    @property
    def cpu_each(self) -> float:
        return self.cpu / self.answers

    @property
    def rate(self) -> float:
        return self.answers / self.seconds

    def quantile(self, q: float) -> float:
        return statistics.quantiles(self.times, n=100)[int(q * 100) - 1] * 1000


async def setup(db_url: str) -> list[list[str]]:
    """The example programme, 50 grantees and ROUNDS rounds; each check-in's link token."""
    tokens: list[list[str]] = []
    async with storage.database(db_url):
        programme = await admin.load_programme(ROOT / "examples" / "programme.toml")
        specs = [
            GranteeSpec(
                f"Grantee {i}",
                f"Org {i}",
                f"g{i}@bench.example.org",
                None,
                "Europe/London",
                programme.activity_types[0],
                "Leeds",
            )
            for i in range(GRANTEES)
        ]
        await storage.upsert_grantees(programme.id, specs)
        links = web_links.Links("")
        for n in range(ROUNDS):
            await admin.open_round(
                programme.slug, f"bench {n}", now=datetime.now(UTC), timezone="UTC"
            )
            report = await admin.round_status(programme.slug, f"bench {n}")
            round_tokens = []
            for line in report.rows:
                assert line.checkin is not None
                context = await storage.load_checkin_context(line.checkin.id)
                round_tokens.append(await links.mint(context))
            tokens.append(round_tokens)
    return tokens


async def grantee(
    session: aiohttp.ClientSession,
    base: str,
    token: str,
    answers: dict[str, dict[str, str]],
    think: float,
) -> list[float]:
    """One check-in from the start page to submitted; the time of each answer. With `think`,
    the grantee reads each page for a random time of up to twice that many seconds."""
    rng = random.Random(token)
    times: list[float] = []
    link = f"{base}/checkin/{token}"
    async with session.get(link) as response:
        page = await response.text()
    async with session.post(link + "/start", data=dict(HIDDEN.findall(page))) as response:
        page = await response.text()
        path = response.url.path
    while "/question/" in path:
        fields = answers[path.rsplit("/", 1)[1]]
        if think:
            await asyncio.sleep(rng.uniform(0, 2 * think))
        started = time.perf_counter()
        async with session.post(
            f"{base}{path}", data={**dict(HIDDEN.findall(page)), **fields, "action": "continue"}
        ) as response:
            page = await response.text()
            path = response.url.path
            assert response.status == 200, (response.status, page[:300])
        times.append(time.perf_counter() - started)
    assert path.endswith("/check"), path
    started = time.perf_counter()
    async with session.post(
        f"{base}/checkin/{token}/submit", data=dict(HIDDEN.findall(page)), allow_redirects=False
    ) as response:
        assert response.status == 303, response.status
    times.append(time.perf_counter() - started)
    return times


async def measure(
    name: str,
    command: list[str],
    tokens: list[str],
    answers: dict[str, dict[str, str]],
    think: float = 0.0,
) -> Run:
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        *command,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        cwd=ROOT,
        env={**os.environ, "BENCH_WEB_TOKENS": ",".join(tokens)},
    )
    assert child.stdout is not None and child.stdin is not None
    line = (await child.stdout.readline()).decode()
    port = int(line.split()[1])
    base = f"http://127.0.0.1:{port}"
    connector = aiohttp.TCPConnector(limit=GRANTEES * 2)
    async with aiohttp.ClientSession(connector=connector) as session:
        started = time.perf_counter()
        results = await asyncio.gather(*(grantee(session, base, t, answers, think) for t in tokens))
        seconds = time.perf_counter() - started
    child.stdin.close()
    cpu = float((await child.stdout.readline()).decode().split()[1])
    await child.wait()
    times = [t for one in results for t in one]
    return Run(name, len(times), seconds, times, cpu)


async def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="bench-web-"))
    db_url = f"sqlite://{folder / 'checkins.sqlite3'}"
    rounds = await setup(db_url)
    async with storage.database(db_url):
        context = await storage.load_checkin_context(1)
    answers = {
        q.id: {"answer": q.options[0].value} if isinstance(q, ChoiceQuestion) else ANSWERS[q.kind]
        for q in framework_for(context.programme).questions
    }
    me = str(Path(__file__).resolve())
    floor, serve = [me, "serve-floor", db_url], [me, "serve", db_url]
    # floor, service, floor, ...: each service run beside the floor runs just before and after
    runs = [await measure("floor", floor, rounds[0], answers)]
    for n in range(SERVICE_RUNS):
        runs.append(await measure("service, SQLite", serve, rounds[n], answers))
        runs.append(await measure("floor", floor, rounds[n], answers))
    paced_floor = await measure("floor, paced", floor, rounds[-1], answers, THINK_SECONDS)
    paced = await measure("service, SQLite, paced", serve, rounds[-1], answers, THINK_SECONDS)
    print(report(runs, paced_floor, paced))


def report(runs: list[Run], paced_floor: Run, paced: Run) -> str:
    rows = [
        "| server | answers | per second | of floor | p50 ms | p95 ms | p99 ms "
        "| server CPU ms an answer |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    shares, cpu_ratios = [], []
    for index, run in enumerate(runs):
        of = "100%"
        if index % 2:  # a service run: against the mean of the floors either side
            beside = (runs[index - 1], runs[index + 1])
            share = run.rate / statistics.mean(f.rate for f in beside)
            shares.append(share)
            cpu_ratios.append(run.cpu_each / statistics.mean(f.cpu_each for f in beside))
            of = f"{share:.0%}"
        rows.append(_row(run, of))
    rows += [_row(paced_floor, "paced"), _row(paced, "paced")]
    share = statistics.median(shares)
    p95 = paced.quantile(0.95)
    met = lambda ok: "met" if ok else "NOT met"  # noqa: E731
    return "\n".join(
        [
            "## Web: answers through the check-in pages (bench/bench_web.py)",
            "",
            f"{GRANTEES} grantees answer their check-ins at once over HTTP, each through its own "
            "private link, from the start page to submitted. An answer counts when its form POST "
            "has been stored through the dispatcher (link and check-in read and checked, step and "
            "audit rows saved "
            "in one transaction) and the next page has been returned "
            "(the redirect's GET: the page drawn from the check-in as the step stored it, the "
            "link's expiry checked again, and rendered); submitting counts too. The "
            "floor is a bare aiohttp app with the same handlers and templates whose links and "
            "check-ins live in memory and whose steps run the engine in memory, measured before "
            "and after each service run in the same run. Both servers run in a child process each; "
            "the service is `build_service` with the shipped defaults (scheduler and access log "
            "included). The page after submitting (the benchmarked summary) is not counted: "
            "the floor has no database to compute it from. Throughput is measured with every "
            "grantee answering as fast as the pages come back (all rows but the last two), "
            "so page times there are queueing: 50 requests in flight at once. Page times are "
            "measured in the last two runs (floor, then service on a fresh round), with each "
            "grantee reading a page for 2 s "
            "on average before answering (people take ten seconds or more): 50 grantees then "
            "offer about 25 answers a second. Targets: at least 50% of the floor's "
            "throughput, p95 under 50 ms (SQLite).",
            "",
            *rows,
            "",
            f"- SQLite: {share:.0%} of the floor's throughput, the median of {len(shares)} "
            f"service runs ({', '.join(f'{x:.0%}' for x in shares)}; target at least 50%: "
            f"{met(share >= TARGET_SHARE)}); p95 {p95:.0f} ms (target under 50 ms: "
            f"{met(p95 < TARGET_P95_MS)}, paced run; the floor's {paced_floor.quantile(0.95):.0f} "
            "ms beside it); the service's CPU an answer is "
            f"{statistics.median(cpu_ratios):.1f} times the floor's.",
            f"- Load average when it finished: {os.getloadavg()[0]:.1f}.",
        ]
    )


def _row(run: Run, of: str) -> str:
    return (
        f"| {run.name} | {run.answers:,} | {run.rate:,.0f} | {of} | {run.quantile(0.50):.0f} | "
        f"{run.quantile(0.95):.0f} | {run.quantile(0.99):.0f} | {run.cpu_each * 1000:.1f} |"
    )


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "serve":
        asyncio.run(serve(sys.argv[2]))
    elif len(sys.argv) > 2 and sys.argv[1] == "serve-floor":
        asyncio.run(serve_floor(sys.argv[2]))
    else:
        asyncio.run(main())
