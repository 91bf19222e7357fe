"""Attacks by email: spoofed senders, guessed reply tokens, other grantees' threads; all refused."""

from __future__ import annotations

import email.utils
import logging
import secrets
from collections.abc import AsyncIterator

import pytest

from tests.faults.email_harness import (
    AMINA,
    RAJ,
    EmailWorld,
    Snapshot,
    Thread,
    email_world,
    inbound_rows,
    reply,
    snapshot,
)
from tests.faults.tally import Tally
from tests.support.email_service import DOMAIN

LOGGER = "bot.channels.email.inbound"
EVIL = "mallory@evil.example.com"
SPOOFED_SENDERS = [
    EVIL,
    f'"{AMINA}" <{EVIL}>',  # the grantee's address as a display name
    f"{AMINA} <{EVIL}>",  # the same, unquoted, as lenient clients show it
    f"Amina Hussain <{EVIL}>",
    f"{EVIL} ({AMINA})",  # the grantee's address in a comment
    f"=?utf-8?q?{AMINA.replace('@', '=40')}?= <{EVIL}>",  # ... in an encoded word
    f"{EVIL}, {AMINA}",
    f"{AMINA}, {EVIL}",  # two mailboxes: the grantee's first
    f"{AMINA}.evil.example.com",
    f"{AMINA}@evil.example.com",
    f"\u0430{AMINA[1:]}",  # a Cyrillic a
    f"{AMINA.upper()}.EVIL.EXAMPLE",
    "",
]


@pytest.fixture
async def world(db_url: str) -> AsyncIterator[EmailWorld]:
    async with email_world(db_url) as world:
        yield world


async def both(world: EmailWorld) -> tuple[Snapshot, Snapshot]:
    return (
        await snapshot(world.threads[AMINA].checkin_id),
        await snapshot(world.threads[RAJ].checkin_id),
    )


def new_id() -> str:
    return email.utils.make_msgid(domain="mail.example.org")


async def assert_refused(
    world: EmailWorld,
    raw: bytes,
    rcpt: str,
    message_id: str,
    outcome: str,
    caplog: pytest.LogCaptureFixture,
    logged: str,
) -> None:
    """Nothing stored in either check-in, no email back, recorded with why, and logged."""
    before = await both(world)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger=LOGGER):
        got = await world.receive(raw, rcpt)
    assert got == outcome
    assert await both(world) == before
    (row,) = await inbound_rows(message_id)
    assert row.outcome == outcome
    assert any(message_id in r.getMessage() and logged in r.getMessage() for r in caplog.records), [
        r.getMessage() for r in caplog.records
    ]
    assert world.relay.drain() == []  # no reply to a refused email


async def test_spoofed_senders_are_refused_recorded_and_logged(
    world: EmailWorld, caplog: pytest.LogCaptureFixture, tally: Tally
) -> None:
    amina = world.threads[AMINA]
    for sender in SPOOFED_SENDERS:
        with tally.case("attacks email"):
            message_id = new_id()
            raw = reply(amina, "1: 99\n2: 99", sender=sender, message_id=message_id)
            await assert_refused(
                world, raw, amina.reply_to, message_id, "sender_mismatch", caplog, "not the grantee"
            )


async def test_the_grantees_own_address_in_any_case_is_accepted(
    world: EmailWorld, tally: Tally
) -> None:
    """Addresses are compared without case, as documented; only the mailbox counts."""
    amina = world.threads[AMINA]
    forms = [AMINA.upper(), f"Amina Hussain <{AMINA.title()}>", f"<{AMINA}> (Amina)"]
    for number, sender in enumerate(forms, start=1):
        with tally.case("attacks email"):
            outcome = await world.receive(
                reply(amina, f"1: {number}", sender=sender), amina.reply_to
            )
            assert outcome == "saved", sender
            after = await snapshot(amina.checkin_id)
            assert after.answers["O1"][0] == number
            world.relay.drain()


def one_changed(token: str, position: int) -> str:
    swapped = "0" if token[position] != "0" else "1"
    return token[:position] + swapped + token[position + 1 :]


