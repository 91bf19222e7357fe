"""Real `checkins serve` processes on loopback with their relay sink, Slack stand-in and load."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import email.policy
import email.utils
import json
import os
import re
import signal
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import aiohttp
import aiosmtplib
import asyncpg  # type: ignore[import-untyped]
from aiosmtpd.smtp import SMTP, Envelope, Session

from bot.admin import operations as admin
from bot.admin.rounds_by_hand import open_round_now
from bot.demo.slack_standin_limits import SCRIPTED_PACE, scripted_limits
from storage.db import database
from tests.faults.tally import TALLY
from tests.support.fake_slack import Call, SignedSender, SlackStandIn, SlackUser, message_event
from tests.support.slack_text import block_text

BIN = Path(sys.executable).parent
SECRET = "5f1c0ffee0ddba11deadbeefcafe1234"
BOT_TOKEN = "xoxb-faults-token"
DOMAIN = "replies.example.org"
PROGRAMME = "faults-2026"
PERIOD = "2026 Q4"
ZONE = "Europe/London"
_LISTENING = re.compile(r"ready; listening: (?P<what>.*)$")
_ADDRESS = re.compile(r"(slack http|email smtp) ([\d.]+):(\d+)")
_QUESTION = re.compile(r"\*Question (\d+)\*")

PROGRAMME_TOML = f"""
[funder]
slug = "faults-foundation"
name = "Faults Foundation"

[programme]
slug = "{PROGRAMME}"
name = "Faults Community Fund"
framework = "social_cohesion_v1"

[[contacts]]
name = "Priya Shah"
email = "priya.shah@faults.example"
"""
# no [schedule]: the scheduler runs, but only sends what a round opened by hand queued


# ---- the database, as the test sees it -----------------------------------------------------------


def asyncpg_dsn(url: str) -> str:
    """asyncpg takes postgres:// and postgresql:// only; tortoise also takes asyncpg://."""
    return urlunsplit(urlsplit(url)._replace(scheme="postgresql"))


async def query(url: str, sql: str, *args: object) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(asyncpg_dsn(url), timeout=10)
    try:
        rows: list[asyncpg.Record] = await connection.fetch(sql, *args)
        return rows
    finally:
        await connection.close()


async def not_recorded(url: str, channel: str, external_ids: Sequence[str]) -> list[str]:
    """Those of the inbound message ids that the service has no record of (not handled)."""
    rows = await query(
        url,
        "SELECT external_id FROM inbound_message WHERE channel = $1 "
        "AND external_id = ANY($2::text[])",
        channel,
        list(external_ids),
    )
    seen = {str(r["external_id"]) for r in rows}
    return [f"{channel} {e}" for e in external_ids if e not in seen]


async def outbound_states(url: str) -> Counter[str]:
    rows = await query(url, "SELECT status, count(*) AS n FROM outbound_message GROUP BY status")
    return Counter({str(r["status"]): int(r["n"]) for r in rows})


async def wait_outbox_drained(url: str, timeout: float) -> Counter[str]:
    """Until nothing is pending or being sent; the final counts by status."""
    deadline = time.monotonic() + timeout
    while True:
        states = await outbound_states(url)
        if not states["pending"] and not states["sending"]:
            return states
        if time.monotonic() > deadline:
            raise AssertionError(f"the outbox never drained: {dict(states)}")
        await asyncio.sleep(0.2)


# ---- the relay sink ------------------------------------------------------------------------------


