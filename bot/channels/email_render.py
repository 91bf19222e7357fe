"""Prompts to a check-in email: subject, plain text and HTML parts from templates/email/."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup, escape

from bot.channels.email_steps import AttachmentsIgnored, NothingFound
from bot.rendering import ConversationView, Renderer, template_lookup
from conversations.answers import example_answer
from conversations.state import Ask, Completed, Invalid, Review

# prompts whose email wording differs from the terminal's; the rest reuse templates/text/
_EMAIL_TEMPLATES = {
    Invalid: "email/invalid.txt.j2",
    AttachmentsIgnored: "email/attachmentsignored.txt.j2",
    NothingFound: "email/nothingfound.txt.j2",
}


@dataclass
class _Block:
    text: str = ""
    asks: list[Ask] = field(default_factory=list)


def _nl2br(text: str) -> Markup:
    return Markup("<br>\n").join(escape(line) for line in text.splitlines())


def subject(prompts: Sequence[Any], view: ConversationView) -> str:
    """ "Check-in for <programme>, <period>: 3 of 20 answered" (or complete)."""
    head = f"Check-in for {view.programme_name}, {view.period}"
    if any(isinstance(prompt, Completed) for prompt in prompts):
        return f"{head}: complete"
    for prompt in reversed(prompts):
        if isinstance(prompt, Ask):
            return f"{head}: {prompt.answered} of {prompt.total} answered"
        if isinstance(prompt, Review):
            shown = [item for item in prompt.items if not item.skipped]
            state = "submitted" if prompt.completed else "ready to submit"
            return f"{head}: {len(shown)} of {len(prompt.items)} answered, {state}"
    return head


class EmailRenderer:
    def __init__(self, renderer: Renderer) -> None:
        self.env = renderer.env.overlay()
        self.env.globals["example"] = example_answer
        self.env.filters["nl2br"] = _nl2br
        self.template = template_lookup(self.env)

    def _text(self, prompt: Any, view: ConversationView) -> str:
        name = _EMAIL_TEMPLATES.get(type(prompt), f"text/{type(prompt).__name__.lower()}.txt.j2")
        return self.template(name).render(prompt=prompt, view=view).strip()

    def render(self, prompts: Sequence[Any], view: ConversationView) -> dict[str, Any]:
        blocks: list[_Block] = []
        for prompt in prompts:
            if isinstance(prompt, Ask):
                if not blocks or not blocks[-1].asks:
                    blocks.append(_Block())
                blocks[-1].asks.append(prompt)
            elif text := self._text(prompt, view):
                blocks.append(_Block(text=text))
        title = subject(prompts, view)
        context = {"blocks": blocks, "view": view, "subject": title}
        text = self.template("email/message.txt.j2").render(**context)
        html = self.template("email/message.html.j2").render(**context)
        return {"subject": title, "text": text.strip() + "\n", "html": html}
