"""What Slack sends to the bot, made here: events, clicks and commands, signed as Slack signs."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

import aiohttp
from slack_sdk.signature import SignatureVerifier

from bot.demo.slack_standin import TEAM_ID, Call


def message_event(user: str, text: str, *, event_id: str | None = None) -> dict[str, Any]:
    """An Events API envelope for a DM typed by `user`."""
    ts = f"{time.time():.6f}"
    return {
        "token": "unused",
        "team_id": TEAM_ID,
        "api_app_id": "A0APP00001",
        "type": "event_callback",
        "event_id": event_id or f"Ev{uuid.uuid4().hex[:12].upper()}",
        "event_time": int(time.time()),
        "event": {
            "type": "message",
            "channel_type": "im",
            "channel": f"D{user}",
            "user": user,
            "text": text,
            "ts": ts,
            "event_ts": ts,
        },
    }


def home_opened_event(user: str) -> dict[str, Any]:
    return {
        "team_id": TEAM_ID,
        "api_app_id": "A0APP00001",
        "type": "event_callback",
        "event_id": f"Ev{uuid.uuid4().hex[:12].upper()}",
        "event_time": int(time.time()),
        "event": {"type": "app_home_opened", "user": user, "channel": f"D{user}", "tab": "home"},
    }


def find_element(blocks: list[dict[str, Any]], label: str) -> tuple[str, dict[str, Any]]:
    """(block_id, element) of the button with this label, or of the select with this option."""
    for block in blocks:
        elements = list(block.get("elements") or [])
        if block.get("accessory"):
            elements.append(block["accessory"])
        for element in elements:
            if element.get("type") == "button" and element["text"]["text"] == label:
                return str(block.get("block_id", "")), element
            for option in element.get("options") or []:
                if option["text"]["text"] == label:
                    return str(block.get("block_id", "")), {**element, "selected_option": option}
    raise LookupError(f"no button or option {label!r} in the message")


def block_action(user: str, post: Call, label: str) -> dict[str, Any]:
    """The interactivity payload Slack sends when `user` clicks `label` in a posted message."""
    blocks = list(post.params.get("blocks") or [])
    block_id, element = find_element(blocks, label)
    action = {
        "type": element["type"],
        "action_id": element["action_id"],
        "block_id": block_id,
        "action_ts": f"{time.time():.6f}",
    }
    if "value" in element:
        action["value"] = element["value"]
    if "selected_option" in element:
        action["selected_option"] = element["selected_option"]
    channel = str(post.response.get("channel") or post.params.get("channel"))
    return {
        "type": "block_actions",
        "team": {"id": TEAM_ID},
        "user": {"id": user},
        "api_app_id": "A0APP00001",
        "trigger_id": uuid.uuid4().hex,
        "container": {
            "type": "message",
            "message_ts": post.response.get("ts"),
            "channel_id": channel,
            "is_ephemeral": False,
        },
        "channel": {"id": channel},
        "message": {"ts": post.response.get("ts"), "blocks": blocks},
        "actions": [action],
    }


def slash_command(user: str, text: str = "") -> dict[str, str]:
    return {
        "token": "unused",
        "team_id": TEAM_ID,
        "channel_id": f"D{user}",
        "user_id": user,
        "command": "/checkin",
        "text": text,
        "response_url": "http://127.0.0.1:9/unused",
        "trigger_id": uuid.uuid4().hex,
    }


class SignedSender:
    """Posts requests to the bot's HTTP endpoint signed as Slack signs them."""

    def __init__(self, url: str, signing_secret: str, session: aiohttp.ClientSession) -> None:
        self.url = url
        self.verifier = SignatureVerifier(signing_secret)
        self.session = session

    async def send(
        self,
        body: str,
        content_type: str,
        *,
        timestamp: int | None = None,
        signature: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> tuple[int, str]:
        stamp = str(timestamp if timestamp is not None else int(time.time()))
        signed = signature or self.verifier.generate_signature(timestamp=stamp, body=body) or ""
        all_headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": signed,
            **(headers or {}),
        }
        async with self.session.post(self.url, data=body.encode(), headers=all_headers) as resp:
            return resp.status, await resp.text()

    async def event(self, envelope: Mapping[str, Any], **kwargs: Any) -> tuple[int, str]:
        return await self.send(json.dumps(envelope), "application/json", **kwargs)

    async def action(self, payload: Mapping[str, Any], **kwargs: Any) -> tuple[int, str]:
        body = urlencode({"payload": json.dumps(payload)})
        return await self.send(body, "application/x-www-form-urlencoded", **kwargs)

    async def command(self, fields: Mapping[str, str], **kwargs: Any) -> tuple[int, str]:
        return await self.send(urlencode(fields), "application/x-www-form-urlencoded", **kwargs)
