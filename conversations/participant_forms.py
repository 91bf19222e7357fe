"""A participant form for baseline or follow-up, and a filled-in form read and checked."""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field

from conversations.errors import FrameworkError
from conversations.framework import Framework
from conversations.participant_items import (
    FORM_KINDS,
    FormKind,
    ItemOption,
    ParticipantForm,
    ParticipantItem,
)

CODE_MIN, CODE_MAX = 4, 16
_NOT_CODE = re.compile(r"[^A-Z0-9]")


@dataclass(frozen=True)
class FormLayout:
    """What a participant sees: the statement, the items in order, the age band and the code."""

    kind: FormKind
    title: str
    heading: str
    form: ParticipantForm
    items: tuple[ParticipantItem, ...]


@dataclass(frozen=True)
class Submission:
    """One participant's answers, checked: item id to option value, or to a score as text."""

    kind: FormKind
    answers: Mapping[str, str]
    age_band: str | None
    code: str | None  # normalised; hash it with pairing_key before storing


@dataclass(frozen=True)
class SubmissionProblems:
    """Why a filled-in form cannot be taken, per field, in words for the person filling it in."""

    problems: Mapping[str, str] = field(default_factory=dict)


def form_layout(framework: Framework, kind: FormKind) -> FormLayout:
    """The baseline or follow-up form of a framework; a framework without one is a fault."""
    form = framework.participant_form
    if form is None or not framework.participant_items:
        raise FrameworkError(f"{framework.key} has no participant form")
    if kind not in FORM_KINDS:
        raise FrameworkError(f"no such form kind {kind!r}")
    heading = form.baseline_title if kind == "baseline" else form.follow_up_title
    items = tuple(i for i in framework.participant_items if kind in i.forms)
    return FormLayout(kind, form.title, heading, form, items)


def normalise_code(text: str) -> str | None:
    """A self-made code as typed ('ma 07-le', 'Má07le') in one spelling ('MA07LE'); '' -> None."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().upper()
    code = _NOT_CODE.sub("", folded)
    return code or None


def pairing_key(code: str, scope: str, secret: str = "") -> str:
    """The stored stand-in for a code: keyed per grantee, so one code means nothing elsewhere."""
    key = f"{secret}\x00{scope}".encode()
    return hmac.new(key, code.encode(), hashlib.sha256).hexdigest()


def read_submission(
    layout: FormLayout, fields: Mapping[str, str]
) -> Submission | SubmissionProblems:
    """Check a filled-in form (field name to text, as from a web form or the keying screen).

    Every question may be left blank; an answer that is not one of the printed ones, or a code
    that cannot be a code, is a problem to put right, never silently dropped.
    """
    problems: dict[str, str] = {}
    answers: dict[str, str] = {}
    for item in layout.items:
        raw = fields.get(item.id, "").strip()
        if not raw:
            continue
        value = _item_value(item, raw)
        if value is None:
            problems[item.id] = _item_problem(item)
        else:
            answers[item.id] = value
    typed_age = fields.get("age_band", "").strip()
    age = _option_value(layout.form.age_bands, typed_age) if typed_age else None
    if typed_age and age is None:
        problems["age_band"] = "Choose one of the age groups, or leave it blank."
    code = normalise_code(fields.get("code", ""))
    if code is not None and not CODE_MIN <= len(code) <= CODE_MAX:
        problems["code"] = (
            f"A code has {CODE_MIN} to {CODE_MAX} letters and numbers, like MA07LE. "
            "Leave it blank if you prefer."
        )
    unknown = sorted(set(fields) - {i.id for i in layout.items} - {"age_band", "code"})
    if unknown:
        problems["form"] = "This form has no question " + ", ".join(unknown) + "."
    if problems:
        return SubmissionProblems(problems)
    if not answers and age is None:
        return SubmissionProblems({"form": "The form is empty: answer at least one question."})
    return Submission(layout.kind, answers, age, code)


def _item_value(item: ParticipantItem, raw: str) -> str | None:
    if item.kind == "score":
        return str(int(raw)) if raw.isdigit() and item.rank(str(int(raw))) is not None else None
    return _option_value(item.options, raw)


def _option_value(options: tuple[ItemOption, ...], raw: str) -> str | None:
    """An option typed as its value, its printed label or (keyed from paper) its position."""
    for position, option in enumerate(options, start=1):
        if raw in (option.value, str(position)) or raw.casefold() == option.label.casefold():
            return option.value
    return None


def _item_problem(item: ParticipantItem) -> str:
    if item.kind == "score":
        return f"Give a whole number from {item.min} to {item.max}, or leave it blank."
    labels = ", ".join(o.label for o in item.options)
    return f"Choose one of: {labels}; or leave it blank."
