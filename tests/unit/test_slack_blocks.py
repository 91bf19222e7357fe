"""Slack's edge, pure: payloads to inbound messages, prompts to Block Kit, errors to outcomes."""

from __future__ import annotations

import json
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.channels.slack import blocks as sb
from bot.channels.slack.channel import delivery_failure
from bot.conversation.channel import PermanentFailure, TemporaryFailure
from bot.conversation.rendering import ConversationView, Renderer
from conversations import engine
from conversations.framework import Framework
from conversations.state import (
    Ask,
    Notice,
    NoticeKind,
    Recorded,
    Reply,
    Review,
    ReviewItem,
    SkippedNote,
    Status,
)
from tests.support.fake_slack import Call, block_action

FRAMEWORK = Framework.model_validate(
    {
        "id": "tiny",
        "version": 1,
        "title": "Tiny check-in",
        "sections": [{"id": "s", "title": "About you & yours", "intro": "A <short> one."}],
        "questions": [
            {"id": "N", "section": "s", "kind": "count", "prompt": "How many?", "short": "Count"},
            {
                "id": "MOOD",
                "section": "s",
                "kind": "scale",
                "prompt": "How was it?",
                "short": "Mood",
                "min": 1,
                "max": 5,
                "min_label": "Awful",
                "max_label": "Great",
            },
            {
                "id": "SIZE",
                "section": "s",
                "kind": "choice",
                "prompt": "Group size?",
                "short": "Size",
                "options": [
                    {"value": "ten", "label": "10"},
                    {"value": "more", "label": "More than 10"},
                ],
            },
            {"id": "YN", "section": "s", "kind": "yes_no", "prompt": "Any news?", "short": "News"},
            {
                "id": "WIDE",
                "section": "s",
                "kind": "count",
                "prompt": "How many visitors?",
                "short": "Visitors",
                "required": False,
            },
        ],
    }
)
VIEW = ConversationView(FRAMEWORK, "Amina", "Bridges <Fund>", "2026 Q4", due="Monday 19 October")
RENDERER = Renderer()


def ask(question_id: str, **changes: Any) -> Ask:
    values: dict[str, Any] = {
        "question_id": question_id,
        "number": FRAMEWORK.number_of(question_id),
        "answered": 0,
        "total": 5,
        "section_start": False,
        "current": None,
        "optional": not FRAMEWORK.question(question_id).required,
    }
    return Ask(**(values | changes))


def rendered(*prompts: Any) -> Call:
    payload = sb.render(prompts, VIEW, RENDERER)
    return Call(
        "chat.postMessage", {"channel": "DU1", **payload}, {"ts": "1.000001", "channel": "DU1"}
    )


def labels(payload: dict[str, Any]) -> list[str]:
    return [
        e["text"]["text"]
        for b in payload["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["type"] == "button"
    ]


# ---- inbound -------------------------------------------------------------------------------------


def dm(**event: Any) -> dict[str, Any]:
    base = {"type": "message", "channel_type": "im", "user": "U1", "text": "12", "ts": "1.5"}
    return {"event_id": "Ev1", "event": base | event}


def test_a_typed_dm_becomes_an_inbound_message_keyed_on_event_id() -> None:
    message = sb.message_inbound(dm(text="4 &lt; 5 &amp; more"))
    assert message is not None
    assert (message.channel, message.external_id, message.sender) == ("slack", "Ev1", "U1")
    assert message.text == "4 < 5 & more" and message.question_id is None and not message.strict


@pytest.mark.parametrize(
    "event",
    [
        {"bot_id": "B1"},
        {"subtype": "message_changed"},
        {"subtype": "bot_message"},
        {"channel_type": "channel"},
        {"user": None},
        {"type": "app_mention"},
    ],
)
def test_bots_edits_and_channel_messages_are_not_answers(event: dict[str, Any]) -> None:
    assert sb.message_inbound(dm(**event)) is None


def test_an_answer_button_click_is_a_strict_reply_to_its_question() -> None:
    post = rendered(ask("MOOD"))
    click = sb.click_inbound(block_action("U1", post, "5 Great"))
    assert click is not None
    assert click.message.text == "5" and click.message.question_id == "MOOD"
    assert click.message.strict and click.message.sender == "U1"
    assert click.round_tag == sb.round_tag("Bridges <Fund>", "2026 Q4")
    assert (click.channel_id, click.message_ts) == ("DU1", "1.000001")
    assert click.message.external_id.startswith("action:U1:")


def test_the_edit_menu_sends_edit_n() -> None:
    review = Review(
        (ReviewItem(1, "N", "Count", "3", False), ReviewItem(2, "MOOD", "Mood", "4", False)), False
    )
    click = sb.click_inbound(block_action("U1", rendered(review), "2. Mood"))
    assert click is not None and click.message.text == "edit 2" and not click.message.strict


def test_foreign_or_malformed_actions_are_ignored() -> None:
    body = block_action("U1", rendered(ask("MOOD")), "1 Awful")
    body["actions"][0]["action_id"] = "someone_elses"
    assert sb.click_inbound(body) is None
    body = block_action("U1", rendered(ask("MOOD")), "1 Awful")
    body["actions"][0]["value"] = "not json"
    assert sb.click_inbound(body) is None


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("", "start"),
        ("  ", "start"),
        ("resume", "start"),
        ("STATUS", "status"),
        ("help", "help"),
        ("what?", "help"),
    ],
)
def test_checkin_command_words(text: str, word: str) -> None:
    assert sb.command_word(text) == word


# ---- outbound ------------------------------------------------------------------------------------