class MailSink:
    """The outbound relay: keeps every message; can be taken down (refused) or defer (451)."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, EmailMessage]] = []
        self.port = 0
        self.defer_with: str | None = None
        self.deferred = 0
        self._server: asyncio.Server | None = None
        self._sessions: list[SMTP] = []
        self._changed = asyncio.Event()

    def _session(self) -> SMTP:
        session = SMTP(self, hostname="relay.example.org")
        self._sessions.append(session)
        return session

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(self._session, "127.0.0.1", self.port)
        self.port = int(self._server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        """Down: open connections dropped, new ones refused until start() again."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for session in self._sessions:  # the service keeps its relay connection open
            if session.transport is not None:
                session.transport.close()
        self._sessions.clear()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.defer_with:
            self.deferred += 1
            return self.defer_with
        message = email.message_from_bytes(
            envelope.original_content or b"", policy=email.policy.default
        )
        assert isinstance(message, EmailMessage)
        self.messages.append((str(envelope.mail_from), message))
        self._changed.set()
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for _, m in self.messages if str(m["To"]) == address]

    def message_ids(self) -> Counter[str]:
        return Counter(str(m["Message-ID"]) for _, m in self.messages)

    async def wait_for(self, predicate: Callable[[], bool], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise TimeoutError("the sink never received what was expected")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), 0.1)


# ---- one `checkins serve` process ----------------------------------------------------------------


@dataclass
class Endpoints:
    name: str  # the process's
    slack_url: str
    smtp_port: int


class ServiceProcess:
    """`checkins serve --settings FILE` as a child process; its addresses from its ready line."""

    def __init__(self, name: str, settings: Path) -> None:
        self.name = name
        self.settings = settings
        self.lines: list[str] = []
        self.endpoints: Endpoints | None = None
        self.returncode: int | None = None
        self._process: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()

    @property
    def pid(self) -> int:
        assert self._process is not None
        return self._process.pid

    async def start(self, timeout: float = 30) -> Endpoints:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CHECKINS_", "SLACK_"))}
        env |= {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SECRET}
        env["PYTHONUNBUFFERED"] = "1"
        self.endpoints, self.returncode = None, None
        self._ready.clear()
        self._process = await asyncio.create_subprocess_exec(
            str(BIN / "checkins"),
            "serve",
            "--settings",
            str(self.settings),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            env=env,
            cwd=self.settings.parent,
            preexec_fn=_die_with_parent,
        )
        self._reader = asyncio.create_task(self._read(self._process))
        waiting = asyncio.create_task(self._ready.wait())
        await asyncio.wait(
            {waiting, self._reader}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
        )
        waiting.cancel()
        if self.endpoints is None:
            await self.kill()
            raise AssertionError(f"{self.name} did not start:\n" + "\n".join(self.lines[-40:]))
        return self.endpoints

    async def _read(self, process: asyncio.subprocess.Process) -> None:
        assert process.stdout is not None
        async for raw in process.stdout:
            line = raw.decode(errors="replace").rstrip()
            self.lines.append(line)
            found = _LISTENING.search(line)
            if found:
                addresses = {m[0]: (m[1], int(m[2])) for m in _ADDRESS.findall(found["what"])}
                host, port = addresses["slack http"]
                self.endpoints = Endpoints(
                    self.name, f"http://{host}:{port}/slack/events", addresses["email smtp"][1]
                )
                self._ready.set()

    async def kill(self) -> None:
        """SIGKILL: no handler runs, nothing is flushed."""
        await self._signal(signal.SIGKILL, timeout=10)

    async def terminate(self, timeout: float = 30) -> int:
        """SIGTERM: the service's graceful stop; its exit status."""
        return await self._signal(signal.SIGTERM, timeout=timeout)

    async def _signal(self, sig: signal.Signals, *, timeout: float) -> int:
        process = self._process
        if process is None:
            return self.returncode or 0
        self.endpoints = None
        if process.returncode is None:
            process.send_signal(sig)
        try:
            self.returncode = await asyncio.wait_for(process.wait(), timeout)
        except TimeoutError:
            process.kill()
            self.returncode = await process.wait()
            raise AssertionError(f"{self.name} ignored {sig.name} for {timeout}s") from None
        if self._reader is not None:
            await self._reader
        self._process = None
        return self.returncode

    def errors(self) -> list[str]:
        """Tracebacks and ERROR lines in the service's log."""
        return [line for line in self.lines if line.startswith(("ERROR", "CRITICAL", "Traceback"))]


