"""Prompts to a check-in email: subject, plain text and HTML parts from templates/email/."""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup, escape

from bot.channels.email.steps import AttachmentsIgnored, LineInvalid, NothingFound, RestSaved
from bot.channels.email.understand import LineNotRead, ReadInOrder
from bot.conversation.rendering import ConversationView, Renderer, template_lookup
from conversations.answers import example_answer
from conversations.framework import Framework, Question
from conversations.state import Ask, Completed, Invalid, Review

# prompts whose email wording differs from the terminal's; the rest reuse templates/text/
_EMAIL_TEMPLATES = {
    Invalid: "email/invalid.txt.j2",
    AttachmentsIgnored: "email/attachmentsignored.txt.j2",
    NothingFound: "email/nothingfound.txt.j2",
    LineInvalid: "email/lineinvalid.txt.j2",
    LineNotRead: "email/linenotread.txt.j2",
    ReadInOrder: "email/readinorder.txt.j2",
    RestSaved: "email/restsaved.txt.j2",
}


@dataclass
class _Block:
    text: str = ""
    asks: list[Ask] = field(default_factory=list)
    questions_text: str = ""  # the asks as the plain part shows them
    questions_html: Markup = field(default_factory=Markup)


# A question reads the same in every email that asks it the same way, and every grantee of a
# programme is asked the same questions: each is rendered once, kept by the framework and
# question objects it was rendered from (checked by identity, so a changed framework, whose
# objects are new, is rendered anew) and by what in the ask changes its wording.
_KEPT_QUESTIONS = 4096
_QuestionKey = tuple[int, int, int, bool, str | None, bool, bool]


# `later` in the shared prompt wordings marks words to type: set as code in HTML, quoted in text
_TYPED = re.compile(r"`([^`\n]+)`")


def _nl2br(text: str) -> Markup:
    return Markup("<br>\n").join(_code(line) for line in text.splitlines())


def _code(line: str) -> Markup:
    parts = _TYPED.split(line)  # text, typed, text, typed, ..., text
    return Markup("").join(
        Markup("<code>{}</code>").format(part) if odd else escape(part)
        for odd, part in ((i % 2 == 1, p) for i, p in enumerate(parts))
    )


def plain(text: str) -> str:
    """Plain text as people read it: words to type in quotation marks, not backticks."""
    return _TYPED.sub(r'"\1"', text)


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
        self._questions: OrderedDict[_QuestionKey, tuple[Framework, Question, str, Markup]]
        self._questions = OrderedDict()

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
        for block in blocks:
            if block.asks:
                block.questions_text, block.questions_html = self._asked(block.asks, view)
        title = subject(prompts, view)
        context = {"blocks": blocks, "view": view, "subject": title}
        text = self.template("email/message.txt.j2").render(**context)
        html = self.template("email/message.html.j2").render(**context)
        return {"subject": title, "text": plain(text.strip()) + "\n", "html": html}

    def _asked(self, asks: Sequence[Ask], view: ConversationView) -> tuple[str, Markup]:
        """The asks' questions, with a section's heading where one starts."""
        fw = view.framework
        texts: list[str] = []
        htmls: list[Markup] = []
        previous: Question | None = None
        for ask in asks:
            q = fw.question(ask.question_id)
            opens = ask.section_start and ask.current is None
            # the plain part heads every new section in the list, the HTML part the first
            heads_text = opens and (previous is None or q.section != previous.section)
            text, html = self._question(fw, q, ask, heads_text, opens and previous is None)
            texts.append(text)
            htmls.append(html)
            previous = q
        return "".join(texts), Markup("").join(htmls)

    def _question(
        self, fw: Framework, q: Question, ask: Ask, heads_text: bool, heads_html: bool
    ) -> tuple[str, Markup]:
        key = (id(fw), id(q), ask.number, ask.optional, ask.current, heads_text, heads_html)
        kept = self._questions.get(key)
        if kept is not None and kept[0] is fw and kept[1] is q:
            self._questions.move_to_end(key)
            return kept[2], kept[3]
        view = {"ask": ask, "q": q, "view": _FrameworkOnly(fw)}
        # each ends its last line, which jinja leaves out at the end of a template
        text = self.template("email/question.txt.j2").render(heading=heads_text, **view) + "\n"
        html = Markup(self.template("email/question.html.j2").render(heading=heads_html, **view))
        html += Markup("\n")
        self._questions[key] = (fw, q, text, html)
        if len(self._questions) > _KEPT_QUESTIONS:
            self._questions.popitem(last=False)
        return text, html


@dataclass(frozen=True)
class _FrameworkOnly:
    """What a question's template may read of the view: only what is the same for everyone."""

    framework: Framework
