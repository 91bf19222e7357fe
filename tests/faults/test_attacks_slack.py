"""Attacks on the Slack endpoint: forged and replayed requests, other grantees' buttons."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

import storage
from bot.admin import operations as admin
from bot.channels.slack import blocks as slack_blocks
from storage import models as m
from tests.faults.slack_payloads import dm
from tests.faults.tally import Tally
from tests.support.fake_slack import Call, block_action, home_opened_event, slash_command
from tests.support.slack_harness import (
    AMINA,
    AMINA_EMAIL,
    EXAMPLES,
    OPENED,
    SECRET,
    SlackHarness,
    slack_harness,
)
from tests.support.slack_text import mrkdwn_texts

RAJ = "U0RAJP0001"  # a grantee of the same programme, linked by his Slack id
RAJ_EMAIL = "raj@belgravearts.example.org"
GUARD = "bot.channels.slack.guard"


@pytest.fixture
async def slack(db_url: str) -> AsyncIterator[SlackHarness]:
    async with slack_harness(db_url) as harness:
        yield harness


async def stored() -> tuple[Any, ...]:
    """Everything a request could change: check-ins, answers, audit, inbound records."""
    checkins = sorted((c.id, c.version, c.status) for c in await m.CheckIn.all())
    return (
        checkins,
        sorted((a.checkin_id, a.question_id, str(a.value)) for a in await m.Answer.all()),
        await m.AnswerChange.all().count(),
        await m.InboundMessage.all().count(),
    )


def sign(body: str, stamp: str, secret: str = SECRET) -> str:
    base = f"v0:{stamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


async def post(slack: SlackHarness, body: str, ctype: str, headers: dict[str, str]) -> int:
    async with slack.sender.session.post(
        slack.sender.url, data=body.encode(), headers={"Content-Type": ctype, **headers}
    ) as response:
        return response.status


def forgeries(body: str) -> list[tuple[str, dict[str, str]]]:
    """(what, headers) for requests that Slack did not sign just now."""
    now = int(time.time())
    fresh, old, ahead = str(now), str(now - 6 * 60), str(now + 6 * 60)

    def signed(stamp: str, signature: str) -> dict[str, str]:
        return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": signature}

    return [
        ("no signature", {"X-Slack-Request-Timestamp": fresh}),
        ("no timestamp", {"X-Slack-Signature": sign(body, fresh)}),
        ("bad signature", signed(fresh, "v0=" + "0" * 64)),
        ("another secret", signed(fresh, sign(body, fresh, "x" * 32))),
        ("another body", signed(fresh, sign(body + " ", fresh))),
        ("an old request replayed", signed(old, sign(body, old))),
        ("from the future", signed(ahead, sign(body, ahead))),
        ("timestamp not a number", signed("abc", sign(body, "abc"))),
        ("timestamp with a sign", signed(f"+{fresh}", sign(body, f"+{fresh}"))),
        ("timestamp in other digits", signed("\u0661" * 10, sign(body, fresh))),
        ("another signature version", signed(fresh, "v1=" + sign(body, fresh)[3:])),
    ]


async def start(slack: SlackHarness, user: str = AMINA) -> Call:
    before = len(slack.dm(user))
    status, _ = await slack.sender.command(slash_command(user))
    assert status == 200
    return await slack.wait_dm(user, before + 1)


async def test_forged_requests_get_401_change_nothing_and_are_logged(
    slack: SlackHarness, caplog: pytest.LogCaptureFixture, tally: Tally
) -> None:
    first = await start(slack)
    event = json.dumps(dm(AMINA, "12"))
    click = "payload=" + json.dumps(block_action(AMINA, first, "Later"))
    command = "command=%2Fcheckin&user_id=U0AMINA001&text=status&team_id=T0TEAM0001"
    bodies = [
        (event, "application/json"),
        (click, "application/x-www-form-urlencoded"),
        (command, "application/x-www-form-urlencoded"),
        ("null", "application/json"),  # unreadable as well as unsigned: still 401, not 500
    ]
    before, posts = await stored(), len(slack.standin.calls)
    for body, ctype in bodies:
        for what, headers in forgeries(body):
            with tally.case("attacks slack"):
                caplog.clear()
                with caplog.at_level(logging.WARNING, logger=GUARD):
                    status = await post(slack, body, ctype, headers)
                await slack.server.listeners.drain()
                assert status == 401, what
                assert any(
                    "bad signature or stale timestamp" in r.getMessage() for r in caplog.records
                )
    assert await stored() == before
    assert len(slack.standin.calls) == posts  # no Web API call was made for any of them


async def test_a_replayed_event_or_click_is_stored_once(
    slack: SlackHarness, caplog: pytest.LogCaptureFixture, tally: Tally
) -> None:
    first = await start(slack)
    envelope = dm(AMINA, "12")
    retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    with tally.case("attacks slack"):
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="bot.conversation.dispatcher"):
            for headers in ({}, retry, {}):
                status, _ = await slack.sender.event(envelope, headers=headers)
                assert status == 200
                await slack.server.listeners.drain()
        duplicates = [r for r in caplog.records if "duplicate delivery" in r.getMessage()]
        assert len(duplicates) == 2 and envelope["event_id"] in duplicates[0].getMessage()
        context = await slack.context()
        history = await storage.answer_history(context.checkin.id)
        assert [(h.question_id, h.new_value) for h in history] == [("O1", 12)]
        assert len(slack.dm(AMINA)) == 2  # the question, and one reply to "12"
    with tally.case("attacks slack"):
        later = block_action(AMINA, first, "Later")
        before = (await slack.context()).checkin.version
        for _ in range(3):
            status, _ = await slack.sender.action(later)
            assert status == 200
            await slack.server.listeners.drain()
        assert (await slack.context()).checkin.version == before + 1
        assert len(slack.dm(AMINA)) == 3


async def harbour(slack: SlackHarness, tmp_path: Path) -> Call:
    """A second programme whose only grantee is Amina: the first question of it, in her DM."""
    toml = (EXAMPLES / "programme.toml").read_text(encoding="utf-8")
    toml = toml.replace('slug = "bridges-2026"', 'slug = "harbour-2026"')
    toml = toml.replace('name = "Bridges Community Fund"', 'name = "Harbour Fund"')
    (tmp_path / "harbour.toml").write_text(toml, encoding="utf-8")
    rows = (EXAMPLES / "grantees.csv").read_text(encoding="utf-8").splitlines()
    (tmp_path / "harbour.csv").write_text("\n".join(rows[:2]) + "\n", encoding="utf-8")
    programme = await admin.load_programme(tmp_path / "harbour.toml")
    await admin.import_grantees(tmp_path / "harbour.csv", programme.slug)
    await admin.open_round(programme.slug, "2026 Q4", now=OPENED, timezone="Europe/London")
    mine = [
        c
        for c in await storage.open_checkins_for_email(AMINA_EMAIL)
        if c.programme.slug == programme.slug
    ]
    before = len(slack.dm(AMINA))
    await slack.service.dispatcher.start(mine[0].checkin.id, "slack", occasion="round-opened")
    post = await slack.wait_dm(AMINA, before + 1)
    assert "Harbour Fund" in json.dumps(post.params["blocks"])
    return post


async def test_a_button_of_another_grantees_check_in_changes_nothing_of_theirs(
    slack: SlackHarness, tmp_path: Path, caplog: pytest.LogCaptureFixture, tally: Tally
) -> None:
    bridges = await start(slack)
    theirs = await harbour(slack, tmp_path)
    tag = slack_blocks.round_tag("Harbour Fund", "2026 Q4")
    forged = block_action(RAJ, theirs, "Later")
    answer = json.loads(json.dumps(forged))
    answer["actions"][0]["value"] = json.dumps({"q": "O1", "t": "12", "s": 1})
    answer["actions"][0]["block_id"] = f"ci:{tag}:answer:O1"
    answer["actions"][0]["action_ts"] = f"{time.time() + 1:.6f}"  # another click, not a replay
    for payload in (forged, answer):
        with tally.case("attacks slack"):
            before, told = await stored(), len(slack.dm(RAJ))
            caplog.clear()
            with caplog.at_level(logging.INFO, logger="bot.channels.slack.events"):
                status, _ = await slack.sender.action(payload)
                await slack.server.listeners.drain()
            assert status == 200
            assert await stored() == before  # Raj has no check-in in that round: nothing at all
            (reply,) = slack.dm(RAJ)[told:]
            assert "Nothing was recorded" in reply.params["text"]
            assert any(
                RAJ in r.getMessage()
                and tag in r.getMessage()
                and "nothing stored" in r.getMessage()
                for r in caplog.records
            )
    with tally.case("attacks slack"):
        # a button from Amina's DM in a round Raj is also in acts on Raj's own check-in only
        amina = await bridges_checkin(AMINA_EMAIL)
        raj = await bridges_checkin(RAJ_EMAIL)
        status, _ = await slack.sender.action(block_action(RAJ, bridges, "Later"))
        await slack.server.listeners.drain()
        assert status == 200
        assert await bridges_checkin(AMINA_EMAIL) == amina
        after = await bridges_checkin(RAJ_EMAIL)
        assert (after.version, after.status) == (raj.version + 1, "paused")


async def bridges_checkin(email: str) -> Any:
    (found,) = [
        c.checkin
        for c in await storage.open_checkins_for_email(email)
        if c.programme.slug == "bridges-2026"
    ]
    return found


async def test_checkin_status_and_home_show_only_the_users_own_check_ins(
    slack: SlackHarness, tmp_path: Path, tally: Tally
) -> None:
    await start(slack)
    await slack.say(AMINA, "12")
    await harbour(slack, tmp_path)
    with tally.case("attacks slack"):
        status, body = await slack.sender.command(slash_command(RAJ, "status"))
        assert status == 200
        assert body.count("\n") == 0 and "*Bridges Community Fund*, 2026 Q4: 0 of" in body
        assert "Harbour" not in body
    with tally.case("attacks slack"):
        status, body = await slack.sender.command(slash_command(AMINA, "status"))
        assert status == 200
        lines = sorted(body.splitlines())
        assert len(lines) == 2 and "*Bridges Community Fund*, 2026 Q4: 1 of" in lines[0]
        assert lines[1].startswith("*Harbour Fund*, 2026 Q4: 0 of")
    with tally.case("attacks slack"):
        status, _ = await slack.sender.event(home_opened_event(RAJ))
        await slack.server.listeners.drain()
        (home,) = [c for c in slack.standin.called("views.publish") if c.params["user_id"] == RAJ]
        shown = json.dumps(home.params["view"])
        assert "Bridges Community Fund" in shown and "0 of" in shown
        assert "Harbour" not in shown and "1 of" not in shown  # nothing of Amina's


# what a grantee types, as Slack delivers it: their text escaped, mentions and links as markup
HOSTILE = (
    "&lt;script&gt;alert(1)&lt;/script&gt; &lt;img src=x onerror=alert(1)&gt; "
    "<!channel> <@U0RHYS0001> &amp;"
)
RAW = ["<script>", "<img", "<!channel>", "<@U0RHYS0001>"]
SHOWN = [
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&lt;img src=x",
    "&lt;!channel&gt;",
    "&lt;@U0RHYS0001&gt;",
]


async def test_markup_in_a_free_text_answer_is_escaped_in_every_slack_message(
    slack: SlackHarness, tally: Tally
) -> None:
    await start(slack)
    framework = slack.service.dispatcher.view(await slack.context()).framework
    number = framework.number_of("G2")
    await slack.say(AMINA, f"edit {number}")
    seen = len(slack.standin.calls)
    await slack.say(AMINA, HOSTILE)
    context = await slack.context()
    stored_text = {
        a.question_id: a.value for a in await storage.answers_for_checkin(context.checkin.id)
    }
    assert stored_text["G2"] == slack_blocks.unescape(HOSTILE)  # kept as typed
    await slack.say(AMINA, f"edit {number}")  # shows the answer so far
    await slack.say(AMINA, "review")
    await slack.standin.wait_for_calls("chat.update", 1)
    sent = [
        c for c in slack.standin.calls[seen:] if c.method in ("chat.postMessage", "chat.update")
    ]
    assert len(sent) >= 4
    for call in sent:
        with tally.case("attacks slack"):
            for text in mrkdwn_texts(call):
                assert not any(raw in text for raw in RAW), text
    shown = "\n".join(t for c in sent for t in mrkdwn_texts(c))
    for escaped in SHOWN:
        assert escaped in shown, escaped


async def test_a_nul_in_a_typed_answer_is_dropped_and_the_answer_stored(
    slack: SlackHarness, tally: Tally
) -> None:
    """PostgreSQL refuses NUL in text: kept, it would lose the answer and the reply to it."""
    await start(slack)
    framework = slack.service.dispatcher.view(await slack.context()).framework
    await slack.say(AMINA, f"edit {framework.number_of('G2')}")
    with tally.case("attacks slack"):
        await slack.say(AMINA, "Our choir\x00 met twice")
        context = await slack.context()
        answers = {
            a.question_id: a.value for a in await storage.answers_for_checkin(context.checkin.id)
        }
        assert answers == {"G2": "Our choir met twice"}
        assert (
            "Saved. Change, story or lesson: Our choir met twice."
            in slack.dm(AMINA)[-1].params["text"]
        )
