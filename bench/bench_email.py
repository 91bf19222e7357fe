"""Email replies per second: the real service against a bare aiosmtpd server (the floor).

A reply is one email sent over a new SMTP connection (as mail servers do) to the service's
inbound server, until the next check-in email reaches the outbound sink: parsed, stored, the
next email rendered and handed to the relay. Eight senders answer check-ins one question per
reply, then submit. The floor is an aiosmtpd server that accepts and discards the same
replies, driven by the same senders in the same run: a first, unmeasured run of the service
keeps each check-in email the senders answered and what they answered, and the floor's senders
build their replies from those, in the same way. The service, the floor and the outbound
sink (the relay) each run in a child process of their own, as deployed; the senders run in this
one, and the relay passes on each email it accepts to them.

    python bench/bench_email.py                       # prints a Markdown section
    python bench/bench_email.py serve DB_URL SINK_PORT   (used internally)
    python bench/bench_email.py serve-floor              (used internally)
    python bench/bench_email.py serve-relay              (used internally)
"""

from __future__ import annotations

import asyncio
import binascii
import contextlib
import email.parser
import email.policy
import itertools
import logging
import os
import re
import resource
import statistics
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import aiosmtplib
import asyncpg  # type: ignore[import-untyped]
import orjson
from aiosmtpd.smtp import SMTP, Envelope, Session

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import storage  # noqa: E402
from bot.admin import operations as admin  # noqa: E402
from bot.channels.email.inbound import EmailInbound  # noqa: E402
from bot.channels.email.smtp_session import InboundSMTP  # noqa: E402
from bot.conversation.frameworks import framework_for  # noqa: E402
from bot.gc_tuning import tune_for_serving  # noqa: E402
from bot.service import build_service  # noqa: E402
from bot.settings import Settings  # noqa: E402
from storage.records import GranteeSpec  # noqa: E402

SENDERS = 8
REPLIES = int(os.environ.get("BENCH_EMAIL_REPLIES", "2000"))
GRANTEES = 150  # more check-ins than 2,000 replies need (about 20 replies each)
DOMAIN = "replies.example.org"
POSTGRES = os.environ.get("CHECKINS_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")
ANSWERS = {
    "count": "10",
    "number": "7.5",
    "proportion": "8 of 10",
    "choice": "1",
    "yes_no": "no",
    "text": "Neighbours who had never met now cook together.",
}
QUESTION_LINE = re.compile(r"^(\d+)\. ", re.MULTILINE)


@dataclass(frozen=True)
class Received:
    """A check-in email as the relay passes it on: the headers a reply needs, and its text."""

    headers: dict[str, str]
    text: str


REPLY_HEADERS = ("Reply-To", "Subject", "Message-ID")


class Relay:
    """The outbound relay, in a process of its own: each email it accepts is written to stdout
    as one JSON line (its recipients, the headers a reply needs and its plain text)."""

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        received = received_email(envelope.original_content or b"")
        line = {"to": [r.lower() for r in envelope.rcpt_tos], **asdict(received)}
        sys.stdout.buffer.write(orjson.dumps(line) + b"\n")
        sys.stdout.flush()
        return "250 OK"


class Sink:
    """What the relay passed on, kept in order for each recipient."""

    def __init__(self) -> None:
        self.inbox: defaultdict[str, asyncio.Queue[Received]] = defaultdict(asyncio.Queue)
        self.cpu = 0.0  # the relay process's CPU seconds, once it has stopped

    async def read(self, relay: asyncio.StreamReader) -> None:
        async for line in relay:
            if line.startswith(b"CPU "):
                self.cpu = float(line.split()[1])
                continue
            passed = orjson.loads(line)
            received = Received(passed["headers"], passed["text"])
            for rcpt in passed["to"]:
                self.inbox[rcpt].put_nowait(received)


