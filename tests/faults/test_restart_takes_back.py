"""SIGKILL mid-send with the shipped lease: the restarted instance sends its unfinished at once."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from tests.faults.cluster import (
    Load,
    grantees,
    instances,
    ledger,
    live,
    query,
    report,
    seeded_service,
    wait_outbox_drained,
)

pytestmark = pytest.mark.postgres
LEASE = 120.0  # outbox.lease_seconds as shipped


async def test_a_restarted_instance_does_not_wait_for_its_own_leases(
    postgres_url: str, tmp_path: Path
) -> None:
    people = grantees(slack=30, by_email=30)
    async with seeded_service(postgres_url, tmp_path, people, outbox={"lease_seconds": LEASE}) as (
        service,
        standin,
        sink,
    ):
        async with instances(service):
            load = Load(live(service), standin, sink, deadline=120)
            running = asyncio.create_task(load.run(people))
            unfinished: set[int] = set()
            for _ in range(20):  # kill while sends are under way (claimed, not yet marked)
                await load.acknowledged(len(people), running)
                unfinished = await _claimed(postgres_url)
                if unfinished:
                    break
                await asyncio.sleep(0.05)
            await service.kill()
            unfinished |= await _claimed(postgres_url)
            restarted = time.monotonic()
            await service.start()
            waited = await _until_sent(postgres_url, unfinished, timeout=LEASE / 2)
            taken_back = time.monotonic() - restarted
            await running
            states = await wait_outbox_drained(postgres_url, timeout=30)
        found = await ledger(postgres_url, people, standin, sink)
    report(
        "restart",
        f"{len(unfinished)} messages claimed by the killed instance; all sent "
        f"{taken_back:.1f}s after its restart (lease {LEASE:.0f}s); "
        f"{found.duplicates} went out twice",
        tried=len(unfinished),
        lost=len(waited),
    )
    assert unfinished, "the kill found no send under way; nothing was tested"
    assert waited == set()  # none waited for its lease
    assert taken_back < LEASE / 4
    assert states == {"sent": found.sent_rows}
    assert found.wrong == [] and found.email_missing == 0
    assert found.duplicated_rows <= unfinished  # a repeat only of what was mid-send
    assert all(n == 1 for n in (*found.slack_duplicates.values(), *found.email_duplicates.values()))
    assert service.errors() == []


async def _claimed(db_url: str) -> set[int]:
    rows = await query(db_url, "SELECT id FROM outbound_message WHERE status = 'sending'")
    return {int(r["id"]) for r in rows}


async def _until_sent(db_url: str, ids: set[int], *, timeout: float) -> set[int]:
    """Wait for these rows to be sent; those still not sent when `timeout` ran out."""
    deadline = time.monotonic() + timeout
    left = set(ids)
    while left and time.monotonic() < deadline:
        rows = await query(
            db_url,
            "SELECT id FROM outbound_message WHERE status = 'sent' AND id = ANY($1::int[])",
            list(left),
        )
        left -= {int(r["id"]) for r in rows}
        await asyncio.sleep(0.1)
    return left
