"""Two `checkins serve` on one PostgreSQL: each answer stored once, each message sent once."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from tests.faults.cluster import (
    Load,
    ServiceProcess,
    expected_messages,
    grantees,
    instances,
    ledger,
    live,
    receivers,
    report,
    seed,
    wait_outbox_drained,
    write_settings,
)

pytestmark = pytest.mark.postgres
_TICK_SENT = re.compile(r"tick: opened \[.*?\], sent (\d+)")


async def test_two_instances_share_a_round(postgres_url: str, tmp_path: Path) -> None:
    started = time.monotonic()
    people = grantees(slack=16, by_email=16)
    assert await seed(postgres_url, tmp_path, people) == len(people)
    async with receivers(people) as (standin, sink):
        a, b = (
            ServiceProcess(
                name,
                write_settings(tmp_path, name, db_url=postgres_url, sink=sink, standin=standin),
            )
            for name in ("a", "b")
        )
        async with instances(a, b):
            # both schedulers race for the same first messages; Slack events and email replies
            # alternate between the two instances
            load = Load(live(a, b), standin, sink)
            tally = await load.run(people)
            states = await wait_outbox_drained(postgres_url, timeout=20)
            errors = a.errors() + b.errors()
        found = await ledger(postgres_url, people, standin, sink)
    # each scheduler logs how many first messages it sent; claims must split them, not share
    first_sends = {
        p.name: sum(int(n) for n in _TICK_SENT.findall("\n".join(p.lines))) for p in (a, b)
    }
    report(
        "scale-out",
        f"2 instances, {len(people)} grantees: {tally.slack_acked} Slack events and "
        f"{tally.email_acked} emails acknowledged, {found.answers} answers stored once "
        f"({len(found.wrong)} lost or duplicated); {found.sent_rows} messages sent once "
        f"({found.slack_posts} Slack posts, {found.emails} emails; {found.duplicates} "
        f"duplicates); acknowledged by a/b: {tally.acked_by['a']}/{tally.acked_by['b']}, "
        f"first messages sent by a/b: {first_sends['a']}/{first_sends['b']}; "
        f"{time.monotonic() - started:.1f}s",
        tried=tally.answers_acked,
        lost=len(found.wrong),
    )
    assert tally.answers_acked == 5 * len(people)
    assert found.wrong == []
    assert found.answers == 5 * len(people)
    assert found.audit_rows == 5 * len(people)  # one audit row per answer: none re-applied
    assert found.conflicts == 0
    # each grantee: the first message, then one reply per answer (Slack) or per email
    assert found.kinds == expected_messages(16, 16)
    assert states == {"sent": found.sent_rows}
    assert found.slack_posts == 16 * 6 and found.emails == 16 * 3
    assert found.slack_duplicates == {} and found.slack_orphans == 0
    assert found.email_duplicates == {} and found.email_missing == 0
    assert found.email_orphans == 0
    assert tally.slack_retried == 0 and tally.email_retried == 0
    assert min(tally.acked_by["a"], tally.acked_by["b"]) >= 40  # both took their share
    assert sum(first_sends.values()) == len(people)
    assert errors == []