async def checkins(settings: Path, *args: str) -> tuple[int, str]:
    """Run a `checkins` command against the deployment; its exit status and output."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CHECKINS_", "SLACK_"))}
    process = await asyncio.create_subprocess_exec(
        str(BIN / "checkins"),
        *args,
        "--settings",
        str(settings),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env={**env, "COLUMNS": "200"},
    )
    output, _ = await asyncio.wait_for(process.communicate(), 60)
    return int(process.returncode or 0), output.decode()


def _die_with_parent() -> None:
    """In the child: SIGKILL it if the test process dies first, so that none is left running."""
    if sys.platform == "linux":
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def write_settings(
    folder: Path,
    name: str,
    *,
    db_url: str,
    sink: MailSink,
    standin: SlackStandIn,
    outbox: dict[str, float] | None = None,
    claim_seconds: float = 5.0,
    slack_pace: dict[str, float] = SCRIPTED_PACE,
) -> Path:
    """A settings file with every endpoint on loopback and every port chosen by the system.

    `slack_pace`: the [slack] pace settings (a scripted one by default; {} ships Slack's)."""
    pace = "\n".join(f"{key} = {value}" for key, value in slack_pace.items())
    retries = {
        "lease_seconds": 5.0,
        "first_retry_seconds": 0.3,
        "longest_retry_seconds": 2.0,
        "poll_seconds": 0.2,
        **(outbox or {}),
    }
    text = f"""
[database]
url = "{db_url}"

[email]
from_address = "checkins@faults.example.org"
reply_domain = "{DOMAIN}"
inbound_host = "127.0.0.1"
inbound_port = 0
relay = "smtp://127.0.0.1:{sink.port}"
smtp_starttls = false

[slack]
api_base_url = "{standin.api_url}"
http_host = "127.0.0.1"
http_port = 0
{pace}

[web]
host = "127.0.0.1"
port = 0

[schedule]
tick_seconds = 1
claim_seconds = {claim_seconds}

[outbox]
{chr(10).join(f"{key} = {value}" for key, value in retries.items())}

[logging]
level = "INFO"
"""
    path = folder / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


# ---- grantees and their round --------------------------------------------------------------------


@dataclass(frozen=True)
class Grantee:
    number: int
    email: str
    slack_user: str | None  # None: answers by email

    @property
    def dm(self) -> str:
        return f"D{self.slack_user}"


def grantees(slack: int, by_email: int) -> list[Grantee]:
    people = [Grantee(n, f"slack{n:03d}@load.example.org", f"U0LOAD{n:04d}") for n in range(slack)]
    people += [Grantee(slack + n, f"mail{n:03d}@load.example.org", None) for n in range(by_email)]
    return people


def workspace(people: Iterable[Grantee]) -> dict[str, SlackUser]:
    return {g.slack_user: SlackUser(g.slack_user, g.email) for g in people if g.slack_user}


async def seed(db_url: str, folder: Path, people: Sequence[Grantee]) -> int:
    """Programme, grantees and an open round whose first messages are due now; check-ins made."""
    programme_file = folder / "programme.toml"
    programme_file.write_text(PROGRAMME_TOML, encoding="utf-8")
    rows = ["name,organisation,email,slack_user_id,timezone,activity_type,local_authority"]
    rows += [
        f"Grantee {g.number},Project {g.number},{g.email},{g.slack_user or ''},{ZONE},arts,Leeds"
        for g in people
    ]
    csv = folder / "grantees.csv"
    csv.write_text("\n".join(rows) + "\n", encoding="utf-8")
    async with database(db_url):
        await admin.load_programme(programme_file)
        await admin.import_grantees(csv, PROGRAMME)
        opened, _ = await open_round_now(
            PROGRAMME, PERIOD, now=datetime.now(UTC), zone=ZONE, due=None
        )
    return opened.created


# ---- what each grantee answers -------------------------------------------------------------------

# O1 sessions, O2 attendance, O3 unique participants (<= O2), O4 first-timers (<= O3), O5 volunteers
QUESTIONS = ("O1", "O2", "O3", "O4", "O5")


def planned_answers(grantee: Grantee) -> dict[str, int]:
    """Different figures per grantee, consistent with the framework's rules."""
    n = grantee.number
    return {"O1": 10 + n, "O2": 400 + n, "O3": 200 + n, "O4": 100 + n, "O5": 1 + n % 7}


def email_replies(grantee: Grantee) -> list[dict[int, int]]:
    """Two replies by question number: the first three answers, then the other two."""
    values = planned_answers(grantee)
    numbered = {i + 1: values[q] for i, q in enumerate(QUESTIONS)}
    return [{k: numbered[k] for k in (1, 2, 3)}, {k: numbered[k] for k in (4, 5)}]


def expected_messages(slack: int, by_email: int) -> Counter[str]:
    """Each grantee's first message, then a reply to each Slack answer or to each email."""
    return Counter(
        {
            "slack:start": slack,
            "slack:reply": 5 * slack,
            "email:start": by_email,
            "email:reply": 2 * by_email,
        }
    )


def asked(call: Call) -> int | None:
    """The framework position of the question a posted message asks, if it asks one."""
    found = _QUESTION.findall(block_text(call))
    return int(found[-1]) if found else None


def live(*processes: ServiceProcess) -> Callable[[], list[Endpoints]]:
    """The endpoints of those `processes` that are up, for the load generator."""
    return lambda: [p.endpoints for p in processes if p.endpoints is not None]


# ---- the load generator --------------------------------------------------------------------------


@dataclass
class Traffic:
    """What the generator tried and what the service acknowledged."""

    slack_sent: int = 0  # HTTP requests posted
    slack_acked: int = 0  # ... answered 200
    slack_retried: int = 0  # events sent again because no reply came (Slack's retry)
    slack_unreachable: int = 0  # requests that found no service listening
    email_sent: int = 0  # SMTP transactions attempted
    email_acked: int = 0  # ... answered 250
    email_retried: int = 0  # ... refused (4xx or no server) and tried again later
    acked_emails: list[str] = field(default_factory=list)  # Message-IDs answered 250, in order
    acked_by: Counter[str] = field(default_factory=Counter)  # acknowledgements per instance
    acked_events: list[str] = field(default_factory=list)  # Slack event ids answered 200
    answers_acked: int = 0  # answers inside acknowledged messages


class Load:
    """Bounded traffic: each grantee answers like a person, one message at a time.

    Slack: type the answer to the question asked, and if no reply comes, deliver the same event
    again with X-Slack-Retry-Num, as Slack does for deliveries that failed. Email: reply to the
    latest check-in email; a refused or unanswered SMTP transaction is retried with the same
    Message-ID, as a sending mail server does. Requests go to the live instances in turn.
    """

    def __init__(
        self,
        live: Callable[[], Sequence[Endpoints]],
        standin: SlackStandIn,
        sink: MailSink,
        *,
        reply_timeout: float = 4.0,
        deadline: float = 90.0,
    ) -> None:
        self.live = live
        self.standin = standin
        self.sink = sink
        self.reply_timeout = reply_timeout
        self.deadline = time.monotonic() + deadline
        self.traffic = Traffic()
        self._turn = 0
        self._session: aiohttp.ClientSession | None = None

    async def _endpoint(self) -> Endpoints:
        while True:
            found = list(self.live())
            if found:
                self._turn += 1
                return found[self._turn % len(found)]
            self._check_deadline()
            await asyncio.sleep(0.05)

    def _check_deadline(self) -> None:
        if time.monotonic() > self.deadline:
            raise AssertionError(f"the load did not finish in time: {self.traffic}")

    async def acknowledged(self, count: float, running: asyncio.Task[Traffic]) -> None:
        """Until `count` answers are acknowledged (the load runs as `running`)."""
        async with asyncio.timeout(60):
            while self.traffic.answers_acked < count:
                if running.done():
                    running.result()  # the load failed: say why
                    raise AssertionError("the load finished before the fault")
                await asyncio.sleep(0.01)

    async def first_messages(self, people: Sequence[Grantee], timeout: float = 30) -> None:
        """Until every grantee has been sent the round's first message."""

        def out() -> bool:
            return all(
                self.standin.posts(g.dm) if g.slack_user else self.sink.to(g.email) for g in people
            )

        await self.sink.wait_for(out, timeout)

    async def run(self, people: Sequence[Grantee]) -> Traffic:
        async with aiohttp.ClientSession() as session:
            self._session = session
            await asyncio.gather(
                *(self.slack(g) if g.slack_user else self.email(g) for g in people)
            )
        return self.traffic

    # ---- Slack ---------------------------------------------------------------------------------

    def _asking(self, grantee: Grantee) -> int | None:
        posts = self.standin.posts(grantee.dm)
        numbers = [n for n in (asked(p) for p in posts) if n is not None]
        return max(numbers) if numbers else None

    async def _asked_beyond(self, grantee: Grantee, number: int, timeout: float) -> bool:
        with contextlib.suppress(TimeoutError):
            await self.standin.wait_for(
                lambda: (self._asking(grantee) or 0) > number, timeout=timeout
            )
            return True
        return False

    async def slack(self, grantee: Grantee) -> None:
        assert self._session is not None
        await self._asked_beyond(grantee, 0, timeout=30)  # the first message, from the scheduler
        values = planned_answers(grantee)
        for number, question in enumerate(QUESTIONS, start=1):
            current = self._asking(grantee)
            assert current == number, f"{grantee.email} is asked {current}, not {number}"
            event = message_event(
                str(grantee.slack_user),
                str(values[question]),
                event_id=f"Ev{grantee.number:04d}Q{number}",
            )
            for attempt in range(40):
                self._check_deadline()
                endpoint = await self._endpoint()
                sender = SignedSender(endpoint.slack_url, SECRET, self._session)
                headers = (
                    {"X-Slack-Retry-Num": str(attempt), "X-Slack-Retry-Reason": "http_timeout"}
                    if attempt
                    else None
                )
                self.traffic.slack_sent += 1
                self.traffic.slack_retried += bool(attempt)
                try:
                    status, _ = await sender.event(event, headers=headers)
                except (aiohttp.ClientError, OSError):
                    self.traffic.slack_unreachable += 1
                    await asyncio.sleep(0.1)
                    continue
                if status == 200:
                    self.traffic.slack_acked += 1
                    self.traffic.acked_by[endpoint.name] += 1
                    self.traffic.acked_events.append(str(event["event_id"]))
                if await self._asked_beyond(grantee, number, self.reply_timeout):
                    self.traffic.answers_acked += 1
                    break
            else:
                raise AssertionError(f"{grantee.email} never got a reply to question {number}")

    # ---- email ---------------------------------------------------------------------------------

    async def email(self, grantee: Grantee) -> None:
        await self.sink.wait_for(lambda: bool(self.sink.to(grantee.email)), timeout=30)
        for index, answers in enumerate(email_replies(grantee)):
            latest = self.sink.to(grantee.email)[-1]
            message_id = f"<g{grantee.number}r{index}@client.example.org>"
            reply = reply_to(grantee.email, latest, answers, message_id)
            await self._deliver(reply, str(latest["Reply-To"]), grantee.email)
            self.traffic.answers_acked += len(answers)

            def replied(mid: str = message_id) -> bool:
                return any(mid in str(m["References"] or "") for m in self.sink.to(grantee.email))

            # stored on 250, so the reply comes; after a kill it may wait for a lease to end
            await self.sink.wait_for(replied, timeout=30)

    async def _deliver(self, reply: EmailMessage, rcpt: str, mail_from: str) -> None:
        raw = reply.as_bytes(policy=email.policy.SMTP)
        while True:
            self._check_deadline()
            endpoint = await self._endpoint()
            self.traffic.email_sent += 1
            client = aiosmtplib.SMTP(
                hostname="127.0.0.1",
                port=endpoint.smtp_port,
                timeout=10,
                local_hostname="client.example.org",
            )
            try:
                await client.connect()
                await client.sendmail(mail_from, [rcpt], raw)
            except (aiosmtplib.SMTPException, OSError):
                self.traffic.email_retried += 1
                await asyncio.sleep(0.1)
                continue
            finally:
                with contextlib.suppress(aiosmtplib.SMTPException, OSError):
                    client.close()
            self.traffic.email_acked += 1
            self.traffic.acked_by[endpoint.name] += 1
            self.traffic.acked_emails.append(str(reply["Message-ID"]))
            return


def reply_to(
    sender: str, to: EmailMessage, answers: dict[int, int], message_id: str
) -> EmailMessage:
    """A grantee's reply to one of our emails, answers by question number."""
    reply = EmailMessage()
    reply["From"] = sender
    reply["To"] = str(to["Reply-To"])
    reply["Subject"] = "Re: " + str(to["Subject"])
    reply["Message-ID"] = message_id
    reply["Date"] = email.utils.formatdate()
    reply["In-Reply-To"] = str(to["Message-ID"])
    reply["References"] = str(to["Message-ID"])
    reply.set_content("\n".join(f"{n}: {value}" for n, value in answers.items()) + "\n\nThanks")
    return reply


# ---- what was stored and what was sent ---------------------------------------------------------


@dataclass
class Ledger:
    """Answers stored and messages delivered, read back from the database and the receivers."""

    answers: int  # answer rows of the load's questions, each with the planned value
    wrong: list[str]  # (grantee, question): missing, a wrong value, or stored more than once
    audit_rows: int
    conflicts: int  # inbound messages refused because the check-in had moved on
    sent_rows: int  # outbound rows marked sent
    kinds: Counter[str]  # outbound rows by the start of their key, e.g. "slack:reply"
    failed_rows: int
    slack_posts: int
    slack_duplicates: dict[int, int]  # outbound row id -> extra posts of it
    slack_orphans: int  # posts matching no outbound row
    emails: int
    email_duplicates: dict[int, int]  # outbound row id -> extra copies the relay got
    email_missing: int  # rows marked sent whose Message-ID the relay never got
    email_orphans: int

    @property
    def duplicated_rows(self) -> set[int]:
        return set(self.slack_duplicates) | set(self.email_duplicates)

    @property
    def duplicates(self) -> int:
        """Extra copies delivered, Slack posts and emails together."""
        return sum(self.slack_duplicates.values()) + sum(self.email_duplicates.values())


async def ledger(
    db_url: str, people: Sequence[Grantee], standin: SlackStandIn, sink: MailSink
) -> Ledger:
    rows = await query(
        db_url,
        "SELECT g.email, a.question_id, a.value::text AS value, "
        "(SELECT count(*) FROM answer_change h WHERE h.checkin_id = a.checkin_id "
        " AND h.question_id = a.question_id) AS changes "
        "FROM answer a JOIN checkin c ON c.id = a.checkin_id JOIN grantee g ON g.id = c.grantee_id",
    )
    emails = {g.email for g in people}
    stored = {(str(r["email"]), str(r["question_id"])): r for r in rows if r["email"] in emails}
    wrong: list[str] = []
    for grantee in people:
        for question, value in planned_answers(grantee).items():
            row = stored.pop((grantee.email, question), None)
            if row is None:
                wrong.append(f"{grantee.email} {question}: missing")
            elif json.loads(row["value"]) != value:
                wrong.append(f"{grantee.email} {question}: {row['value']} instead of {value}")
            elif row["changes"] != 1:
                wrong.append(f"{grantee.email} {question}: stored {row['changes']} times")
    wrong += [f"{email} {question}: never sent" for email, question in stored]
    audit = await query(db_url, "SELECT count(*) AS n FROM answer_change")
    conflicts = await query(
        db_url, "SELECT count(*) AS n FROM inbound_message WHERE outcome = 'conflict'"
    )
    outbound = await query(
        db_url,
        "SELECT id, channel, status, external_id, idempotency_key FROM outbound_message",
    )
    sent = [r for r in outbound if r["status"] == "sent"]
    # Slack: a row's external_id is "channel:ts" of what Slack accepted; a post whose ts no row
    # recorded is a second send of some row (same content), or a send nobody asked for
    posts = standin.posts()
    by_ts = {f"{p.response['channel']}:{p.response['ts']}": p for p in posts}
    slack_rows = {str(r["external_id"]): int(r["id"]) for r in sent if r["channel"] == "slack"}
    content_of = {
        json.dumps([p.params.get("channel"), p.params.get("blocks")], sort_keys=True): slack_rows[
            ts
        ]
        for ts, p in by_ts.items()
        if ts in slack_rows
    }
    slack_duplicates: Counter[int] = Counter()
    slack_orphans = 0
    for ts, post in by_ts.items():
        if ts in slack_rows:
            continue
        key = json.dumps([post.params.get("channel"), post.params.get("blocks")], sort_keys=True)
        if key in content_of:
            slack_duplicates[content_of[key]] += 1
        else:
            slack_orphans += 1
    # email: a row's external_id is the Message-ID it was sent with, the same on every attempt
    copies = sink.message_ids()
    email_rows = {str(r["external_id"]): int(r["id"]) for r in sent if r["channel"] == "email"}
    return Ledger(
        answers=sum(len(planned_answers(g)) for g in people)
        - len([w for w in wrong if "missing" in w]),
        wrong=wrong,
        audit_rows=int(audit[0]["n"]),
        conflicts=int(conflicts[0]["n"]),
        sent_rows=len(sent),
        kinds=Counter(":".join(str(r["idempotency_key"]).split(":")[:2]) for r in outbound),
        failed_rows=sum(1 for r in outbound if r["status"] == "failed"),
        slack_posts=len(posts),
        slack_duplicates=dict(slack_duplicates),
        slack_orphans=slack_orphans,
        emails=sum(copies.values()),
        email_duplicates={
            email_rows[mid]: n - 1 for mid, n in copies.items() if n > 1 and mid in email_rows
        },
        email_missing=sum(1 for mid in email_rows if mid not in copies),
        email_orphans=sum(1 for mid in copies if mid not in email_rows),
    )


# ---- fixtures' building blocks ------------------------------------------------------------------


@asynccontextmanager
async def receivers(people: Sequence[Grantee]) -> AsyncIterator[tuple[SlackStandIn, MailSink]]:
    """The Slack stand-in and the relay sink, in the test's loop, on ports of their choosing."""
    standin = SlackStandIn(workspace(people), limits=scripted_limits())
    sink = MailSink()
    await standin.start()
    await sink.start()
    try:
        yield standin, sink
    finally:
        await sink.stop()
        await standin.stop()


@asynccontextmanager
async def instances(*processes: ServiceProcess) -> AsyncIterator[Sequence[ServiceProcess]]:
    """Start the processes; on the way out, any still running is killed."""
    try:
        await asyncio.gather(*(p.start() for p in processes))
        yield processes
    finally:
        for process in processes:
            with contextlib.suppress(AssertionError):
                await process.kill()


@asynccontextmanager
async def seeded_service(
    db_url: str,
    folder: Path,
    people: Sequence[Grantee],
    *,
    also_seeded: Sequence[Grantee] = (),
    outbox: dict[str, float] | None = None,
    claim_seconds: float = 5.0,
) -> AsyncIterator[tuple[ServiceProcess, SlackStandIn, MailSink]]:
    """The round seeded for `people` (and `also_seeded`), their receivers, and one service "svc"
    set up against them but not started (start it with `instances`)."""
    await seed(db_url, folder, [*people, *also_seeded])
    async with receivers(people) as (standin, sink):
        settings = write_settings(
            folder,
            "svc",
            db_url=db_url,
            sink=sink,
            standin=standin,
            outbox=outbox,
            claim_seconds=claim_seconds,
        )
        yield ServiceProcess("svc", settings), standin, sink


REPORTED: list[str] = []  # printed again at the end of the run (tests/faults/conftest.py)


def report(suite: str, line: str, *, tried: int, lost: int) -> None:
    """One measurement: printed now (pytest -s), listed at the end, counted in the tally."""
    REPORTED.append(f"{suite}: {line}")
    print(f"\n{suite}: {line}")
    TALLY.tried[suite] += tried
    TALLY.lost[suite] += lost
