"""The terminal channel: the same dispatcher, with the conversation printed and typed."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from bot.conversation.channel import Delivery
from bot.conversation.rendering import ConversationView, Renderer
from conversations.state import Prompt
from storage.records import CheckInContext


class ConsoleChannel:
    name = "console"

    def __init__(self, renderer: Renderer, write: Callable[[str], None] = print) -> None:
        self.renderer = renderer
        self.write = write

    def recipient(self, context: CheckInContext) -> str:
        return context.grantee.email

    def render(self, prompts: Sequence[Prompt], view: ConversationView) -> dict[str, Any]:
        return {"text": self.renderer.text(prompts, view)}

    async def deliver(self, delivery: Delivery) -> str | None:
        text = str(delivery.payload.get("text", ""))
        if text:
            self.write(text)
        return None