def received_email(raw: bytes) -> Received:
    """The headers a reply needs and the first text/plain part of an outbound email, read as a
    relay would: the header block by a pattern, then the body cut at its boundary and the text
    part decoded. The email package would parse every header and every part (HTML and charts
    too): CPU taken from the service, which shares the machine's two cores with the relay."""
    head, _, body = raw.partition(b"\r\n\r\n")
    headers = _header_values(head)
    found = _BOUNDARY.search(headers.get("content-type", ""))
    # the line break before a boundary belongs to the boundary (RFC 2046); "--" after the
    # last one closes the message
    delimiter = f"\r\n--{found.group(1)}".encode() if found else None
    parts = (b"\r\n" + body).split(delimiter)[1:-1] if delimiter else [head + b"\r\n\r\n" + body]
    text = ""
    for part in parts:
        part_head, _, content = part.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        fields = _header_values(part_head)
        if fields.get("content-type", "text/plain").split(";")[0].strip().lower() == "text/plain":
            encoding = fields.get("content-transfer-encoding", "").lower()
            if encoding == "quoted-printable":
                content = binascii.a2b_qp(content)
            elif encoding == "base64":
                content = binascii.a2b_base64(content)
            charset = _CHARSET.search(fields.get("content-type", ""))
            text = content.decode(charset.group(1) if charset else "utf-8")
            break
    return Received({name: headers.get(name.lower(), "") for name in REPLY_HEADERS}, text)


_FIELD = re.compile(rb"^([!-9;-~]+):[ \t]*([^\r\n]*(?:\r\n[ \t][^\r\n]*)*)", re.MULTILINE)
_BOUNDARY = re.compile(r'boundary="?([^";]+)"?', re.IGNORECASE)
_CHARSET = re.compile(r'charset="?([^";\s]+)"?', re.IGNORECASE)


def _header_values(block: bytes) -> dict[str, str]:
    """Each header's first value, unfolded, by lower-case name."""
    values: dict[str, str] = {}
    for match in _FIELD.finditer(block):
        name = match.group(1).decode("ascii").lower()
        values.setdefault(name, " ".join(match.group(2).decode("utf-8", "replace").split()))
    return values


class Discard:
    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        return "250 OK"


async def listen(
    handler: object, hostname: str, session: type[SMTP] = SMTP
) -> tuple[asyncio.Server, int]:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: session(handler, hostname=hostname, enable_SMTPUTF8=True), "127.0.0.1", 0
    )
    return server, int(server.sockets[0].getsockname()[1])


def reply_bytes(to: Received, sender: str, body: str) -> bytes:
    reply = EmailMessage()
    reply["From"] = sender
    reply["To"] = unfolded(to.headers["Reply-To"]) or f"reply+{'0' * 40}@{DOMAIN}"
    reply["Subject"] = "Re: " + unfolded(to.headers["Subject"])
    reply["Message-ID"] = make_msgid(domain="mail.example.org")
    reply["In-Reply-To"] = unfolded(to.headers["Message-ID"])
    reply["References"] = unfolded(to.headers["Message-ID"])
    quoted = "\n".join("> " + line for line in to.text.splitlines())
    reply.set_content(f"{body}\n\nOn Mon, 5 Oct 2026 at 10:00, Check-ins wrote:\n{quoted}\n")
    return reply.as_bytes(policy=email.policy.SMTP)


async def send_reply(raw: bytes, sender: str, answered: Received, port: int) -> None:
    """A reply to `answered`, over an SMTP connection of its own, as mail servers send."""
    await aiosmtplib.send(
        raw,
        sender=sender,
        recipients=[unfolded(answered.headers["Reply-To"])],
        hostname="127.0.0.1",
        port=port,
        local_hostname="client.example.org",
    )


def unfolded(value: object) -> str:
    return " ".join(str(value or "").split())


@dataclass
class Run:
    replies: int = 0
    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0
    service_cpu: float = 0.0  # the service process's CPU seconds while it was measured
    relay_cpu: float = 0.0  # the relay's, for the service's runs

    @property
    def cpu_ms(self) -> float:
        return self.service_cpu / self.replies * 1000 if self.replies else 0.0

    @property
    def per_second(self) -> float:
        return self.replies / self.seconds

    def p(self, q: int) -> float:
        return statistics.quantiles(self.latencies, n=100)[q - 1] * 1000


def next_body(message: Received, kinds: list[str]) -> str | None:
    text = message.text
    if "your check-in is complete" in text:
        return None
    if "Here is everything before you submit" in text:
        return "submit"
    numbers = QUESTION_LINE.findall(text)
    if not numbers:
        raise RuntimeError(f"no question in:\n{text}")
    number = int(numbers[0])
    return f"{number}: {ANSWERS[kinds[number - 1]]}"


