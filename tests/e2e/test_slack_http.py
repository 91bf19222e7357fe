"""Slack over HTTP end to end: signed requests to the real bolt endpoint, a recording Web API."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator

import pytest

import storage
from tests.support.fake_slack import (
    BOT_USER_ID,
    Call,
    block_action,
    message_event,
    slash_command,
)
from tests.support.slack_harness import (
    AMINA,
    AMINA_EMAIL,
    RHYS,
    RHYS_EMAIL,
    STRANGER,
    SlackHarness,
    eventually,
    slack_harness,
)
from tests.support.slack_text import block_text


@pytest.fixture
async def slack(db_url: str) -> AsyncIterator[SlackHarness]:
    async with slack_harness(db_url) as harness:
        yield harness


def buttons(post: Call) -> list[str]:
    return [
        element["text"]["text"]
        for block in post.params.get("blocks") or []
        if block["type"] == "actions"
        for element in block["elements"]
        if element["type"] == "button"
    ]


async def start(slack: SlackHarness, user: str = AMINA) -> Call:
    status, body = await slack.sender.command(slash_command(user))
    assert status == 200 and "direct messages" in body
    return await slack.wait_dm(user, 1)


async def test_checkin_command_opens_the_check_in_in_the_dm(slack: SlackHarness) -> None:
    first = await start(slack)
    shown = block_text(first)
    assert "Hello Amina Hussain, this is your Bridges Community Fund check-in for 2026 Q4" in shown
    assert "*Question 1* (0 of" in shown
    assert "How many sessions, activities or events did you run this period?" in shown
    assert "Reply with a whole number, like 12." in shown
    assert buttons(first) == ["Later"]  # a count is typed; nothing before it to go back to
    assert first.params["text"].startswith("Hello Amina Hussain")  # notification text


async def test_typed_answer_is_stored_and_the_question_updated_to_show_it(
    slack: SlackHarness,
) -> None:
    first = await start(slack)
    assert await slack.say(AMINA, "12 sessions") == 200
    second = slack.dm(AMINA)[-1]
    assert "Saved. Sessions run: 12 sessions." in block_text(second)
    assert "*Question 2* (1 of" in block_text(second)
    assert buttons(second) == ["Back", "Later"]
    (update,) = await slack.standin.wait_for_calls("chat.update", 1)
    assert update.params["ts"] == first.response["ts"]
    assert update.params["channel"] == f"D{AMINA}"
    assert ":white_check_mark: *12 sessions*" in block_text(update)
    assert "How many sessions" in block_text(update)
    assert not [b for b in update.params["blocks"] if b["type"] == "actions"]
    stored = await storage.answers_for_checkin((await slack.context()).checkin.id)
    assert [(a.question_id, a.value, a.raw_text, a.channel) for a in stored] == [
        ("O1", 12, "12 sessions", "slack")
    ]


async def test_choice_buttons_answer_and_a_second_click_on_them_changes_nothing(
    slack: SlackHarness,
) -> None:
    await start(slack)
    await slack.answer_until(AMINA, AMINA_EMAIL, stop_at="O7")
    asked = slack.dm(AMINA)[-1]
    assert buttons(asked) == [
        "Under 10%",
        "10\u201324%",  # en dash, as the framework writes it
        "25\u201349%",
        "50% or more",
        "Don't know",
        "Back",
        "Later",
    ]
    assert await slack.click(AMINA, asked, "10\u201324%") == 200
    context = await slack.context()
    assert context.checkin.state["answers"]["O7"] == "p10_24"
    await slack.standin.wait_for(
        lambda: any(
            c.params["ts"] == asked.response["ts"] for c in slack.standin.called("chat.update")
        )
    )
    # the same message clicked again (an old button): told so, and the answer stays
    await slack.click(AMINA, asked, "Under 10%")
    reply = block_text(slack.dm(AMINA)[-1])
    assert "That button belongs to an earlier question, so nothing was changed." in reply
    context = await slack.context()
    assert context.checkin.state["answers"]["O7"] == "p10_24"
    history = [h for h in await storage.answer_history(context.checkin.id) if h.question_id == "O7"]
    assert len(history) == 1


async def test_back_and_later_buttons(slack: SlackHarness) -> None:
    await start(slack)
    await slack.say(AMINA, "12")
    await slack.click(AMINA, slack.dm(AMINA)[-1], "Back")
    assert "Your answer so far: *12 sessions*" in block_text(slack.dm(AMINA)[-1])
    await slack.click(AMINA, slack.dm(AMINA)[-1], "Later")
    assert "Your 1 of" in block_text(slack.dm(AMINA)[-1])
    assert (await slack.state()).status.value == "paused"
    await slack.say(AMINA, "resume")
    assert "*Question 2* (1 of" in block_text(slack.dm(AMINA)[-1])  # the first unanswered one


async def test_review_submit_and_edit(slack: SlackHarness) -> None:
    await start(slack)
    await slack.answer_until(AMINA, AMINA_EMAIL)
    review = slack.dm(AMINA)[-1]
    assert "Here is everything before you submit:" in block_text(review)
    assert "1. Sessions run: *10 sessions*" in block_text(review)
    assert "Submit" in buttons(review)
    await slack.click(AMINA, review, "1. Sessions run")  # the Edit menu
    assert "Your answer so far: *10 sessions*" in block_text(slack.dm(AMINA)[-1])
    await slack.say(AMINA, "11")
    review = slack.dm(AMINA)[-1]
    assert "1. Sessions run: *11 sessions*" in block_text(review)
    submitted_at = len(slack.dm(AMINA))
    await slack.click(AMINA, review, "Submit")
    # the first message after Submit (the summary follows it)
    assert "Thank you, your check-in is complete" in block_text(slack.dm(AMINA)[submitted_at])
    context = await slack.context()
    assert context.checkin.status == "completed"
    # the review message is updated into the submitted record, without its Submit button
    await slack.standin.wait_for(
        lambda: any(
            c.params["ts"] == review.response["ts"] for c in slack.standin.called("chat.update")
        )
    )
    record = [
        c for c in slack.standin.called("chat.update") if c.params["ts"] == review.response["ts"]
    ]
    assert "Your submitted answers:" in block_text(record[-1]) and "Submit" not in buttons(
        record[-1]
    )
    # the old Submit button again: already submitted, nothing changes (the summary, sent
    # after completion, may land before or after this answer)
    before = len(slack.dm(AMINA))
    await slack.click(AMINA, review, "Submit")
    await slack.standin.wait_for(
        lambda: any(
            "Your check-in is already submitted." in block_text(c) for c in slack.dm(AMINA)[before:]
        )
    )
    assert (await slack.context()).checkin.status == "completed"


async def test_bad_signature_or_stale_timestamp_is_refused_and_changes_nothing(
    slack: SlackHarness,
) -> None:
    await start(slack)
    envelope = message_event(AMINA, "12")
    status, _ = await slack.sender.event(envelope, signature="v0=" + "0" * 64)
    assert status == 401
    stale = int(time.time()) - 6 * 60
    status, _ = await slack.sender.event(envelope, timestamp=stale)
    assert status == 401
    status, _ = await slack.sender.action(
        block_action(AMINA, slack.dm(AMINA)[-1], "Later"), signature="v0=bad"
    )
    assert status == 401
    assert (await slack.state()).answers == {}
    assert len(slack.dm(AMINA)) == 1


async def test_duplicate_slack_retry_records_once(slack: SlackHarness) -> None:
    await start(slack)
    envelope = message_event(AMINA, "12")
    statuses = [
        (await slack.sender.event(envelope))[0],
        (
            await slack.sender.event(
                envelope, headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
            )
        )[0],
        (await slack.sender.event(envelope))[0],
    ]
    assert statuses == [200, 200, 200]
    await slack.wait_dm(AMINA, 2)
    await slack.say(AMINA, "300")  # a later message still works, and flushes the listeners
    context = await slack.context()
    assert context.checkin.state["answers"] == {"O1": 12, "O2": 300}
    assert len(await storage.answer_history(context.checkin.id)) == 2
    assert len(slack.dm(AMINA)) == 3  # the question, one reply to "12", one to "300"


async def test_someone_who_is_not_a_grantee_is_told_politely(slack: SlackHarness) -> None:
    await slack.say(STRANGER, "hello, what is this?")
    (reply,) = slack.dm(STRANGER)
    assert "I couldn't find you among them, so nothing was recorded" in block_text(reply)
    assert await storage.grantees_for_slack_user(STRANGER) == []
    status, body = await slack.sender.command(slash_command(STRANGER))
    assert status == 200 and "couldn't find you" in body


async def test_bot_messages_and_edits_are_ignored(slack: SlackHarness) -> None:
    await start(slack)
    own = message_event(AMINA, "12")
    own["event"]["bot_id"] = "B0OTHER001"
    edited = message_event(AMINA, "13")
    edited["event"]["subtype"] = "message_changed"
    mine = message_event(BOT_USER_ID, "Question 1")
    for envelope in (own, edited, mine):
        assert (await slack.sender.event(envelope))[0] == 200
    await slack.say(AMINA, "14")  # handled after the ignored ones
    assert (await slack.state()).answers == {"O1": 14}


async def test_grantee_known_by_email_is_found_linked_and_messaged(slack: SlackHarness) -> None:
    context = await slack.context(RHYS_EMAIL)
    assert context.grantee.slack_user_id is None
    await slack.service.dispatcher.start(context.checkin.id, "slack", occasion="round-opened")
    first = await slack.wait_dm(RHYS, 1)
    assert "Hello Rhys Evans" in block_text(first)
    lookups = slack.standin.called("users.lookupByEmail")
    assert [c.params["email"] for c in lookups] == [RHYS_EMAIL]
    (linked,) = await storage.grantees_for_slack_user(RHYS)
    assert linked.email == RHYS_EMAIL
    await slack.say(RHYS, "7")
    assert (await slack.state(RHYS_EMAIL)).answers == {"O1": 7}


async def test_a_dm_from_an_unlinked_grantee_links_them_by_profile_email(
    slack: SlackHarness,
) -> None:
    await slack.say(RHYS, "hi")
    assert "Hello Rhys Evans" in block_text(slack.dm(RHYS)[-1])
    assert [c.params["user"] for c in slack.standin.called("users.info")] == [RHYS]
    assert (await slack.context(RHYS_EMAIL)).grantee.slack_user_id == RHYS


async def test_rate_limited_message_waits_for_retry_after_then_goes_once(
    slack: SlackHarness,
) -> None:
    slack.standin.fail("chat.postMessage", "ratelimited", status=429, retry_after=1)
    status, _ = await slack.sender.command(slash_command(AMINA))
    assert status == 200
    first = await slack.wait_dm(AMINA, 1, timeout=10)
    assert "Hello Amina Hussain" in block_text(first)
    attempts = slack.standin.called("chat.postMessage")
    assert [c.response.get("error") for c in attempts] == ["ratelimited", None]

    async def sent_once() -> bool:
        counts = await storage.outbound_counts(channel="slack")
        return counts == {"sent": 1}

    await eventually(sent_once)


async def test_closed_round_button_is_answered_and_changes_nothing(slack: SlackHarness) -> None:
    first = await start(slack)
    context = await slack.context()
    await storage.close_round(context.round.id, now=context.round.opened_at)
    await slack.click(AMINA, first, "Later")
    assert "round has closed" in block_text(slack.dm(AMINA)[-1])
    after = await storage.load_checkin_context(context.checkin.id)
    assert after.checkin.version == context.checkin.version


async def test_checkin_status_and_help(slack: SlackHarness) -> None:
    await start(slack)
    await slack.say(AMINA, "12")
    status, body = await slack.sender.command(slash_command(AMINA, "status"))
    assert status == 200
    assert "Bridges Community Fund" in body and "1 of" in body and "in progress" in body
    assert "due Monday 19 October 2026" in body
    status, body = await slack.sender.command(slash_command(AMINA, "help"))
    assert status == 200 and "`/checkin status`" in body


async def test_app_home_shows_progress_and_due_date(slack: SlackHarness) -> None:
    await start(slack)
    await slack.say(AMINA, "12")
    status, _ = await slack.sender.event(
        {
            "type": "event_callback",
            "event_id": "EvHOME00001",
            "team_id": "T0TEAM0001",
            "event": {"type": "app_home_opened", "user": AMINA, "tab": "home"},
        }
    )
    assert status == 200
    (publish,) = await slack.standin.wait_for_calls("views.publish", 1)
    assert publish.params["user_id"] == AMINA
    home = json.dumps(publish.params["view"])
    assert "Your check-ins" in home and "1 of" in home and "in progress" in home
    assert "Next due: *Monday 19 October 2026*" in home
    assert "Continue in Messages" in home


async def test_restart_mid_conversation_continues_from_stored_state(
    slack: SlackHarness, db_url: str
) -> None:
    await start(slack)
    await slack.say(AMINA, "12")
    await slack.service.stop()
    await slack.service.start()  # a new process would read the same database
    slack.sender.url = slack.sender.url.rsplit(":", 1)[0] + f":{slack.server.port}/slack/events"
    status, _ = await slack.sender.command(slash_command(AMINA))
    assert status == 200
    await slack.wait_dm(AMINA, 3)
    asked = slack.dm(AMINA)[-1]
    assert "*Question 2* (1 of" in block_text(asked)
    assert "Hello" not in block_text(asked)
    # the new process remembers nothing: the question's message is found in storage
    await slack.say(AMINA, "300")
    await slack.standin.wait_for(
        lambda: any(
            c.params["ts"] == asked.response["ts"] for c in slack.standin.called("chat.update")
        )
    )
    assert (await slack.state()).answers == {"O1": 12, "O2": 300}
