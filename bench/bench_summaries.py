"""Summaries at scale: a programme's digest, a grantee summary and pooled evidence.

A synthetic instance of 5,000 grantees x 8 rounds x 20 questions (800,000 answers) in 50
programmes of 100 grantees, also at a tenth and at twice that size, on SQLite and PostgreSQL.
Targets: digest <= 2 s, grantee summary <= 100 ms, pooled evidence <= 5 s, peak memory
<= 300 MB. Data is loaded with the database drivers directly (fast); each measurement runs in a
fresh process so its peak memory is the summaries' alone.

    python bench/bench_summaries.py                   # prints a Markdown section
    BENCH_FORMS=10 python bench/bench_summaries.py    # and 10 people's paired forms a grantee
    python bench/bench_summaries.py measure DB_URL    (used internally; prints JSON)
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from run import machine  # noqa: E402  (bench/run.py, beside this file)

POSTGRES = os.environ.get("CHECKINS_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")
PER_PROGRAMME = 100
ROUNDS = 8
# BENCH_SCALES=0.1 runs only the smallest size (a quick check)
SCALES = tuple(float(v) for v in os.environ.get("BENCH_SCALES", "0.1,1,2").split(","))
FULL_GRANTEES = 5000
ACTIVITIES = ("arts", "food", "sports", "volunteering", "youth", "faith", "education", "other")
QUESTIONS = [
    "O1",
    "O2",
    "O3",
    "O4",
    "O5",
    "O5H",
    "O6",
    "O8",
    "O8F",
    "P1",
    "P2",
    "P3",
    "P4",
    "P5",
    "P6",
    "P7N",
    "P7",
    "P10",
    "G1",
    "G2",
]  # 20 answers per check-in
START = datetime(2024, 1, 8, 9, 0, tzinfo=UTC)
TARGETS = {"digest": 2.0, "summary": 0.1, "evidence": 5.0, "peak_mb": 300.0}
# BENCH_FORMS=N gives every grantee N participants with a baseline form in the last round but
# one and a follow-up in the last, paired by code (0, the default: no participant forms)
FORMS = int(os.environ.get("BENCH_FORMS", "0"))
FORM_ITEMS = {
    "get_on_well": ("definitely_agree", "tend_to_agree", "tend_to_disagree", "definitely_disagree"),
    "belong": ("very_strongly", "fairly_strongly", "not_very_strongly", "not_at_all_strongly"),
    "lonely": ("often_always", "some_of_the_time", "occasionally", "hardly_ever", "never"),
    "life_satisfaction": tuple(str(v) for v in range(11)),
}


def answer_values(rng: random.Random) -> Iterator[tuple[str, Any]]:
    sessions = rng.randint(5, 30)
    attendance = sessions * rng.randint(8, 20)
    unique = rng.randint(attendance // 5, attendance // 2)
    forms = rng.randint(8, 60)
    values: dict[str, Any] = {
        "O1": sessions,
        "O2": attendance,
        "O3": unique,
        "O4": unique // 3,
        "O5": rng.randint(2, 15),
        "O5H": rng.randint(20, 300),
        "O6": sessions // 2,
        "O8": forms,
        "O8F": forms,
        "P7N": forms,
        "P7": round(rng.uniform(6.0, 8.5), 1),
        "G1": rng.choice(["better", "same", "worse"]),
        "G2": "A story from this period.",
    }
    for qid, share in (("P1", 0.8), ("P2", 0.6), ("P3", 0.4), ("P4", 0.7), ("P5", 0.6)):
        values[qid] = {
            "x": min(forms, round(forms * rng.uniform(share - 0.2, share + 0.15))),
            "n": forms,
        }
    values["P6"] = {"x": round(forms * rng.uniform(0, 0.15)), "n": forms}
    values["P10"] = {"x": round(forms * rng.uniform(0.5, 0.95)), "n": forms}
    for qid in QUESTIONS:
        yield qid, values[qid]


def generate(grantees: int) -> Iterator[tuple[str, tuple[Any, ...]]]:
    """(table, row) for the whole instance, streamed so memory stays flat."""
    framework = (ROOT / "conversations" / "frameworks" / "social_cohesion_v1.toml").read_text()
    rng = random.Random(2026)
    programmes = max(1, grantees // PER_PROGRAMME)
    yield "funder", (1, "bench-funder", "Bench Funder")
    checkin_id = answer_id = response_id = form_answer_id = 0
    for p in range(1, programmes + 1):
        yield (
            "programme",
            (
                p,
                1,
                f"programme-{p}",
                f"Programme {p}",
                "social_cohesion_v1",
                1,
                framework,
                "[]",
                json.dumps(list(ACTIVITIES)),
                "{}",
                None,
            ),
        )
        first = (p - 1) * PER_PROGRAMME + 1
        for g in range(first, first + PER_PROGRAMME):
            created = START.isoformat()
            yield (
                "grantee",
                (
                    g,
                    p,
                    f"Lead {g}",
                    f"Organisation {g}",
                    f"lead{g}@example.org",
                    None,
                    "Europe/London",
                    ACTIVITIES[g % len(ACTIVITIES)],
                    "Leeds",
                    True,
                    None,
                    False,
                    created,
                    created,
                ),
            )
        for r in range(ROUNDS):
            round_id = (p - 1) * ROUNDS + r + 1
            opened = START + timedelta(days=91 * r)
            yield (
                "round",
                (
                    round_id,
                    p,
                    f"{2024 + r // 4} Q{r % 4 + 1}",
                    opened.isoformat(),
                    (opened + timedelta(days=14)).isoformat(),
                    (opened + timedelta(days=28)).isoformat(),
                    (opened + timedelta(days=28)).isoformat(),
                ),
            )
            for g in range(first, first + PER_PROGRAMME):
                checkin_id += 1
                done = (opened + timedelta(days=3, minutes=g)).isoformat()
                yield (
                    "checkin",
                    (
                        checkin_id,
                        round_id,
                        g,
                        "completed",
                        "{}",
                        2,
                        done,
                        done,
                        done,
                    ),
                )
                for qid, value in answer_values(rng):
                    answer_id += 1
                    yield (
                        "answer",
                        (
                            answer_id,
                            checkin_id,
                            qid,
                            1,
                            json.dumps(value),
                            str(value),
                            "console",
                            False,
                            done,
                        ),
                    )
        if not FORMS:
            continue
        last = f"{2024 + (ROUNDS - 1) // 4} Q{(ROUNDS - 1) % 4 + 1}"
        before = f"{2024 + (ROUNDS - 2) // 4} Q{(ROUNDS - 2) % 4 + 1}"
        for g in range(first, first + PER_PROGRAMME):
            for person in range(FORMS):
                for kind, period, days in (("baseline", before, 95), ("follow_up", last, 185)):
                    response_id += 1
                    received = (START + timedelta(days=days, minutes=person)).isoformat()
                    yield (
                        "participant_response",
                        (response_id, g, period, kind, "keyed", "social_cohesion_v1@1",
                         received, False, None, f"pk{g}x{person}", None, f"s{response_id}",
                         len(FORM_ITEMS)),
                    )  # fmt: skip
                    for item, options in FORM_ITEMS.items():
                        form_answer_id += 1
                        value = options[rng.randrange(len(options))]
                        yield (
                            "participant_answer",
                            (form_answer_id, response_id, item, value, g, period, kind, False),
                        )


COLUMNS = {
    "funder": "id, slug, name",
    "programme": (
        "id, funder_id, slug, name, framework_id, framework_version, framework_toml, contacts, "
        "activity_types, schedule, digest_slack_channel"
    ),
    "grantee": (
        "id, programme_id, name, organisation, email, slack_user_id, timezone, activity_type, "
        "local_authority, active, away_until, email_failing, created_at, updated_at"
    ),
    "round": "id, programme_id, period, opened_at, due_at, closes_at, closed_at",
    "checkin": (
        "id, round_id, grantee_id, status, state, version, started_at, completed_at, updated_at"
    ),
    "answer": (
        "id, checkin_id, question_id, question_version, value, raw_text, channel, skipped, "
        "answered_at"
    ),
    "participant_response": (
        "id, grantee_id, period, kind, channel, framework, received_at, held, age_band, "
        "pair_key, source_key, signature, answered"
    ),
    "participant_answer": "id, response_id, item_id, value, grantee_id, period, kind, held",
}


def batches(grantees: int, size: int = 50_000) -> Iterator[tuple[str, list[tuple[Any, ...]]]]:
    """Rows grouped by table; parents always flushed before children (foreign keys)."""
    buffers: dict[str, list[tuple[Any, ...]]] = {table: [] for table in COLUMNS}
    for name, row in generate(grantees):
        buffers[name].append(row)
        if len(buffers["answer"]) >= size:
            for table, batch in buffers.items():
                if batch:
                    yield table, batch
                    buffers[table] = []
    for table, batch in buffers.items():
        if batch:
            yield table, batch


async def migrate(url: str) -> None:
    from storage.db import upgrade

    await upgrade(url)


def load_sqlite(path: Path, grantees: int) -> None:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA synchronous = OFF")
    for table, batch in batches(grantees):
        marks = ", ".join("?" for _ in batch[0])
        conn.executemany(f'INSERT INTO "{table}" ({COLUMNS[table]}) VALUES ({marks})', batch)
    conn.commit()
    conn.execute("ANALYZE")
    conn.close()


async def load_postgres(url: str, grantees: int) -> None:
    import asyncpg  # type: ignore[import-untyped]

    conn = await asyncpg.connect(urlunsplit(urlsplit(url)._replace(scheme="postgresql")))
    try:
        for table, batch in batches(grantees):
            columns = [c.strip() for c in COLUMNS[table].split(",")]
            await conn.copy_records_to_table(
                table, records=[_pg(table, row) for row in batch], columns=columns
            )
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


def _pg(table: str, row: tuple[Any, ...]) -> tuple[Any, ...]:
    # COPY wants Python values of the column types: datetimes, not ISO text
    return tuple(
        datetime.fromisoformat(v) if isinstance(v, str) and v[:4].isdigit() and "T" in v else v
        for v in row
    )


async def postgres_database() -> tuple[str, str]:
    import asyncpg

    admin = await asyncpg.connect(urlunsplit(urlsplit(POSTGRES)._replace(scheme="postgresql")))
    name = f"bench_{uuid.uuid4().hex[:12]}"
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    return urlunsplit(urlsplit(POSTGRES)._replace(path=f"/{name}")), name


async def drop_postgres(name: str) -> None:
    import asyncpg

    admin = await asyncpg.connect(urlunsplit(urlsplit(POSTGRES)._replace(scheme="postgresql")))
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.close()


# ---- the measurement (child process) ---------------------------------------------------------


async def measure(url: str) -> dict[str, float]:
    import storage
    from bot.summaries.build import funder_digest, grantee_summary, pooled_evidence
    from storage.aggregates import completed_checkins

    async with storage.database(url):
        now = datetime(2026, 6, 1, tzinfo=UTC)
        await funder_digest("programme-1", None, now=now)  # warm caches and the framework parse
        started = time.perf_counter()
        digest = await funder_digest("programme-2", None, now=now)
        digest_s = time.perf_counter() - started
        assert digest.indicators and len(digest.response.completed) == PER_PROGRAMME
        assert not FORMS or any(i.change for i in digest.indicators)
        timings = []
        rng = random.Random(7)
        for _ in range(21):
            grantee = rng.randint(1, PER_PROGRAMME * 2)
            (*_, latest) = await completed_checkins(grantee)
            started = time.perf_counter()
            summary = await grantee_summary(latest)
            timings.append(time.perf_counter() - started)
            assert summary.indicators[0].peers is not None
            assert not FORMS or summary.participants is not None
        started = time.perf_counter()
        evidence = await pooled_evidence()
        evidence_s = time.perf_counter() - started
        assert evidence.indicators
        assert not FORMS or any(i.change for i in evidence.indicators)
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "digest": digest_s,
        "summary": statistics.median(timings[1:]),
        "summary_max": max(timings[1:]),
        "evidence": evidence_s,
        "peak_mb": peak_kb / 1024,
    }


def run_child(url: str) -> dict[str, float]:
    result = subprocess.run(
        [sys.executable, __file__, "measure", url], capture_output=True, text=True, cwd=ROOT
    )
    if result.returncode != 0:
        raise RuntimeError(result.stderr[-3000:])
    parsed: dict[str, float] = json.loads(result.stdout.strip().splitlines()[-1])
    return parsed


def one(engine: str, scale: float) -> dict[str, float]:
    grantees = int(FULL_GRANTEES * scale)
    if engine == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "bench.sqlite3"
            url = f"sqlite://{path}"
            asyncio.run(migrate(url))
            started = time.perf_counter()
            load_sqlite(path, grantees)
            loaded = time.perf_counter() - started
            return run_child(url) | {"load": loaded}
    url, name = asyncio.run(postgres_database())
    try:
        asyncio.run(migrate(url))
        started = time.perf_counter()
        asyncio.run(load_postgres(url, grantees))
        loaded = time.perf_counter() - started
        return run_child(url) | {"load": loaded}
    finally:
        asyncio.run(drop_postgres(name))


def main() -> None:
    engines = sys.argv[1:] or ["sqlite", "postgres"]
    lines = [
        "## Summaries, digests and pooled evidence",
        "",
        "`bench/bench_summaries.py`. A synthetic instance: programmes of 100 grantees, 8 rounds, "
        "20 answers per completed check-in (5,000 grantees = 800,000 answers), loaded with the "
        "database drivers; each measurement runs in a fresh process. Digest: one programme's "
        "funder digest (responses, outputs, pooled outcomes with cluster-robust intervals, "
        "trend over 8 rounds, funnel points, outcomes by activity type). Summary: median of 20 "
        "grantee summaries (max in brackets). Evidence: every programme pooled, grantees as "
        "clusters, checked against each funder. Peak: the measuring process's maximum resident "
        "memory."
        + (
            f" With {FORMS} participants' paired baseline and follow-up forms per grantee "
            f"({len(FORM_ITEMS)} answers each), so that summaries, digests and evidence pair "
            "them and pool their change."
            if FORMS
            else ""
        ),
        "",
        "Targets at 5,000 grantees: digest <= 2 s, summary <= 100 ms, evidence <= 5 s, "
        "peak <= 300 MB.",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine()}; load average "
        f"{os.getloadavg()[0]:.1f} when it started (other work on the machine slows every "
        "figure).",
        "",
        "| engine | grantees | answers | digest s | summary ms | evidence s | peak MB | "
        "within targets |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for engine in engines:
        for scale in SCALES:
            grantees = int(FULL_GRANTEES * scale)
            print(f"{engine} x{scale} ...", file=sys.stderr, flush=True)
            r = one(engine, scale)
            ok = all(
                [
                    r["digest"] <= TARGETS["digest"],
                    r["summary"] <= TARGETS["summary"],
                    r["evidence"] <= TARGETS["evidence"],
                    r["peak_mb"] <= TARGETS["peak_mb"],
                ]
            )
            lines.append(
                f"| {engine} | {grantees:,} | {grantees * ROUNDS * len(QUESTIONS):,} | "
                f"{r['digest']:.2f} | {1000 * r['summary']:.0f} ({1000 * r['summary_max']:.0f}) "
                f"| {r['evidence']:.2f} | {r['peak_mb']:.0f} | "
                f"{'yes' if ok else '**no**'}{'' if scale == 1.0 else ' (scale check)'} |"
            )
    print("\n".join(lines))


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "measure":
        print(json.dumps(asyncio.run(measure(sys.argv[2]))))
    else:
        main()
