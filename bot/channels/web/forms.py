"""What a posted question form says, as the text the engine reads, or why it cannot be read."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from conversations.answers import AnswerValue
from conversations.framework import (
    ChoiceQuestion,
    CountQuestion,
    NumberQuestion,
    ProportionQuestion,
    Question,
    ScaleQuestion,
    TextQuestion,
    YesNoQuestion,
)

MAX_FIELD_CHARS = 20_000  # any one field; a text answer's own limit is checked against the question
# the words the engine reads as commands; on a form they are never meant as one
_COMMAND_WORD = re.compile(
    r"^\s*(help|\?|skip|back|edit|change|later|pause|stop|start|resume|continue|review"
    r"|submit|send|done|confirm)\b(.*)$",
    re.IGNORECASE | re.DOTALL,
)


@dataclass(frozen=True)
class Entered:
    """What the grantee entered, kept to show again beside an error."""

    answer: str = ""
    x: str = ""
    n: str = ""


@dataclass(frozen=True)
class Read:
    text: str  # for the engine; "" when nothing was entered
    entered: Entered
    problem: str | None = None  # said beside the field; nothing is saved


def field(form: Mapping[str, object], name: str) -> str:
    value = form.get(name, "")
    return value if isinstance(value, str) else ""


def read_answer(q: Question, form: Mapping[str, object]) -> Read:
    """The answer text for the engine, from the fields this question's page has."""
    if isinstance(q, ProportionQuestion):
        x, n = field(form, "x").strip(), field(form, "n").strip()
        entered = Entered(x=x[:MAX_FIELD_CHARS], n=n[:MAX_FIELD_CHARS])
        if len(x) > MAX_FIELD_CHARS or len(n) > MAX_FIELD_CHARS:
            return Read("", entered, "Those numbers are far too long. Enter whole numbers.")
        if not x and not n:
            return Read("", entered)
        if not x or not n:
            missing = q.numerator if not x else q.denominator
            return Read("", entered, f"Enter how many {missing}, as a whole number")
        return Read(f"{x} of {n}", entered)
    raw = field(form, "answer")
    entered = Entered(answer=raw[:MAX_FIELD_CHARS])
    if len(raw) > MAX_FIELD_CHARS:
        return Read("", entered, f"Your answer is {len(raw):,} characters, which is too long.")
    text = raw if isinstance(q, TextQuestion) else raw.strip()
    if isinstance(q, TextQuestion) and len(text.strip()) > q.max_length:
        return Read(
            "",
            entered,
            f"Your answer is {len(text.strip()):,} characters; the limit is "
            f"{q.max_length:,}. Shorten it and save again.",
        )
    command = _COMMAND_WORD.match(text)
    if command is not None and (not isinstance(q, TextQuestion) or not command.group(2).strip()):
        # the engine would take "back" or "stop" as an instruction, not an answer
        return Read("", entered, f"Enter your answer. {web_hint(q)}")
    return Read(text.strip(), entered)


def empty_problem(q: Question) -> str:
    """The error for a required question left empty, in the words of its field."""
    if isinstance(q, (ChoiceQuestion, YesNoQuestion, ScaleQuestion)):
        return "Select an answer"
    if isinstance(q, ProportionQuestion):
        return f"Enter how many {q.numerator} and how many {q.denominator}"
    if isinstance(q, CountQuestion):
        return f"Enter the number of {q.unit or 'items'}, or 0 if none"
    if isinstance(q, NumberQuestion):
        return "Enter a number"
    return "Enter your answer"


def web_hint(q: Question) -> str:
    """How to answer, in the words of a form rather than a reply."""
    if isinstance(q, CountQuestion):
        return "Enter a whole number, for example 12."
    if isinstance(q, NumberQuestion):
        return "Enter a number, for example 7.5."
    if isinstance(q, ProportionQuestion):
        return f"Enter how many {q.numerator} (x) out of how many {q.denominator} (n)."
    if isinstance(q, TextQuestion):
        return f"Up to {q.max_length:,} characters."
    return ""


def shown_value(q: Question, value: AnswerValue | None) -> Entered:
    """An answer already saved, as the page's fields show it."""
    if value is None:
        return Entered()
    if isinstance(value, dict):
        return Entered(x=str(value.get("x", "")), n=str(value.get("n", "")))
    if isinstance(value, bool):
        return Entered(answer="yes" if value else "no")
    if isinstance(q, NumberQuestion) and isinstance(value, float):
        return Entered(answer=f"{value:g}")
    return Entered(answer=str(value))
