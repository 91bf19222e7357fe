"""SIGKILL mid-round under load, restart: acknowledged answers kept once, messages sent once."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from tests.faults.cluster import (
    Load,
    expected_messages,
    grantees,
    instances,
    ledger,
    live,
    not_recorded,
    query,
    report,
    seeded_service,
    wait_outbox_drained,
)

pytestmark = pytest.mark.postgres
KILLS_AT = (0.3, 0.65)  # fractions of the answers acknowledged when each SIGKILL lands


async def test_sigkill_under_load_loses_nothing_and_sends_once(
    postgres_url: str, tmp_path: Path
) -> None:
    started = time.monotonic()
    people = grantees(slack=40, by_email=40)
    total = 5 * len(people)
    async with seeded_service(
        postgres_url, tmp_path, people, outbox={"lease_seconds": 3.0}, claim_seconds=3.0
    ) as (service, standin, sink):
        async with instances(service):
            load = Load(live(service), standin, sink, deadline=120)
            running = asyncio.create_task(load.run(people))
            mid_send: set[int] = set()  # outbound rows a killed process had claimed
            unstored: list[str] = []  # emails answered 250 but not in the database
            dropped: set[str] = set()  # Slack events answered 200, unhandled at a kill
            for fraction in KILLS_AT:
                await load.acknowledged(fraction * total, running)
                await service.kill()
                acked = list(load.traffic.acked_emails)
                unstored += await _not_stored(postgres_url, acked)
                # a 200 from Slack's side is only a receipt: these died with the process
                acked_events = load.traffic.acked_events
                dropped |= set(await not_recorded(postgres_url, "slack", acked_events))
                mid_send |= await _claimed(postgres_url)
                await service.start()
            tally = await running
            states = await wait_outbox_drained(postgres_url, timeout=30)
        found = await ledger(postgres_url, people, standin, sink)

    duplicates = found.duplicates
    lost_events = tally.slack_retried  # deliveries Slack would have had to make again
    report(
        "kill/restart",
        f"{len(KILLS_AT)} SIGKILLs under load; {tally.answers_acked} answers acknowledged "
        f"({tally.slack_acked} Slack 200s, {tally.email_acked} SMTP 250s), {found.answers} stored "
        f"once, {len(found.wrong)} lost or duplicated; {len(unstored)} emails answered 250 but "
        f"missing after the kill; {len(dropped)} Slack events answered 200 were unhandled when "
        f"the process died, {lost_events} Slack deliveries re-sent (no reply seen), "
        f"{tally.email_retried} SMTP transactions retried; {found.sent_rows} messages sent, "
        f"{found.email_missing} missing; {len(mid_send)} were mid-send at a kill, "
        f"{duplicates} of those went out twice ({len(found.slack_duplicates)} Slack posts, "
        f"{len(found.email_duplicates)} emails with their Message-ID); "
        f"{time.monotonic() - started:.1f}s",
        tried=tally.answers_acked,
        lost=len(found.wrong) + len(unstored) + found.email_missing,
    )
    assert tally.answers_acked == total
    assert unstored == []  # 250 is said only after the reply is stored
    assert found.wrong == [] and found.answers == total  # the dropped ones too, once retried
    assert found.audit_rows == total  # nothing re-applied by a redelivery
    assert found.conflicts == 0
    assert states == {"sent": found.sent_rows}
    assert found.kinds == expected_messages(40, 40)
    assert found.email_missing == 0 and found.email_orphans == 0 and found.slack_orphans == 0
    # At-least-once, in one window only: a message the relay or Slack accepted just before the
    # kill, whose row was still claimed. Each such row goes out at most once more.
    assert found.duplicated_rows <= mid_send
    assert all(n == 1 for n in (*found.slack_duplicates.values(), *found.email_duplicates.values()))
    assert service.errors() == []


async def _not_stored(db_url: str, message_ids: list[str]) -> list[str]:
    rows = await query(
        db_url,
        "SELECT external_id FROM inbound_message WHERE channel = 'email' "
        "AND outcome = 'handled' AND external_id = ANY($1::text[])",
        message_ids,
    )
    stored = {str(r["external_id"]) for r in rows}
    return [m for m in message_ids if m not in stored]


async def _claimed(db_url: str) -> set[int]:
    rows = await query(db_url, "SELECT id FROM outbound_message WHERE status = 'sending'")
    return {int(r["id"]) for r in rows}
