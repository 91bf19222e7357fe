"""The text of a message the bot posted or updated, read out of its Block Kit blocks."""

from __future__ import annotations

from typing import Any

from tests.support.fake_slack import Call


def _texts_in_blocks(call: Call, *, mrkdwn_only: bool) -> list[str]:
    """Every `text` string in the call's blocks, depth first (only mrkdwn ones if asked)."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            text = node.get("text")
            if isinstance(text, str) and (not mrkdwn_only or node.get("type") == "mrkdwn"):
                found.append(text)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(call.params.get("blocks"))
    return found


def block_text(call: Call) -> str:
    """Every piece of text in a message's blocks, as a person would read them, one per line."""
    return "\n".join(_texts_in_blocks(call, mrkdwn_only=False))


def mrkdwn_texts(call: Call) -> list[str]:
    """The top-level text and every mrkdwn text of a posted or updated message."""
    return [str(call.params.get("text", "")), *_texts_in_blocks(call, mrkdwn_only=True)]
