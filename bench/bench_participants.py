"""Participants' forms at scale: intake latency, forms over HTTP, a grantee's figures.

Targets (issue 22): 1,000 forms submitted concurrently across 50 grantees, all stored, p95 under
100 ms, measured twice: through the storage layer (checked, stored, burst-checked: the intake
path the web form calls), and over HTTP to the real service's web app (bench/
participants_over_http.py); a grantee's outcome figures from 10,000 forms in under 200 ms. On
SQLite and PostgreSQL, with the shipped default settings.

    python bench/bench_participants.py     # prints a Markdown section
"""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402
from participants_over_http import HttpRun, measure_http, register  # noqa: E402  (beside this)
from run import machine  # noqa: E402  (bench/run.py, beside this file)

from bot.participants.intake import Taken, take_form  # noqa: E402
from bot.participants.offer import form_suggestions  # noqa: E402
from bot.participants.report import change_for  # noqa: E402
from conversations.framework import builtin_framework_path, load_builtin  # noqa: E402
from conversations.participant_bursts import answers_signature  # noqa: E402
from storage import models as m  # noqa: E402
from storage import participants  # noqa: E402
from storage.db import database  # noqa: E402
from storage.records import CheckInContext  # noqa: E402
from tests.storage.factories import grantee_spec, programme_spec  # noqa: E402

POSTGRES = os.environ.get("CHECKINS_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")
GRANTEES = 50
FORMS = 1000
BIG = 10_000
PERIOD = "2026 Q4"
WEB_PERIODS = ("2027 Q1", "2027 Q2")  # a fresh form per grantee for each HTTP run
T = TypeVar("T")
THINK_SECONDS = 1.0  # the paced HTTP run: each grantee's next participant comes 0 to 2 s later
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
FW = load_builtin("social_cohesion_v1")


def _fields(rng: random.Random, code: str | None = None) -> dict[str, str]:
    fields = {}
    for item in FW.participant_items:
        if rng.random() < 0.9:  # people skip the odd question
            if item.kind == "score":
                fields[item.id] = str(rng.randint(item.min, item.max))
            else:
                fields[item.id] = rng.choice(item.options).value
    fields["age_band"] = rng.choice(FW.participant_form.age_bands).value  # type: ignore[union-attr]
    if code:
        fields["code"] = code
    return fields


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


async def _setup() -> list[int]:
    import storage

    spec = programme_spec(
        framework_id=FW.id, framework_toml=builtin_framework_path(FW.id).read_text()
    )
    programme = await storage.upsert_programme(spec)
    await storage.upsert_grantees(
        programme.id, [grantee_spec(f"g{n}@bench.example.org", f"Org {n}") for n in range(GRANTEES)]
    )
    await storage.open_round(programme.id, PERIOD, now=NOW, initial_state={})
    return [g.id for g in await storage.list_grantees(programme.id)]


