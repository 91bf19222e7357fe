"""The web as a channel the dispatcher drives: its pages are the replies, so nothing is sent."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.conversation.channel import Delivery
from bot.conversation.rendering import ConversationView
from conversations.state import Prompt
from storage.records import CheckInContext


class WebChannel:
    """Steps taken on the web are stored like every channel's; the page after the step shows
    where the check-in stands, so nothing is queued to send."""

    name = "web"
    min_interval = 0.0
    queues_messages = False  # the dispatcher stores the step and its audit rows, no message

    def recipient(self, context: CheckInContext) -> str:
        return context.grantee.email

    def render(self, prompts: Sequence[Prompt], view: ConversationView) -> dict[str, Any]:
        return {"shown_on_page": [type(p).__name__ for p in prompts]}

    async def deliver(self, delivery: Delivery) -> str | None:
        return None