async def test_guessed_reply_tokens_match_no_check_in(
    world: EmailWorld, caplog: pytest.LogCaptureFixture, tally: Tally
) -> None:
    amina = world.threads[AMINA]
    token = amina.token
    guesses = [
        secrets.token_hex(20),
        one_changed(token, 0),
        one_changed(token, len(token) // 2),
        one_changed(token, len(token) - 1),
        token[:-1],
        token + "0",
        token[: len(token) // 2],
        "0" * len(token),
    ]
    for guess in guesses:
        with tally.case("attacks email"):
            message_id = new_id()
            # the attacker knows the grantee's address but none of our Message-IDs
            raw = reply(amina, "1: 99", message_id=message_id, refer=False)
            await assert_refused(
                world,
                raw,
                f"reply+{guess}@{DOMAIN}",
                message_id,
                "unknown_thread",
                caplog,
                "matches no check-in",
            )


async def test_another_grantees_thread_is_refused_whichever_way_it_is_named(
    world: EmailWorld, caplog: pytest.LogCaptureFixture, tally: Tally
) -> None:
    amina, raj = world.threads[AMINA], world.threads[RAJ]
    cases: list[tuple[Thread, str, bool, str]] = [
        # (thread replied to, From, refer to its Message-ID, recipient)
        (raj, AMINA, True, raj.reply_to),  # Amina replies to Raj's email
        (raj, AMINA, False, raj.reply_to),  # ... with only his token
        (amina, RAJ, True, amina.reply_to),  # Raj answers Amina's check-in
        (amina, RAJ, True, f"reply+{secrets.token_hex(20)}@{DOMAIN}"),  # by her Message-ID
    ]
    for thread, sender, refer, rcpt in cases:
        with tally.case("attacks email"):
            message_id = new_id()
            raw = reply(thread, "1: 99", sender=sender, message_id=message_id, refer=refer)
            await assert_refused(
                world, raw, rcpt, message_id, "sender_mismatch", caplog, "not the grantee"
            )
    # Amina's token, with a reference to Raj's email: the token names the check-in
    with tally.case("attacks email"):
        message_id = new_id()
        raw = reply(raj, "1: 99", sender=AMINA, message_id=message_id)
        outcome = await world.receive(raw, amina.reply_to)
        assert outcome == "saved"
        assert (await snapshot(amina.checkin_id)).answers["O1"][0] == 99
        assert (await snapshot(raj.checkin_id)).answers == {}


async def test_an_email_answering_one_question_twice_stores_both_or_neither(
    world: EmailWorld, tally: Tally
) -> None:
    """The last answer wins and the audit trail keeps both; never half of the email."""
    amina = world.threads[AMINA]
    with tally.case("attacks email"):
        before = await snapshot(amina.checkin_id)
        outcome = await world.receive(reply(amina, "1: 12\n2: 300\n1: 15"), amina.reply_to)
        assert outcome == "saved"
        after = await snapshot(amina.checkin_id)
        assert {q: v[0] for q, v in after.answers.items()} == {"O1": 15, "O2": 300}
        assert after.changes == before.changes + 3
        assert after.version == before.version + 1


async def test_a_nul_or_8_bit_headers_in_a_reply_are_read_not_lost(
    world: EmailWorld, tally: Tally
) -> None:
    """PostgreSQL refuses NUL, and no driver takes undecodable bytes: both once lost a reply."""
    amina = world.threads[AMINA]
    raw = (
        f"From: =?utf-8?q?Amina?= <{AMINA}>\r\nTo: {amina.reply_to}\r\n"
        f"Subject: Re: caf\xc3\xa9 \xff\r\nMessage-ID: <caf\xc3\xa9-\xff@mail.example.org>\r\n"
        f"In-Reply-To: {amina.message_id}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        "1: 12\x00\r\n2: 3\x0000\r\n"
    ).encode("latin-1")
    with tally.case("attacks email"):
        assert await world.receive(raw, amina.reply_to) == "saved"
        after = await snapshot(amina.checkin_id)
        assert {q: v[0] for q, v in after.answers.items()} == {"O1": 12, "O2": 300}
        (row,) = await inbound_rows("<caf\u00e9-\ufffd@mail.example.org>")
        assert row.outcome == "handled"
