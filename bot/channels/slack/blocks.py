"""Pure Slack translation: event and action payloads to InboundMessage, prompts to Block Kit."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import orjson

from bot.conversation.channel import InboundMessage
from bot.conversation.rendering import ConversationView, Renderer
from conversations.answers import Rejection, answer_hint, parse_answer
from conversations.framework import ChoiceQuestion, Question, ScaleQuestion, YesNoQuestion
from conversations.state import Ask, Prompt, Recorded, Review, SkippedNote

CHANNEL = "slack"
ACTION_PREFIX = "ci:"
_SECTION_LIMIT = 2900  # Slack refuses section text over 3000 characters
_BUTTON_TEXT_LIMIT = 75

Block = dict[str, Any]


# ---- inbound ------------------------------------------------------------------------------------


def escape(text: str) -> str:
    """Text for Slack mrkdwn: only &, < and > are special (api.slack.com/reference/surfaces)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def message_inbound(body: Mapping[str, Any]) -> InboundMessage | None:
    """A person's direct message, or None for anything else (bots, edits, channel messages)."""
    event = body.get("event")
    if not isinstance(event, Mapping):
        return None
    if event.get("type") != "message" or event.get("channel_type") != "im":
        return None
    # edits, deletions, joins and bot posts come with a subtype or a bot_id; none are answers
    if event.get("subtype") or event.get("bot_id") or not isinstance(event.get("user"), str):
        return None
    text = event.get("text", "")
    if not isinstance(text, str):  # a file or a call, without words: nothing to read
        return None
    event_id = body.get("event_id") or f"{event.get('channel')}:{event.get('ts')}"
    # a NUL is never meant, and PostgreSQL refuses it in text: the answer would not be stored
    return InboundMessage(CHANNEL, str(event_id), event["user"], unescape(text).replace("\0", ""))


@dataclass(frozen=True)
class Click:
    """A button or menu choice in a check-in message."""

    message: InboundMessage
    round_tag: str  # which programme's round the message belonged to
    channel_id: str | None  # where the clicked message is, to update it
    message_ts: str | None


def click_inbound(body: Mapping[str, Any]) -> Click | None:
    """The first check-in action of a block_actions payload, or None when it is not ours."""
    actions = body.get("actions")
    user = _field(body, "user").get("id")
    ours = [
        a
        for a in (actions if isinstance(actions, list) else ())
        if isinstance(a, Mapping) and str(a.get("action_id", "")).startswith(ACTION_PREFIX)
    ]
    if not ours or not isinstance(user, str) or not user:
        return None
    action = ours[0]
    raw = action.get("value") or _field(action, "selected_option").get("value") or "{}"
    try:
        value = json.loads(raw)
    except (TypeError, ValueError):  # not text, or not JSON: no button of ours
        return None
    if not isinstance(value, dict) or not isinstance(value.get("t"), str):
        return None
    block_id = str(action.get("block_id", ""))
    round_tag = block_id.split(":")[1] if block_id.count(":") >= 2 else ""
    container = _field(body, "container")
    # interactions are not redelivered by Slack; the action's own time identifies this click
    external_id = f"action:{user}:{action.get('action_ts') or body.get('trigger_id')}"
    question = value.get("q")
    message = InboundMessage(
        CHANNEL,
        external_id,
        str(user),
        value["t"],
        question_id=str(question) if question else None,
        strict=bool(value.get("s")),
    )
    return Click(
        message,
        round_tag,
        container.get("channel_id") or _field(body, "channel").get("id"),
        container.get("message_ts"),
    )


def _field(payload: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    """An object-valued field of a payload, or {} when it is missing or not an object."""
    value = payload.get(name)
    return value if isinstance(value, Mapping) else {}


@lru_cache(maxsize=256)  # a handful of open rounds, asked for on every message
def round_tag(programme_name: str, period: str) -> str:
    """A short stable tag naming a round, carried in block ids (their limit is 255 characters)."""
    return hashlib.sha1(f"{programme_name}\n{period}".encode()).hexdigest()[:10]


def command_word(text: str) -> str:
    """What `/checkin <text>` asks for: start, status or help ("" is start)."""
    word = text.strip().lower().split(" ", 1)[0] if text.strip() else "start"
    aliases = {"resume": "start", "continue": "start", "start": "start", "status": "status"}
    return aliases.get(word, "help")


# ---- outbound -----------------------------------------------------------------------------------


def section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:_SECTION_LIMIT]}}