async def _intake(grantee_ids: list[int]) -> tuple[list[float], int]:
    """One submitter per grantee, all at once, each sending its share of the forms in turn."""
    latencies: list[float] = []

    async def submitter(index: int, grantee_id: int) -> None:
        rng = random.Random(index)
        for n in range(FORMS // GRANTEES):
            started = time.perf_counter()
            taken = await take_form(
                FW,
                grantee_id=grantee_id,
                period=PERIOD,
                kind="follow_up",
                channel="online",
                fields=_fields(rng),
                now=NOW + timedelta(minutes=n * 3),
                sender=f"198.51.{index}.{n}",
            )
            latencies.append(time.perf_counter() - started)
            assert isinstance(taken, Taken)

    await asyncio.gather(*(submitter(i, g) for i, g in enumerate(grantee_ids)))
    stored = await m.ParticipantResponse.all().count()
    return latencies, stored


async def _load_big(grantee_id: int) -> None:
    """10,000 forms for one grantee (half baseline, half follow-up, 2,000 people coded)."""
    rng = random.Random(7)
    for start in range(0, BIG, 1000):
        rows, forms = [], {}
        for n in range(start, start + 1000):
            kind = "baseline" if n % 2 else "follow_up"
            answers = {k: v for k, v in _fields(rng).items() if k not in ("age_band", "code")}
            forms[n] = (kind, answers)
            rows.append(
                m.ParticipantResponse(
                    grantee_id=grantee_id,
                    period=PERIOD,
                    kind=kind,
                    channel="keyed",
                    framework=FW.key,
                    received_at=NOW + timedelta(seconds=n),
                    pair_key=f"k{n // 2}" if n < 4000 else None,
                    signature=answers_signature(answers),
                    answered=len(answers),
                )
            )
        await m.ParticipantResponse.bulk_create(rows)
        made = (
            await m.ParticipantResponse.filter(
                grantee_id=grantee_id, received_at__gte=NOW + timedelta(seconds=start)
            )
            .order_by("received_at")
            .values_list("id", flat=True)
        )
        answer_rows = [
            m.ParticipantAnswer(
                response_id=rid,
                item_id=item,
                value=value,
                grantee_id=grantee_id,
                period=PERIOD,
                kind=forms[n][0],
            )
            for n, rid in zip(range(start, start + 1000), made, strict=True)
            for item, value in forms[n][1].items()
        ]
        await m.ParticipantAnswer.bulk_create(answer_rows, batch_size=2000)


async def _figures(context: CheckInContext, runs: int = 15) -> tuple[list[float], list[float]]:
    offered, change = [], []
    for _ in range(runs):
        started = time.perf_counter()
        found = await form_suggestions(context)
        offered.append(time.perf_counter() - started)
        assert found["O8F"].value == BIG // 2, found["O8F"]
        started = time.perf_counter()
        paired = await change_for(FW, context.grantee.id)
        change.append(time.perf_counter() - started)
        assert paired["life_satisfaction"].pairs > 1500
    return offered, change


async def measure(url: str) -> dict[str, float]:
    import storage

    async with database(url):
        grantee_ids = await _setup()
        latencies, stored = await _intake(grantee_ids)
        big = grantee_ids[0]
        await participants.delete_for_grantee(big)
        await _load_big(big)
        (context,) = [
            c
            for c in await storage.open_checkins_for_email("g0@bench.example.org")
            if c.grantee.id == big
        ]
        offered, change = await _figures(context)
    return {
        "stored": stored,
        "intake_p50": statistics.median(latencies) * 1000,
        "intake_p95": p95(latencies) * 1000,
        "figures_median": statistics.median(offered) * 1000,
        "figures_max": max(offered) * 1000,
        "change_median": statistics.median(change) * 1000,
    }


def _web_fields(rng: random.Random, n: int) -> dict[str, str]:
    """A participant's answers; every other one gives a code (stored as a keyed hash)."""
    return _fields(rng, f"AB{n:02d}CD" if n % 2 else None)


async def measure_web(url: str) -> list[HttpRun]:
    """The same 1,000 forms over HTTP: at full speed, then at a pace."""
    async with database(url):
        grantee_ids = await _setup()
    runs = []
    for period, think in zip(WEB_PERIODS, (0.0, THINK_SECONDS), strict=True):
        paths = await register(url, grantee_ids, period)
        name = "paced" if think else "full speed"
        runs.append(
            await measure_http(name, url, period, paths, FORMS // GRANTEES, _web_fields, think)
        )
    return runs


async def _postgres_database() -> tuple[str, str]:
    admin = urlunsplit(urlsplit(POSTGRES)._replace(scheme="postgresql"))
    name = f"bench_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(admin)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return urlunsplit(urlsplit(POSTGRES)._replace(path=f"/{name}")), name


async def _drop(name: str) -> None:
    conn = await asyncpg.connect(urlunsplit(urlsplit(POSTGRES)._replace(scheme="postgresql")))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def _databases(work: Callable[[str], Awaitable[T]]) -> list[tuple[str, T]]:
    """`work` on a fresh SQLite database, then on a fresh PostgreSQL one."""
    results: list[tuple[str, T]] = []
    with tempfile.TemporaryDirectory() as tmp:
        results.append(("SQLite", asyncio.run(work(f"sqlite://{tmp}/bench.sqlite3"))))
    url, name = asyncio.run(_postgres_database())
    try:
        results.append(("PostgreSQL", asyncio.run(work(url))))
    finally:
        asyncio.run(_drop(name))
    return results


def main() -> None:
    results = _databases(measure)
    web = _databases(measure_web)
    lines = [
        "## Participants' forms",
        "",
        f"{FORMS:,} online forms from {GRANTEES} submitters at once (one per grantee), each "
        "checked, stored and burst-checked through `bot.participants.intake.take_form`; then "
        f"one grantee's figures from {BIG:,} forms (`form_suggestions`, the per-message offer: "
        "two grouped SQL queries and one pass), and paired change over 2,000 coded people. "
        "Targets: intake p95 < 100 ms, figures < 200 ms. Command: "
        "`python bench/bench_participants.py`.",
        "",
        "| Database | Stored | Intake p50 | Intake p95 | Figures median | Figures max "
        "| Paired change median |",
        "|---|---|---|---|---|---|---|",
    ]
    for engine, r in results:
        lines.append(
            f"| {engine} | {int(r['stored']):,} | {r['intake_p50']:.1f} ms "
            f"| {r['intake_p95']:.1f} ms | {r['figures_median']:.1f} ms "
            f"| {r['figures_max']:.1f} ms | {r['change_median']:.1f} ms |"
        )
    lines.append("")
    for engine, r in results:
        intake = "met" if r["intake_p95"] < 100 else "NOT met"
        figures = "met" if r["figures_median"] < 200 else "NOT met"
        lines.append(
            f"- {engine}: all {int(r['stored']):,} stored; intake p95 {r['intake_p95']:.1f} ms "
            f"(target under 100 ms: {intake}); figures from {BIG:,} forms, median "
            f"{r['figures_median']:.1f} ms (target under 200 ms: {figures})."
        )
    lines += ["", *_web_lines(web)]
    load = os.getloadavg()[0]
    lines.append(
        f"- Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine()}; load average when "
        f"it finished: {load:.1f}. PostgreSQL runs with tortoise's default pool (5 connections),"
        " so 50 submitters at once queue for a connection."
    )
    print("\n".join(lines))


def _web_lines(web: list[tuple[str, list[HttpRun]]]) -> list[str]:
    lines = [
        "### Over HTTP",
        "",
        f"The same {FORMS:,} forms sent over HTTP to the real service's web app "
        "(`bench/participants_over_http.py`): the service in a child process of its own, "
        "`build_service` with the shipped defaults (scheduler and access log included, the "
        "participants' secret made on first use), on a fresh database. Each grantee's "
        f"{FORMS // GRANTEES} participants come one after another, all {GRANTEES} grantees at "
        "once; a participant opens the form (GET `/p/<token>`) and sends it (POST, then the "
        "thank-you page it is sent on to: two requests). Each has an address of its own, "
        "passed in X-Forwarded-For by a proxy on this machine (believed by the shipped "
        "`web.trusted_proxies`), as people on their own phones have; forms the burst rules "
        "hold are counted below, not hidden. At full speed every grantee's next participant "
        "comes as soon as the last is thanked (50 in flight at once: page times are mostly "
        "queueing); paced, 0 to 2 s later (1 s on average: about 50 forms a second offered, "
        "far more than people send). Page times are each request's, from the client. The "
        "service's CPU a form is its CPU over the run (start-up left out) over the forms; it "
        "includes what the service does while idle (outbox polls, scheduler ticks), which the "
        "paced run spreads over fewer forms a second.",
        "",
        "| Database | Run | Forms | Stored | Held | Forms a second | Open p50 | Open p95 "
        "| Send p50 | Send p95 | Page p95 | Service CPU a form |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for engine, runs in web:
        for r in runs:
            lines.append(
                f"| {engine} | {r.name} | {r.forms:,} | {r.stored:,} | {r.held} "
                f"| {r.forms / r.seconds:,.0f} | {r.p(r.opens, 50):.0f} ms "
                f"| {r.p(r.opens, 95):.0f} ms | {r.p(r.sends, 50):.0f} ms "
                f"| {r.p(r.sends, 95):.0f} ms | {r.p(r.pages, 95):.0f} ms "
                f"| {r.cpu_per_form:.1f} ms |"
            )
    lines.append("")
    for engine, runs in web:
        paced = runs[-1]
        page = paced.p(paced.pages, 95)
        stored = all(r.stored == r.forms for r in runs)
        lines.append(
            f"- {engine} over HTTP: {'all' if stored else 'NOT all'} stored "
            f"({', '.join(f'{r.stored:,} of {r.forms:,}' for r in runs)}; held: "
            f"{', '.join(str(r.held) for r in runs)}); paced page p95 {page:.0f} ms (target "
            f"under 100 ms: {'met' if page < 100 else 'NOT met'})."
        )
    return lines


if __name__ == "__main__":
    main()
