"""The participant form as framework data: its items, what each counts, and what it fills."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

FormKind = Literal["baseline", "follow_up"]
FORM_KINDS: tuple[FormKind, ...] = ("baseline", "follow_up")


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ItemOption(_Model):
    value: str = Field(pattern=r"^[a-z0-9_]+$")
    label: str = Field(min_length=1)


class ParticipantItem(_Model):
    """One question on the participant form, in the participant's own words."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")
    wording: str = Field(min_length=5, description="Exactly as printed and shown online.")
    kind: Literal["choice", "score"]
    options: tuple[ItemOption, ...] = ()
    counts: tuple[str, ...] = Field(
        default=(), description="For a choice: the option values that make up the 'x' of 'x of n'."
    )
    min: int = 0
    max: int = 10
    min_label: str = ""
    max_label: str = ""
    fills: str = Field(description="The grantee's outcome question this item's figure answers.")
    fills_count: str | None = Field(
        default=None, description="For a score: the count question holding its respondents."
    )
    counted_label: str = Field(
        default="", description="What the counted answer means, for 'x of n ...' sentences."
    )
    lower_is_better: bool = False
    official_wording: bool = False
    official_scale: bool = Field(
        default=False, description="The answer options are the official ones, confirmed."
    )
    forms: tuple[FormKind, ...] = FORM_KINDS

    @model_validator(mode="after")
    def _shape(self) -> ParticipantItem:
        if self.kind == "choice":
            values = [o.value for o in self.options]
            if len(values) < 2:
                raise ValueError(f"item {self.id}: a choice needs at least two options")
            if len(set(values)) != len(values):
                raise ValueError(f"item {self.id}: option values must differ")
            unknown = [c for c in self.counts if c not in values]
            if not self.counts or unknown:
                raise ValueError(
                    f"item {self.id}: counts must name some of its options ({', '.join(values)})"
                )
        elif self.max <= self.min or self.max - self.min > 10:
            raise ValueError(f"item {self.id}: a score runs over 2 to 11 points")
        if not self.forms:
            raise ValueError(f"item {self.id}: forms must name baseline, follow_up or both")
        return self

    def rank(self, value: str) -> int | None:
        """The position of an answer on its scale (higher means more), or None if unknown."""
        if self.kind == "score":
            try:
                score = int(value)
            except ValueError:
                return None
            return score if self.min <= score <= self.max else None
        for position, option in enumerate(self.options):
            if option.value == value:
                return position
        return None


class ParticipantForm(_Model):
    """What the form says around its items, and the grantee questions its form counts fill."""

    title: str = Field(min_length=3)
    baseline_title: str = Field(min_length=3)
    follow_up_title: str = Field(min_length=3)
    statement: str = Field(min_length=20, description="What is collected and why, plainly.")
    baseline_count: str = Field(description="The grantee question counting baseline forms.")
    follow_up_count: str = Field(description="The grantee question counting follow-up forms.")
    unique_participants: str | None = Field(
        default=None, description="The grantee question counting participants (cost per head)."
    )
    age_question: str = Field(min_length=5)
    age_bands: tuple[ItemOption, ...] = Field(min_length=2)
    adult_bands: tuple[str, ...] = Field(
        min_length=1, description="The age bands national figures cover."
    )
    code_question: str = Field(min_length=5)
    code_recipe: str = Field(min_length=10, description="How to make the pairing code.")
    code_help: str = ""


def participant_problems(
    form: ParticipantForm | None,
    items: tuple[ParticipantItem, ...],
    kinds: Mapping[str, str],
) -> Iterator[str]:
    """What is wrong between the participant items and the grantee questions (`kinds`: id to
    kind), one sentence each."""
    if items and form is None:
        yield "participant_items need a [participant_form] table"
    ids = [i.id for i in items]
    for dup in sorted({i for i in ids if ids.count(i) > 1}):
        yield f"participant item id {dup!r} is used more than once"
    filled = [i.fills for i in items]
    for dup in sorted({f for f in filled if filled.count(f) > 1}):
        yield f"question {dup} is filled by more than one participant item"
    for item in items:
        where = f"participant item {item.id}"
        kind = kinds.get(item.fills)
        if kind is None:
            yield f"{where}: fills {item.fills!r}, which is not a question"
        elif item.kind == "choice" and kind != "proportion":
            yield f"{where}: a choice fills an 'x of n' question, and {item.fills} is {kind!r}"
        elif item.kind == "score" and kind not in ("number", "scale"):
            yield f"{where}: a score fills a number question, and {item.fills} is {kind!r}"
        if item.kind == "score":
            if item.fills_count is None:
                yield f"{where}: a score needs fills_count, the question counting respondents"
            elif kinds.get(item.fills_count) != "count":
                yield f"{where}: fills_count {item.fills_count!r} is not a count question"
        elif item.fills_count is not None:
            yield f"{where}: only a score has fills_count"
    if form is not None:
        for name in ("baseline_count", "follow_up_count", "unique_participants"):
            qid = getattr(form, name)
            if qid is not None and kinds.get(qid) != "count":
                yield f"participant_form {name}: {qid!r} is not a count question"
        bands = {b.value for b in form.age_bands}
        for band in form.adult_bands:
            if band not in bands:
                yield f"participant_form adult_bands: {band!r} is not an age band"