def context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text[:_SECTION_LIMIT]}]}


def _button(label: str, action: str, value: Mapping[str, Any], style: str | None = None) -> Block:
    button: Block = {
        "type": "button",
        "action_id": f"{ACTION_PREFIX}{action}",
        "text": {"type": "plain_text", "text": label[:_BUTTON_TEXT_LIMIT], "emoji": True},
        "value": orjson.dumps(dict(value)).decode(),
    }
    if style:
        button["style"] = style
    return button


def _actions(tag: str, name: str, elements: list[Block]) -> Block:
    return {"type": "actions", "block_id": f"ci:{tag}:{name}", "elements": elements}


def answer_choices(q: Question) -> list[tuple[str, str]]:
    """(button label, text the engine reads) for questions answered by a click; [] if typed."""
    if isinstance(q, YesNoQuestion):
        return [("Yes", "yes"), ("No", "no")]
    if isinstance(q, ChoiceQuestion):
        choices = []
        for position, option in enumerate(q.options, start=1):
            # send the label when it reads back as this option, else its number (always does)
            parsed = parse_answer(q, option.label)
            same = not isinstance(parsed, Rejection) and parsed.value == option.value
            choices.append((option.label, option.label if same else str(position)))
        return choices
    if isinstance(q, ScaleQuestion):  # frameworks allow 11 points at most; Slack allows 25
        choices = []
        for value in range(q.min, q.max + 1):
            label = q.min_label if value == q.min else q.max_label if value == q.max else ""
            choices.append((f"{value} {label}".strip(), str(value)))
        return choices
    return []


def question_blocks(ask: Ask, view: ConversationView) -> list[Block]:
    """The question itself, as it stays in the DM (without buttons)."""
    fw = view.framework
    q = fw.question(ask.question_id)
    blocks: list[Block] = []
    if ask.section_start and ask.current is None:
        part = fw.section(q.section)
        intro = f"\n{escape(part.intro)}" if part.intro else ""
        blocks.append(section(f"*{escape(part.title)}*{intro}"))
    optional = ", optional" if ask.optional else ""
    blocks.append(
        section(
            f"*Question {ask.number}* ({ask.answered} of {ask.total} answered{optional})\n"
            f"{escape(q.prompt)}"
        )
    )
    return blocks


def ask_blocks(ask: Ask, view: ConversationView) -> list[Block]:
    q = view.framework.question(ask.question_id)
    tag = round_tag(view.programme_name, view.period)
    blocks = question_blocks(ask, view)
    if ask.suggestion is not None:
        blocks.append(context(f"{escape(ask.suggestion.source)} Reply *yes* to use it."))
    if ask.current is not None:
        blocks.append(context(f"Your answer so far: *{escape(ask.current)}*"))
    choices = answer_choices(q)
    typed = "Or type your answer." if choices else answer_hint(q)
    blocks.append(context(escape(typed)))
    if choices:
        buttons = [
            _button(label, f"answer:{n}", {"q": q.id, "t": text, "s": 1})
            for n, (label, text) in enumerate(choices)
        ]
        blocks.append(_actions(tag, f"answer:{q.id}", buttons))
    nav = []
    if ask.optional:
        nav.append(_button("Skip", "skip", {"q": q.id, "t": "skip", "s": 1}))
    if ask.answered or ask.number > 1:
        nav.append(_button("Back", "back", {"q": q.id, "t": "back", "s": 1}))
    nav.append(_button("Later", "later", {"t": "later"}))
    blocks.append(_actions(tag, f"nav:{q.id}", nav))
    return blocks


def answered_blocks(view: ConversationView, question_id: str, display: str) -> list[Block]:
    """A question message once answered: the question, then the answer, and no buttons."""
    q = view.framework.question(question_id)
    number = view.framework.number_of(question_id)
    return [
        section(f"*Question {number}*\n{escape(q.prompt)}"),
        section(f":white_check_mark: *{escape(display)}*"),
    ]