async def serve_until_stdin_closes(
    *ready: object, finish: Callable[[], Awaitable[None]] | None = None
) -> None:
    """Say READY (and what the benchmark needs), serve until it closes our stdin, `finish`,
    then say how much CPU serving took, with that of the processes it started (the service's
    chart process), which have ended by then."""
    print("READY", *ready, flush=True)
    began = time.process_time()
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    if finish is not None:
        await finish()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = time.process_time() - began + children.ru_utime + children.ru_stime
    print(f"CPU {cpu:.3f}", flush=True)


@contextlib.asynccontextmanager
async def child_serving(
    args: list[str], env: dict[str, str], *, timeout: float
) -> AsyncIterator[tuple[asyncio.subprocess.Process, list[str]]]:
    """This script run with `args` in a child process, and what it said when READY; killed on
    the way out if it has not ended by then."""
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        __file__,
        *args,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        cwd=ROOT,
        env=env,
    )
    assert child.stdout is not None
    try:
        ready = (await asyncio.wait_for(child.stdout.readline(), timeout)).decode().split()
        if ready[:1] != ["READY"]:
            raise RuntimeError(f"{args[0]} did not start: {ready}")
        yield child, ready[1:]
    finally:
        if child.returncode is None:
            child.kill()
            await child.wait()


async def stopped(child: asyncio.subprocess.Process) -> float:
    """Close the child's stdin and wait for it to end; the CPU seconds it said it served with."""
    assert child.stdin is not None and child.stdout is not None
    child.stdin.close()
    cpu = (await asyncio.wait_for(child.stdout.readline(), 60)).decode().split()
    await asyncio.wait_for(child.wait(), 60)
    return float(cpu[1]) if cpu[:1] == ["CPU"] else 0.0


async def serve(db_url: str, sink_port: int) -> None:
    """The service under test, in its own process: set up, email every check-in, then serve."""
    logging.basicConfig(level=logging.ERROR)
    settings = Settings.model_validate(
        {
            "database": {"url": db_url},
            "email": {
                "reply_domain": DOMAIN,
                "inbound_port": 0,
                "relay": f"smtp://127.0.0.1:{sink_port}",
                "smtp_starttls": False,
            },
            "web": {"port": 0},
        }
    )
    service = build_service(settings)
    if os.environ.get("BENCH_EMAIL_WITHOUT_SUMMARIES"):
        service.dispatcher.on_completed.clear()  # to see the email path's own cost
    await service.start()
    tune_for_serving()  # as `checkins serve` does once started
    try:
        inbound = next(c for c in service.components if isinstance(c, EmailInbound))
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
        await admin.open_round(programme.slug, "bench", now=datetime.now(UTC), timezone="UTC")
        report = await admin.round_status(programme.slug)
        for line in report.rows:
            if line.checkin is not None:
                await inbound.routing.dispatcher.start(line.checkin.id, "email", occasion="bench")
        kinds = ",".join(q.kind for q in framework_for(programme).questions)
        await serve_until_stdin_closes(inbound.port, kinds, finish=service.stop)
    except BaseException:
        await service.stop()
        raise


# what a sender answered: the check-in email, the grantee's address and the reply's text
Answered = tuple[Received, str, str]


async def serve_relay() -> None:
    """The relay in its own process, as a real one is: pass emails on until stdin closes."""
    # the service's own SMTP session, which reads the same envelopes for less: the relay's
    # CPU is taken from the service, which the floor's is not
    server, port = await listen(Relay(), "relay.example.org", InboundSMTP)
    await serve_until_stdin_closes(port)
    server.close()
    await server.wait_closed()


async def bench_service(
    db_url: str, *, summaries: bool = True, keep: list[Answered] | None = None
) -> Run:
    sink = Sink()
    env = dict(os.environ)
    async with child_serving(["serve-relay"], env, timeout=60) as (relay, relay_ready):
        assert relay.stdout is not None
        reading = asyncio.create_task(sink.read(relay.stdout))
        if not summaries:
            env["BENCH_EMAIL_WITHOUT_SUMMARIES"] = "1"
        serving = child_serving(["serve", db_url, relay_ready[0]], env, timeout=300)
        async with serving as (child, ready):
            run = await drive_service(sink, child, int(ready[0]), ready[1].split(","), keep)
        assert relay.stdin is not None
        relay.stdin.close()
        await asyncio.wait_for(reading, 60)
        await asyncio.wait_for(relay.wait(), 60)
        run.relay_cpu = sink.cpu
        return run


