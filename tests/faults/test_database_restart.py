"""PostgreSQL restarted and crashed under load: the service reconnects by itself, loses nothing."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faults.cluster import (
    Load,
    expected_messages,
    grantees,
    instances,
    ledger,
    live,
    report,
    seeded_service,
    wait_outbox_drained,
)
from tests.faults.private_postgres import PrivatePostgres, why_unavailable

OUTAGES = ((0.3, "fast"), (0.65, "immediate"))  # (fraction of answers acknowledged, stop mode)
DOWN_SECONDS = 1.5


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    """A cluster of this test's own: the shared server on 5432 is never restarted."""
    reason = why_unavailable()
    if reason is not None:
        pytest.skip(f"cannot run a private PostgreSQL cluster: {reason}")
    cluster = PrivatePostgres()
    try:
        cluster.create()
        yield cluster
    finally:
        cluster.destroy()


async def test_database_restarts_under_load_lose_nothing(
    private_postgres: PrivatePostgres, tmp_path: Path
) -> None:
    started = time.monotonic()
    db_url = private_postgres.url
    people = grantees(slack=16, by_email=16)
    total = 5 * len(people)
    # leases longer than the outage: a message sent just before it is marked sent once the
    # database is back, before its lease would let anyone send it again
    async with seeded_service(
        db_url, tmp_path, people, outbox={"lease_seconds": 8.0}, claim_seconds=8.0
    ) as (service, standin, sink):
        async with instances(service):
            pid = service.pid
            load = Load(
                live(service),
                standin,
                sink,
                reply_timeout=15,  # longer than outage and lease: a re-sent event is a lost one
                deadline=120,
            )
            running = asyncio.create_task(load.run(people))
            # the outages hit answers and replies; a scheduled send that fails for want of the
            # database is retried by the scheduler minutes later (jobs.RETRY_AFTER_ERROR)
            await load.first_messages(people)
            for fraction, mode in OUTAGES:
                await load.acknowledged(fraction * total, running)
                await asyncio.to_thread(private_postgres.stop, mode)
                await asyncio.sleep(DOWN_SECONDS)
                await asyncio.to_thread(private_postgres.start)
            tally = await running
            states = await wait_outbox_drained(db_url, timeout=30)
            still_running = service.endpoints is not None and service.pid == pid
            lines = list(service.lines)
        found = await ledger(db_url, people, standin, sink)

    duplicates = found.duplicates
    refused = sum("inbound email could not be handled" in line for line in lines)
    report(
        "database restart",
        f"{len(OUTAGES)} PostgreSQL restarts (fast, immediate) under load, one service process "
        f"throughout; {tally.answers_acked} answers acknowledged, {found.answers} stored once, "
        f"{len(found.wrong)} lost or duplicated; {refused} emails answered 451 while it was "
        f"down and retried ({tally.email_retried} SMTP retries), {tally.slack_retried} Slack "
        f"deliveries re-sent; {found.sent_rows} messages sent, {duplicates} duplicates, "
        f"{found.email_missing} missing; {time.monotonic() - started:.1f}s",
        tried=tally.answers_acked,
        lost=len(found.wrong) + found.email_missing + duplicates,
    )
    assert still_running  # never restarted: it reconnected by itself
    assert tally.answers_acked == total
    # Slack was answered before each event was handled, so it would not deliver one again:
    # every event that met the outage was handled once the database was back
    assert tally.slack_retried == 0
    assert found.wrong == [] and found.answers == total
    assert found.audit_rows == total
    assert found.conflicts == 0
    assert states == {"sent": found.sent_rows}
    assert found.kinds == expected_messages(16, 16)
    assert found.email_missing == 0 and found.email_orphans == 0 and found.slack_orphans == 0
    assert duplicates == 0