def test_button_texts_read_back_as_the_chosen_answer() -> None:
    # "10" is no option's number here, so typed it chooses the option labelled "10"
    assert sb.answer_choices(FRAMEWORK.question("SIZE")) == [
        ("10", "10"),
        ("More than 10", "More than 10"),
    ]
    assert sb.answer_choices(FRAMEWORK.question("YN")) == [("Yes", "yes"), ("No", "no")]
    assert [t for _, t in sb.answer_choices(FRAMEWORK.question("MOOD"))] == [
        "1",
        "2",
        "3",
        "4",
        "5",
    ]
    assert sb.answer_choices(FRAMEWORK.question("WIDE")) == []  # counts are typed
    for label, text in sb.answer_choices(FRAMEWORK.question("SIZE")):
        state = engine.new_state(FRAMEWORK).with_(status=Status.IN_PROGRESS, current="SIZE")
        moved = engine.advance(FRAMEWORK, state, Reply(text, "SIZE", strict=True))
        expected = {"10": "ten", "More than 10": "more"}[label]
        assert moved.state.answers["SIZE"] == expected


def test_first_question_of_a_section_shows_the_section_escaped() -> None:
    payload = sb.render([ask("N", section_start=True)], VIEW, RENDERER)
    first = payload["blocks"][0]["text"]["text"]
    assert first == "*About you &amp; yours*\nA &lt;short&gt; one."
    assert payload["blocks"][1]["text"]["text"] == "*Question 1* (0 of 5 answered)\nHow many?"
    assert labels(payload) == ["Later"]  # typed; nothing to go back to
    assert payload["ask"] == "N"


def test_optional_question_offers_skip_and_back() -> None:
    payload = sb.render([ask("WIDE", answered=4)], VIEW, RENDERER)
    assert labels(payload) == ["Skip", "Back", "Later"]
    assert "(4 of 5 answered, optional)" in json.dumps(payload)
    skip = next(
        e
        for b in payload["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["text"]["text"] == "Skip"
    )
    assert json.loads(skip["value"]) == {"q": "WIDE", "t": "skip", "s": 1}


def test_review_has_submit_and_edit_until_completed() -> None:
    items = tuple(
        ReviewItem(n, f"Q{n}", f"Question {n} <short>", "x" * 60, n == 3) for n in range(1, 90)
    )
    open_review = sb.render([Review(items, completed=False)], VIEW, RENDERER)
    assert "Submit" in labels(open_review)
    sections = [b for b in open_review["blocks"] if b["type"] == "section"]
    assert all(len(b["text"]["text"]) <= 3000 for b in sections)
    text = "\n".join(b["text"]["text"] for b in sections)
    assert "3. Question 3 &lt;short&gt;: _skipped_" in text and "89. Question 89" in text
    done = sb.render([Review(items, completed=True)], VIEW, RENDERER)
    assert "Submit" not in labels(done)
    assert "Your submitted answers:" in json.dumps(done)


def test_notices_use_the_shared_wording_and_plain_text_goes_alongside() -> None:
    payload = sb.render([Notice(NoticeKind.STALE_BUTTON), ask("N")], VIEW, RENDERER)
    assert payload["blocks"][0]["text"]["text"] == (
        "That button belongs to an earlier question, so nothing was changed."
    )
    assert payload["text"].startswith("That button belongs to an earlier question")
    assert "Question 1" in payload["text"]


def test_answered_question_update_has_no_buttons() -> None:
    payload = sb.update_payload("D1", "9.9", VIEW, "MOOD", "4 out of 5")
    assert payload["update"] == {"channel": "D1", "ts": "9.9"}
    assert [b["type"] for b in payload["blocks"]] == ["section", "section"]
    assert payload["blocks"][1]["text"]["text"] == ":white_check_mark: *4 out of 5*"


# ---- Slack's errors ------------------------------------------------------------------------------


def api_error(
    error: str, status: int = 200, headers: dict[str, str] | None = None
) -> SlackApiError:
    response = AsyncSlackResponse(
        client=None,  # type: ignore[arg-type]
        http_verb="POST",
        api_url="http://127.0.0.1/api/chat.postMessage",
        req_args={},
        data={"ok": False, "error": error},
        headers=headers or {},
        status_code=status,
    )
    return SlackApiError(error, response)


def test_rate_limit_pauses_for_retry_after() -> None:
    failure = delivery_failure(api_error("ratelimited", 429, {"retry-after": "7"}))
    assert isinstance(failure, TemporaryFailure) and failure.retry_after == 7


@pytest.mark.parametrize("error", ["channel_not_found", "invalid_auth", "account_inactive"])
def test_refusals_are_permanent(error: str) -> None:
    assert isinstance(delivery_failure(api_error(error)), PermanentFailure)


def test_other_errors_are_retried() -> None:
    failure = delivery_failure(api_error("internal_error", 500))
    assert isinstance(failure, TemporaryFailure) and failure.retry_after is None


def test_answers_and_skips_carry_updates_for_the_messages_that_asked_them() -> None:
    payload = sb.render(
        [Recorded("MOOD", "4 out of 5"), SkippedNote("WIDE"), ask("YN")], VIEW, RENDERER
    )
    assert [u["ask"] for u in payload["updates"]] == ["MOOD", "WIDE"]
    mood, wide = payload["updates"]
    assert mood["blocks"][1]["text"]["text"] == ":white_check_mark: *4 out of 5*"
    assert "How was it?" in mood["blocks"][0]["text"]["text"]
    assert wide["blocks"][1]["text"]["text"] == ":white_check_mark: *Skipped*"
    assert payload["ask"] == "YN"
    assert payload["text"].startswith("Saved. Mood: 4 out of 5.")
    assert "updates" not in sb.render([ask("YN")], VIEW, RENDERER)
