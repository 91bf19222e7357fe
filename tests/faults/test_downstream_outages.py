"""The SMTP relay down, Slack answering 5xx and `ratelimited`: messages wait, then go out once."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from tests.faults.cluster import (
    Load,
    checkins,
    expected_messages,
    grantees,
    instances,
    ledger,
    live,
    query,
    report,
    seeded_service,
    wait_outbox_drained,
)
from tests.support.fake_slack import Call

pytestmark = pytest.mark.postgres
RELAY_DOWN = 4.0  # seconds the relay refuses connections while the round opens
SERVER_ERRORS = 2.5  # then Slack answers 500 to everything
RATE_LIMITED = 3.0  # then `ratelimited` (HTTP 429, Retry-After: 1)
DEFERRING = 2.0  # later, under load: the relay answers 451 and Slack is rate limited again


async def test_outages_delay_messages_and_lose_or_repeat_none(
    postgres_url: str, tmp_path: Path
) -> None:
    started = time.monotonic()
    people = grantees(slack=12, by_email=12)
    async with seeded_service(postgres_url, tmp_path, people) as (service, standin, sink):
        calls: list[tuple[float, Call]] = []
        standin.on_call = lambda call: calls.append((time.monotonic(), call))
        settings = service.settings
        # both down before the service starts: its first tick sends into the outage
        await sink.stop()
        standin.fail_for(60, "internal_error", status=500)
        async with instances(service):
            await asyncio.sleep(SERVER_ERRORS)
            standin.fail_for(RATE_LIMITED, "ratelimited", status=429, retry_after=1)
            await asyncio.sleep(RELAY_DOWN - SERVER_ERRORS)
            # taken at once: the status command below takes seconds on a busy machine, and
            # Slack's refusals end meanwhile
            delivered_during = (list(sink.messages), standin.posts())
            waiting = await _waiting(postgres_url)
            during = await checkins(settings, "status", "--max-wait", "0")
            assert delivered_during == ([], [])
            await sink.start()  # back, on the same port
            load = Load(live(service), standin, sink)
            running = asyncio.create_task(load.run(people))
            await load.acknowledged(len(people) * 5 * 0.3, running)
            second = time.monotonic()
            sink.defer_with = "451 4.3.0 Try again later"
            standin.fail_for(DEFERRING, "ratelimited", status=429, retry_after=1)
            await asyncio.sleep(DEFERRING)
            sink.defer_with = None
            tally = await running
            states = await wait_outbox_drained(postgres_url, timeout=30)
            after = await checkins(settings, "status")
        found = await ledger(postgres_url, people, standin, sink)

    refused = [c for _, c in calls if not c.response.get("ok")]
    under_load = sum(1 for at, c in calls if at >= second and not c.response.get("ok"))
    by_error = {e: sum(c.response.get("error") == e for c in refused) for e in _errors(refused)}
    early = _calls_inside_pauses(calls)
    duplicates = found.duplicates
    report(
        "outages",
        f"relay down {RELAY_DOWN:.0f}s, Slack 500 for {SERVER_ERRORS}s then ratelimited for "
        f"{RATE_LIMITED:.0f}s, then under load relay 451 and ratelimited for {DEFERRING:.0f}s: "
        f"{waiting['email']} emails and {waiting['slack']} Slack messages waited in the queue; "
        f"Slack refused {len(refused)} calls {by_error} ({under_load} under load), the relay "
        f"deferred {sink.deferred} under load; "
        f"then {found.sent_rows} messages sent, {states['failed']} given up, {duplicates} "
        f"duplicates, {found.email_missing} missing; {found.answers} answers stored; "
        f"{len(early)} Slack calls made inside a Retry-After pause; "
        f"{time.monotonic() - started:.1f}s",
        tried=found.sent_rows + found.answers,
        lost=states["failed"] + duplicates + found.email_missing + len(found.wrong),
    )
    # while it was down: every first message stored and waiting, none given up
    assert waiting == {"email": 12, "slack": 12}
    assert by_error["internal_error"] >= 1 and by_error["ratelimited"] >= 2
    assert under_load >= 1
    assert sink.deferred >= 1
    assert states == {"sent": found.sent_rows}  # none given up: 5xx and 4xx are retried
    assert found.kinds == expected_messages(12, 12)
    assert found.slack_duplicates == {} and found.email_duplicates == {}
    assert found.email_missing == 0 and found.email_orphans == 0 and found.slack_orphans == 0
    assert found.wrong == [] and tally.answers_acked == 5 * len(people)
    assert early == []  # Retry-After was waited out: the method paused for every sender
    # what an operator sees: `checkins status` asks for attention while messages wait
    assert during[0] == 2 and "Attention: messages are waiting" in during[1], during[1]
    assert after[0] == 0 and "Attention" not in after[1], after[1]
    assert "email handled 24, slack handled 60" in after[1], after[1]


async def _waiting(db_url: str) -> dict[str, int]:
    """Messages stored and not yet sent, by channel, that have had at least one failed try."""
    rows = await query(
        db_url,
        "SELECT channel, count(*) AS n FROM outbound_message WHERE status IN ('pending', "
        "'sending') AND attempts > 0 AND last_error IS NOT NULL GROUP BY channel",
    )
    found = {str(r["channel"]): int(r["n"]) for r in rows}
    return {"email": found.get("email", 0), "slack": found.get("slack", 0)}


def _errors(refused: list[Call]) -> list[str]:
    return sorted({str(c.response.get("error")) for c in refused})


# Calls reaching the stand-in this soon after a `ratelimited` answer were already on their way
# when it was given (the service sends several at once); the service cannot recall them. On a
# machine busy with other work such a call can take a few tenths of a second to arrive.
IN_FLIGHT_SECONDS = 0.3


def _calls_inside_pauses(calls: list[tuple[float, Call]]) -> list[str]:
    """Calls of a method made after a `ratelimited` answer to that method was given and before
    Retry-After (1 s, less a margin) had passed. Slack limits each method on its own, and so
    does the service: another method may still be called. That a call under way is held back
    once the answer is in is tested exactly in tests/e2e/test_slack_http.py."""
    early: list[str] = []
    for at, call in calls:
        if call.response.get("error") != "ratelimited":
            continue
        for later, other in calls:
            inside = at + IN_FLIGHT_SECONDS < later < at + 0.9
            if inside and other.method == call.method:
                early.append(f"{other.method} {later - at:.2f}s after ratelimited")
    return early