def review_blocks(review: Review, view: ConversationView) -> list[Block]:
    tag = round_tag(view.programme_name, view.period)
    heading = (
        "Your submitted answers:" if review.completed else "Here is everything before you submit:"
    )
    lines = [
        f"{item.number}. {escape(item.short)}: "
        + ("_skipped_" if item.skipped else f"*{escape(item.display)}*")
        for item in review.items
    ]
    blocks: list[Block] = [section(f"*{heading}*")]
    chunk: list[str] = []
    size = 0  # of the chunk joined by newlines, plus one
    for line in lines:
        if size + len(line) > _SECTION_LIMIT:
            blocks.append(section("\n".join(chunk)))
            chunk, size = [], 0
        chunk.append(line)
        size += len(line) + 1
    if chunk:
        blocks.append(section("\n".join(chunk)))
    elements: list[Block] = []
    if not review.completed:
        elements.append(_button("Submit", "submit", {"t": "submit"}, style="primary"))
    if review.items:
        elements.append(
            {
                "type": "static_select",
                "action_id": f"{ACTION_PREFIX}edit",
                "placeholder": {"type": "plain_text", "text": "Edit an answer"},
                "options": [
                    {
                        "text": {
                            "type": "plain_text",
                            "text": f"{item.number}. {item.short}"[:_BUTTON_TEXT_LIMIT],
                        },
                        "value": orjson.dumps({"t": f"edit {item.number}"}).decode(),
                    }
                    for item in review.items[:100]
                ],
            }
        )
    if elements:
        blocks.append(_actions(tag, "review", elements))
    if review.completed:
        blocks.append(context("You can change an answer until the round closes."))
    return blocks


def render(prompts: Sequence[Prompt], view: ConversationView, renderer: Renderer) -> dict[str, Any]:
    """The stored payload of one step: Block Kit, plain text for notifications, what it asks.

    `updates` turns the messages of the questions just answered into records of their answers
    (chat.update); they are part of the stored step, so they are retried with it.
    """
    blocks: list[Block] = []
    updates: list[dict[str, Any]] = []
    texts: list[str] = []  # each prompt rendered once: the notification text joins them
    asks: str | None = None
    for prompt in prompts:
        text = renderer.text([prompt], view)
        if text:
            texts.append(text)
        if isinstance(prompt, Ask):
            blocks.extend(ask_blocks(prompt, view))
            asks = prompt.question_id
        elif isinstance(prompt, Review):
            blocks.extend(review_blocks(prompt, view))
        elif isinstance(prompt, (Recorded, SkippedNote)):
            display = prompt.display if isinstance(prompt, Recorded) else "Skipped"
            updates.append(answered_update(view, prompt.question_id, display))
            blocks.append(context(f":white_check_mark: {escape(text)}"))
        elif text:
            blocks.append(section(escape(text)))
    # Slack allows 50 blocks a message; a long review is split into fewer, larger sections
    # the notification text is mrkdwn too: a grantee's "<!channel>" must not notify anyone
    text = escape("\n\n".join(texts))
    if view.form_link and blocks:
        blocks = [*blocks[:49], context(f"Prefer a form? <{view.form_link}|Answer on the web>")]
    payload: dict[str, Any] = {"text": text, "blocks": blocks[:50], "ask": asks}
    if updates:
        payload["updates"] = updates
    return payload


def answered_update(view: ConversationView, question_id: str, display: str) -> dict[str, Any]:
    """How the message that asked `question_id` reads once answered (its target found later)."""
    q = view.framework.question(question_id)
    return {
        "ask": question_id,
        "text": escape(
            f"Question {view.framework.number_of(question_id)}: {q.prompt} Answer: {display}"
        ),
        "blocks": answered_blocks(view, question_id, display),
    }


def update_payload(
    channel_id: str, ts: str, view: ConversationView, question_id: str, display: str
) -> dict[str, Any]:
    """A chat.update that turns a question message into the record of its answer."""
    update = answered_update(view, question_id, display)
    return {
        "update": {"channel": channel_id, "ts": ts},
        "text": update["text"],
        "blocks": update["blocks"],
    }


def replacing(channel_id: str, ts: str, payload: Mapping[str, Any]) -> dict[str, Any]:
    """A rendered payload sent as a chat.update of an earlier message instead of a new one."""
    return {**payload, "update": {"channel": channel_id, "ts": ts}}


def notice_payload(text: str) -> dict[str, Any]:
    """A plain message (unknown user, closed round) that is not part of a check-in step."""
    return {"text": escape(text), "blocks": [section(escape(text))], "ask": None}