async def drive_service(
    sink: Sink,
    child: asyncio.subprocess.Process,
    port: int,
    kinds: list[str],
    keep: list[Answered] | None = None,
) -> Run:
    """Replies from every sender until REPLIES are answered; the service's CPU for them.
    With `keep`, each answered email and its answer are added to it."""
    addresses = [f"g{i}@bench.example.org" for i in range(GRANTEES)]
    run = Run()

    async def sender() -> None:
        while addresses and run.replies < REPLIES:
            address = addresses.pop()
            message = await asyncio.wait_for(sink.inbox[address].get(), 60)
            while run.replies < REPLIES:
                body = next_body(message, kinds)
                if body is None:
                    break
                if keep is not None:
                    keep.append((message, address, body))
                raw = reply_bytes(message, address, body)
                started = time.perf_counter()
                await send_reply(raw, address, message, port)
                message = await asyncio.wait_for(sink.inbox[address].get(), 30)
                run.latencies.append(time.perf_counter() - started)
                run.replies += 1

    began = time.perf_counter()
    await asyncio.gather(*(sender() for _ in range(SENDERS)))
    run.seconds = time.perf_counter() - began
    run.service_cpu = await stopped(child)
    return run


async def serve_floor() -> None:
    """The floor in its own process, as the service is: accept, discard, until stdin closes."""
    server, port = await listen(Discard(), "floor.example.org")
    await serve_until_stdin_closes(port)
    server.close()
    await server.wait_closed()


async def bench_floor(answered: list[Answered]) -> Run:
    """The floor sent the replies the service was sent, built the same way, REPLIES of them."""
    replies = itertools.islice(itertools.cycle(answered), REPLIES)
    run = Run()
    async with child_serving(["serve-floor"], dict(os.environ), timeout=60) as (child, ready):
        port = int(ready[0])

        async def sender() -> None:
            for message, address, body in replies:  # the senders share one iterator
                raw = reply_bytes(message, address, body)
                started = time.perf_counter()
                await send_reply(raw, address, message, port)
                run.latencies.append(time.perf_counter() - started)
                run.replies += 1

        began = time.perf_counter()
        await asyncio.gather(*(sender() for _ in range(SENDERS)))
        run.seconds = time.perf_counter() - began
        run.service_cpu = await stopped(child)
    return run


async def answered_replies() -> list[Answered]:
    """What the floor is sent: the replies of an unmeasured run of the service."""
    answered: list[Answered] = []
    with tempfile.TemporaryDirectory() as tmp:
        await bench_service(f"sqlite://{tmp}/bench.sqlite3", keep=answered)
    return answered


async def fresh_postgres() -> tuple[str, str] | None:
    name = f"bench_{uuid.uuid4().hex[:12]}"
    try:
        admin_conn = await asyncpg.connect(POSTGRES.replace("postgres://", "postgresql://", 1))
    except (OSError, asyncpg.PostgresError) as exc:
        print(f"PostgreSQL unreachable ({exc}); skipped", file=sys.stderr)
        return None
    await admin_conn.execute(f'CREATE DATABASE "{name}"')
    await admin_conn.close()
    base = POSTGRES.rsplit("/", 1)[0]
    return f"{base}/{name}", name


async def drop_postgres(name: str) -> None:
    admin_conn = await asyncpg.connect(POSTGRES.replace("postgres://", "postgresql://", 1))
    await admin_conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin_conn.close()


def row(label: str, run: Run, floor: Run) -> str:
    share = run.per_second / floor.per_second * 100
    cpu = f"{run.cpu_ms:.1f}" if run.service_cpu else ""
    return (
        f"| {label} | {run.replies:,} | {run.per_second:,.0f} | {share:.0f}% | "
        f"{run.p(50):.0f} | {run.p(95):.0f} | {run.p(99):.0f} | {cpu} |"
    )


def verdict(label: str, run: Run, floor: Run) -> str:
    share = run.per_second / floor.per_second
    return (
        f"- {label}: {share:.0%} of the floor's throughput (target at least 40%: "
        f"{'met' if share >= 0.4 else 'NOT met'}); p95 {run.p(95):.0f} ms (target under 100 ms: "
        f"{'met' if run.p(95) < 100 else 'NOT met'}); "
        f"the service's CPU {run.cpu_ms:.1f} ms a reply (the relay's "
        f"{run.relay_cpu / run.replies * 1000:.1f} ms)."
    )


