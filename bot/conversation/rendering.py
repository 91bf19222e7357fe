"""One jinja2 environment that turns engine prompts into the words each channel sends."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template, select_autoescape

from conversations.answers import answer_hint
from conversations.framework import Framework
from conversations.state import Prompt

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "templates"


@dataclass(frozen=True)
class ConversationView:
    """What templates may say about the check-in around the prompts."""

    framework: Framework
    grantee_name: str
    programme_name: str
    period: str
    due: str | None = None  # already in the grantee's timezone and words
    contact_hint: str = ""
    form_link: str | None = None  # the grantee's private link to this check-in on the web


def template_lookup(env: Environment) -> Callable[[str], Template]:
    """`env.get_template`, each name looked up once: without auto-reload a template never
    changes while serving, and jinja's own lookup costs more than rendering a short one."""
    return lru_cache(maxsize=None)(env.get_template)


def _sentence(text: str) -> str:
    """End a quoted answer with one full stop, not two."""
    return text if text.endswith((".", "!", "?", "…")) else text + "."


class Renderer:
    def __init__(self, templates_dir: Path = TEMPLATES_DIR) -> None:
        self.env = Environment(
            loader=FileSystemLoader(templates_dir),
            undefined=StrictUndefined,
            autoescape=select_autoescape(["html", "html.j2"]),
            trim_blocks=True,
            lstrip_blocks=True,
            # templates change with a release, not while serving: checking each file's time on
            # every render costs a twentieth of a Slack turn
            auto_reload=False,
        )
        self.env.globals["hint"] = answer_hint
        self.env.filters["sentence"] = _sentence
        self.template = template_lookup(self.env)

    def text(self, prompts: Sequence[Prompt], view: ConversationView) -> str:
        """Plain text: the terminal, and the text part of emails."""
        parts = []
        for prompt in prompts:
            name = f"text/{type(prompt).__name__.lower()}.txt.j2"
            rendered = self.template(name).render(prompt=prompt, view=view).strip()
            if rendered:
                parts.append(rendered)
        return "\n\n".join(parts)