def combined(before: Run, after: Run) -> Run:
    """Two floor runs as one: the machine's speed drifts, so each service run is bracketed."""
    return Run(
        replies=before.replies + after.replies,
        latencies=before.latencies + after.latencies,
        seconds=before.seconds + after.seconds,
        service_cpu=before.service_cpu + after.service_cpu,
    )


async def bracketed(service: Awaitable[Run], answered: list[Answered]) -> tuple[Run, Run]:
    """The service's run, and the floor measured right before and right after it."""
    before = await bench_floor(answered)
    run = await service
    return run, combined(before, await bench_floor(answered))


async def main() -> None:
    logging.basicConfig(level=logging.ERROR)
    runs: list[tuple[str, str, Run, Run]] = []  # row label, verdict label, run, its floor
    answered = await answered_replies()
    with tempfile.TemporaryDirectory() as tmp:
        run, floor = await bracketed(bench_service(f"sqlite://{tmp}/bench.sqlite3"), answered)
        runs.append(("service, SQLite", "SQLite", run, floor))
    with tempfile.TemporaryDirectory() as tmp:
        bare = bench_service(f"sqlite://{tmp}/bench.sqlite3", summaries=False)
        run, floor = await bracketed(bare, answered)
        label = "SQLite, no summary on completion"
        runs.append((f"service, {label}", label, run, floor))
    made = await fresh_postgres()
    if made is not None:
        try:
            run, floor = await bracketed(bench_service(made[0]), answered)
            runs.append(("service, PostgreSQL", "PostgreSQL (reported)", run, floor))
        finally:
            await drop_postgres(made[1])
    lines = [
        "## Email: replies through the inbound server until the next email is sent",
        "",
        f"{SENDERS} concurrent senders, each opening one SMTP connection per reply, "
        f"{REPLIES:,} replies per run. A reply counts when the service has parsed it, stored "
        "the answer and handed the next check-in email to the outbound SMTP sink. The floor "
        "is a bare aiosmtpd server that accepts and discards the same replies (the senders "
        "answer, in the same way, the check-in emails of a first, unmeasured service run), "
        "in a process of its own as the service and the relay are, measured right before and "
        "right after "
        "each service run (the two together), since this machine's speed drifts from minute "
        "to minute. "
        "Targets: at least 40% of the floor's throughput, p95 under 100 ms (SQLite). "
        "The service runs as deployed, including the benchmarked summary (with charts) sent "
        "when a check-in is submitted (its charts drawn in the service's chart process, whose "
        "CPU is counted with the service's); one SQLite run leaves that hook out to show the "
        "email path's own cost. The relay stand-in reads envelopes with the service's own SMTP "
        "session class and only the headers and text part a reply needs, since its CPU is "
        "taken from the service's.",
        "",
        "| server | replies | per second | of floor | p50 ms | p95 ms | p99 ms "
        "| server CPU ms a reply |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for label, _, run, floor in runs:
        lines.append(
            f"| floor beside {label.removeprefix('service, ')} | {floor.replies:,} | "
            f"{floor.per_second:,.0f} | 100% | {floor.p(50):.0f} | {floor.p(95):.0f} | "
            f"{floor.p(99):.0f} | {floor.cpu_ms:.1f} |"
        )
        lines.append(row(label, run, floor))
    if made is None:
        lines.append("| service, PostgreSQL | skipped: server unreachable | | | | | | |")
    lines.append("")
    lines += [verdict(name, run, floor) for _, name, run, floor in runs]
    lines.append(f"- Load average when it finished: {os.getloadavg()[0]:.1f}.")
    print("\n".join(lines))


if __name__ == "__main__":
    if sys.argv[1:2] == ["serve"] and os.environ.get("BENCH_EMAIL_PROFILE"):
        import cProfile  # where the service's time goes: BENCH_EMAIL_PROFILE=out.prof

        cProfile.run(
            "asyncio.run(serve(sys.argv[2], int(sys.argv[3])))", os.environ["BENCH_EMAIL_PROFILE"]
        )
    elif sys.argv[1:2] == ["serve"]:
        asyncio.run(serve(sys.argv[2], int(sys.argv[3])))
    elif sys.argv[1:2] == ["serve-relay"]:
        asyncio.run(serve_relay())
    elif sys.argv[1:2] == ["serve-floor"]:
        asyncio.run(serve_floor())
    else:
        asyncio.run(main())
