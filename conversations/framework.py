"""The measurement framework as data: pydantic models of a framework file and load-time checks."""

from __future__ import annotations

import operator
import re
import string
import tomllib
from collections.abc import Callable, Iterator, Mapping
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, ValidationError, model_validator

from conversations.errors import FrameworkError
from conversations.nations import place_of
from conversations.participant_items import ParticipantForm, ParticipantItem, participant_problems

FRAMEWORKS_DIR = Path(__file__).parent / "frameworks"
ID_PATTERN = r"^[A-Za-z][A-Za-z0-9_]{0,31}$"


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# A figure is shown only from the statistics producers' own pages (issue: primary sources).
PRIMARY_HOSTS = ("gov.uk", "ons.gov.uk", "gov.scot", "gov.wales", "nisra.gov.uk")
Coverage = Literal["England", "Scotland", "Wales", "Northern Ireland", "UK"]


class NationalBenchmark(_Model):
    """An official figure whose wording, answers and scale a question matches exactly.

    A question holds a list of them, at most one per nation (or the UK as a whole) and one per
    local authority: a grantee is only ever set against the figure for where they work.
    """

    nation: Coverage
    local_authority: str | None = Field(
        default=None, description="A figure for one council area of `nation`, if published."
    )
    value: float
    unit: Literal["percent", "mean"]
    measure: str = Field(min_length=1, description="What the figure counts, e.g. 'agree'.")
    wording: str = Field(min_length=5, description="The official question, quoted by the prompt.")
    answers: str = Field(min_length=3, description="The official answer options or scale.")
    population: str = Field(min_length=3, description="Who was asked, e.g. 'adults aged 16+'.")
    year: str = Field(min_length=4)
    source_title: str = Field(min_length=3)
    table: str = Field(min_length=3, description="The table or figure the value is read from.")
    source_url: HttpUrl
    mode: Literal["self_completion", "interviewer"]
    scale_max: float | None = None

    @model_validator(mode="after")
    def _value_in_range(self) -> NationalBenchmark:
        if self.unit == "percent" and not 0 <= self.value <= 100:
            raise ValueError(f"a percentage benchmark must be between 0 and 100, got {self.value}")
        if self.unit == "mean" and self.scale_max is None:
            raise ValueError("a mean benchmark needs scale_max (the top of its scale)")
        host = (self.source_url.host or "").removeprefix("www.")
        if not any(host == h or host.endswith("." + h) for h in PRIMARY_HOSTS):
            raise ValueError(
                f"source_url {self.source_url} is not a primary publication; cite the "
                f"producer's own page (on {', '.join(PRIMARY_HOSTS)})"
            )
        if self.local_authority is not None:
            place = place_of(self.local_authority)
            if self.nation == "UK" or place is None or place.district is None:
                raise ValueError(
                    f"local_authority {self.local_authority!r} is not a council area of "
                    f"{self.nation}; give its name as the ONS lists it, such as 'Bradford'"
                )
            if place.nation != self.nation:
                raise ValueError(f"{place.district} is in {place.nation}, not {self.nation}")
        return self

    @property
    def geography(self) -> str:
        """Where the figure is for, as a reader says it: 'England', 'Bradford'."""
        return self.local_authority or self.nation

    @property
    def place(self) -> tuple[str, str | None]:
        place = place_of(self.local_authority) if self.local_authority else None
        return self.nation, (place.district if place else None)


class Condition(_Model):
    """Ask a question only when an earlier answer meets this test."""

    question: str = Field(pattern=ID_PATTERN)
    op: Literal["eq", "ne", "gt", "ge", "lt", "le"]
    value: float | str | bool

    def holds(self, answer: object) -> bool:
        if answer is None:
            return False
        if isinstance(self.value, (bool, str)):
            equal = answer == self.value
            return equal if self.op == "eq" else (not equal if self.op == "ne" else False)
        if isinstance(answer, bool) or not isinstance(answer, (int, float)):
            return False
        return _COMPARISONS[self.op](float(answer), float(self.value))


_COMPARISONS: Mapping[str, Callable[[float, float], bool]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "gt": operator.gt,
    "ge": operator.ge,
    "lt": operator.lt,
    "le": operator.le,
}


class _Question(_Model):
    id: str = Field(pattern=ID_PATTERN)
    version: int = Field(default=1, ge=1)
    section: str
    prompt: str = Field(min_length=3)
    short: str = Field(min_length=2, description="A few words naming the answer in reviews.")
    help: str = ""
    why: str = Field(default="", description="Why it is asked, shown before a check-in starts.")
    required: bool = True
    ask_if: Condition | None = None
    official_wording: bool = False
    national: tuple[NationalBenchmark, ...] = ()
    headline: bool = False
    # which way is better for an outcome (loneliness: lower); None when neither is
    better: Literal["higher", "lower"] | None = None

    @model_validator(mode="before")
    @classmethod
    def _drop_legacy_benchmark(cls, data: object) -> object:
        # Programmes keep the framework text they were loaded with (design notes). Texts from
        # before figures named their nation, table and survey mode carry one `benchmark` that
        # cannot be shown like for like, so it is dropped; `programme load` stores the new form.
        if isinstance(data, dict) and "benchmark" in data:
            data = {k: v for k, v in data.items() if k != "benchmark"}
        return data

    @property
    def numeric(self) -> bool:
        return False


class CountQuestion(_Question):
    kind: Literal["count"]
    unit: str = Field(default="", description="Plural noun for re-prompts: 'sessions'.")
    min: int = Field(default=0, ge=0)
    max: int | None = None

    @property
    def numeric(self) -> bool:
        return True


class NumberQuestion(_Question):
    kind: Literal["number"]
    unit: str = ""
    min: float | None = None
    max: float | None = None
    decimals: int = Field(default=1, ge=0, le=6)

    @property
    def numeric(self) -> bool:
        return True


class ScaleQuestion(_Question):
    kind: Literal["scale"]
    min: int = 1
    max: int = 5
    min_label: str = ""
    max_label: str = ""

    @property
    def numeric(self) -> bool:
        return True


class Option(_Model):
    value: str = Field(pattern=r"^[a-z0-9_]+$")
    label: str = Field(min_length=1)

    @model_validator(mode="after")
    def _label_can_be_typed(self) -> Option:
        # answers are matched on a label's letters and digits: without any, the option could
        # be chosen by its number only, and the review's answer would not read back
        if not any(c.isalnum() for c in self.label):
            raise ValueError(
                f"option {self.value!r} has the label {self.label!r}, with no letters or digits; "
                "give it a label grantees can type, such as 'None of these'"
            )
        return self


class ChoiceQuestion(_Question):
    kind: Literal["choice"]
    options: tuple[Option, ...] = Field(min_length=2)


class YesNoQuestion(_Question):
    kind: Literal["yes_no"]


class ProportionQuestion(_Question):
    """'x of n': how many of the respondents gave the counted answer."""

    kind: Literal["proportion"]
    numerator: str = Field(min_length=2, description="Who is counted, e.g. 'agree'.")
    denominator: str = Field(default="respondents", min_length=2)
    max_n: int | None = Field(default=None, ge=1)

    @property
    def numeric(self) -> bool:
        return True


class TextQuestion(_Question):
    kind: Literal["text"]
    max_length: int = Field(default=4000, ge=1)
    flags_incident: bool = Field(
        default=False, description="A non-empty answer is a tension or incident to highlight."
    )


Question = Annotated[
    CountQuestion
    | NumberQuestion
    | ScaleQuestion
    | ChoiceQuestion
    | YesNoQuestion
    | ProportionQuestion
    | TextQuestion,
    Field(discriminator="kind"),
]
NUMERIC_KINDS = ("count", "number", "scale", "proportion")
_KIND_TAGS = (*NUMERIC_KINDS, "choice", "yes_no", "text")


class Section(_Model):
    id: str = Field(pattern=ID_PATTERN)
    title: str = Field(min_length=2)
    intro: str = ""


class Rule(_Model):
    """A cross-question check: the answer to `left` may not exceed the answer to `right`."""

    left: str
    op: Literal["le"] = "le"
    right: str
    message: str = Field(min_length=5, description="Shown when broken; may use {left} {right}.")


class Framework(_Model):
    id: str = Field(pattern=r"^[a-z0-9_]+$")
    version: int = Field(ge=1)
    title: str = Field(min_length=3)
    description: str = ""
    answers_used: str = Field(default="", description="How the answers are used, for grantees.")
    funder_sees: str = Field(default="", description="What the funder sees of one grantee's.")
    sections: tuple[Section, ...] = Field(min_length=1)
    questions: tuple[Question, ...] = Field(min_length=1)
    rules: tuple[Rule, ...] = ()
    participant_form: ParticipantForm | None = None
    participant_items: tuple[ParticipantItem, ...] = ()

    @model_validator(mode="after")
    def _check_graph(self) -> Framework:
        problems = list(_graph_problems(self))
        kinds = {q.id: q.kind for q in self.questions}
        problems += participant_problems(self.participant_form, self.participant_items, kinds)
        if problems:
            raise ValueError("\n".join(problems))
        return self

    @cached_property
    def by_id(self) -> Mapping[str, Question]:
        return {q.id: q for q in self.questions}

    def question(self, question_id: str) -> Question:
        try:
            return self.by_id[question_id]
        except KeyError:
            raise FrameworkError(f"{self.id} has no question {question_id!r}") from None

    @cached_property
    def conditional(self) -> tuple[Question, ...]:
        """The questions asked only when an earlier answer says so, in framework order."""
        return tuple(q for q in self.questions if q.ask_if is not None)

    @cached_property
    def _numbers(self) -> Mapping[str, int]:
        return {q.id: n for n, q in enumerate(self.questions, start=1)}

    def number_of(self, question_id: str) -> int:
        """The 1-based position of a question, as grantees see it in reviews."""
        try:
            return self._numbers[question_id]
        except KeyError:
            raise FrameworkError(f"{self.id} has no question {question_id!r}") from None

    def section(self, section_id: str) -> Section:
        return next(s for s in self.sections if s.id == section_id)

    @property
    def key(self) -> str:
        return f"{self.id}@{self.version}"


def _rule_refs(rule: Rule) -> Iterator[tuple[str, str]]:
    for side in (rule.left, rule.right):
        qid, _, part = side.partition(".")
        yield qid, part


def _graph_problems(fw: Framework) -> Iterator[str]:
    section_ids = [s.id for s in fw.sections]
    for dup in sorted({s for s in section_ids if section_ids.count(s) > 1}):
        yield f"section id {dup!r} is used more than once"
    seen: dict[str, int] = {}
    for position, q in enumerate(fw.questions):
        if q.id in seen:
            yield f"question id {q.id!r} is used more than once"
        seen.setdefault(q.id, position)
        where = f"question {q.id}"
        if q.section not in section_ids:
            yield f"{where}: section {q.section!r} is not declared in [[sections]]"
        yield from (f"{where}: {problem}" for problem in _national_problems(q))
        if isinstance(q, (CountQuestion, ScaleQuestion)) and q.max is not None and q.max < q.min:
            yield f"{where}: max ({q.max}) is below min ({q.min})"
        if isinstance(q, ScaleQuestion) and q.max - q.min > 10:
            yield f"{where}: a scale can have at most 11 points"
        if (
            isinstance(q, NumberQuestion)
            and q.min is not None
            and q.max is not None
            and q.max < q.min
        ):
            yield f"{where}: max ({q.max}) is below min ({q.min})"
        if isinstance(q, ChoiceQuestion):
            values = [o.value for o in q.options]
            for dup in sorted({v for v in values if values.count(v) > 1}):
                yield f"{where}: option value {dup!r} is used more than once"
            labels = [o.label.casefold() for o in q.options]
            for dup in sorted({v for v in labels if labels.count(v) > 1}):
                # grantees may answer by label, so two equal labels could never be told apart
                yield f"{where}: option label {dup!r} is used more than once"
        if q.ask_if is not None:
            target = q.ask_if.question
            if target not in seen and target not in {other.id for other in fw.questions}:
                yield f"{where}: ask_if refers to {target!r}, which is not a question"
            elif target not in seen or seen[target] >= position:
                yield f"{where}: ask_if refers to {target!r}, which is not an earlier question"
            else:
                unreachable = _unreachable_because(fw.questions[seen[target]], q.ask_if)
                if unreachable:
                    yield f"{where}: can never be asked, because {unreachable}"
    for rule in fw.rules:
        where = f"rule {rule.left} <= {rule.right}"
        for qid, part in _rule_refs(rule):
            if qid not in seen:
                yield f"{where}: question {qid!r} does not exist"
                continue
            q = fw.questions[seen[qid]]
            if q.kind not in NUMERIC_KINDS:
                yield f"{where}: {qid} is not numeric (it is {q.kind!r})"
            elif part and not (isinstance(q, ProportionQuestion) and part in ("x", "n")):
                yield f"{where}: {qid}.{part} is not a part of {qid}"
            elif not part and isinstance(q, ProportionQuestion):
                # an 'x of n' answer has no single number, so the engine could never test it
                yield f"{where}: {qid} is a proportion; name {qid}.x or {qid}.n"
        bad_fields = _message_fields(rule.message) - {"left", "right"}
        if bad_fields:
            # the engine formats the message with left and right only, so anything else crashes it
            yield f"{where}: the message may only use {{left}} and {{right}}, not " + ", ".join(
                "{" + f + "}" for f in sorted(bad_fields)
            )


def _message_fields(message: str) -> set[str]:
    try:
        return {field for _, field, _, _ in string.Formatter().parse(message) if field is not None}
    except ValueError:
        return {"(unbalanced braces)"}


def _national_problems(q: Question) -> Iterator[str]:
    """Why the question's national figures cannot stand beside its answers."""
    if not q.national:
        return
    if q.kind not in NUMERIC_KINDS:
        yield f"a national benchmark needs a numeric kind, not {q.kind!r}"
    if not q.official_wording:
        yield "a national benchmark is only allowed with official_wording = true"
    places = [bench.place for bench in q.national]
    for nation, district in sorted({p for p in places if places.count(p) > 1}, key=str):
        where = f"{district} ({nation})" if district else nation
        yield f"there is more than one national figure for {where}; keep the latest only"
    for bench in q.national:
        if _quoted(bench.wording) not in _quoted(q.prompt):
            yield (
                f"the {bench.geography} figure is for the wording {bench.wording!r}, which the "
                "prompt does not quote; a figure only applies to its own wording"
            )
        mismatch = _benchmark_problem(q, bench) if q.numeric else None
        if mismatch:
            yield f"the {bench.geography} figure: {mismatch}"


def _quoted(text: str) -> str:
    return " ".join(text.replace("\u2019", "'").split())


def _benchmark_problem(q: _Question, bench: NationalBenchmark) -> str | None:
    """Why a national figure cannot be compared with this question's answers, or None."""
    if bench.unit == "percent" and not isinstance(q, ProportionQuestion):
        return "a percentage benchmark needs an 'x of n' (proportion) question"
    if bench.unit == "mean":
        if not isinstance(q, (NumberQuestion, ScaleQuestion)):
            return "a mean benchmark needs a number or scale question"
        if q.max is not None and bench.scale_max is not None and q.max != bench.scale_max:
            return f"the benchmark's scale ends at {bench.scale_max:g}, the question's at {q.max:g}"
    return None


def _unreachable_because(target: _Question, cond: Condition) -> str | None:
    """Why a condition on `target` can never hold, or None if it can."""
    value = cond.value
    if isinstance(target, ChoiceQuestion):
        options = [o.value for o in target.options]
        if cond.op == "eq" and value not in options:
            return f"{target.id} has no option {value!r} (options: {', '.join(options)})"
        if cond.op not in ("eq", "ne"):
            return f"{target.id} is a choice; only eq and ne apply"
    elif isinstance(target, YesNoQuestion):
        if not isinstance(value, bool):
            return f"{target.id} is yes/no, so the value must be true or false"
        if cond.op not in ("eq", "ne"):
            return f"{target.id} is yes/no; only eq and ne apply"
    elif target.numeric:
        if isinstance(value, (bool, str)):
            return f"{target.id} is numeric, so the value must be a number"
        if isinstance(target, ProportionQuestion):
            return f"{target.id} is a proportion; conditions on proportions are not supported"
    else:
        return f"{target.id} is free text; conditions on text are not supported"
    return None


def load_framework(path: Path) -> Framework:
    """Read and validate a framework file; every problem names the file and the question."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FrameworkError(f"{path}: no such framework file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise FrameworkError(f"{path}: cannot be read: {exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise FrameworkError(f"{path}: not valid TOML: {exc}{_near_question(text, exc)}") from None
    legacy = [
        str(q.get("id", "?"))
        for q in data.get("questions", [])
        if isinstance(q, dict) and "benchmark" in q
    ]
    if legacy:
        raise FrameworkError(
            f"{path}: question {', '.join(legacy)}: `benchmark = {{...}}` is the old form of a "
            "national figure and is no longer read; give each figure as a [[questions.national]] "
            "table naming its nation, wording, answers, population, table and mode "
            "(docs/framework.md)"
        )
    try:
        return Framework.model_validate(data)
    except ValidationError as exc:
        raise FrameworkError(f"{path}: " + _describe(exc, data)) from None


def _near_question(text: str, exc: tomllib.TOMLDecodeError) -> str:
    """' (in question O3)' when the syntax error follows a question's id line, else ''."""
    found = re.search(r"at line (\d+)", str(exc))
    if found is None:
        return ""
    qid = None
    for line in text.splitlines()[: int(found.group(1))]:
        if line.strip().startswith("[["):
            qid = None
        match = re.match(r"\s*id\s*=\s*[\"']([^\"']+)[\"']", line)
        if match:
            qid = match.group(1)
    return f" (in question {qid})" if qid else ""


def _describe(exc: ValidationError, data: object) -> str:
    lines = []
    for err in exc.errors():
        where = _locate(list(err["loc"]), data)
        message = err["msg"].removeprefix("Value error, ")
        # the graph check reports all its problems in one error, a line each
        for problem in message.splitlines():
            lines.append(f"{where}: {problem}" if where else problem)
    return "\n  ".join(["invalid framework", *lines])


def _locate(loc: list[int | str], data: object) -> str:
    """Turn a pydantic location into words: 'question O3, field max'."""
    if not loc:
        return ""
    items = data.get(str(loc[0])) if isinstance(data, dict) else None
    if len(loc) >= 2 and isinstance(loc[1], int) and isinstance(items, list):
        item = items[loc[1]] if loc[1] < len(items) else None
        raw_id = item.get("id") if isinstance(item, dict) else None
        name = str(raw_id) if raw_id is not None else f"#{loc[1] + 1}"
        if loc[0] == "rules" and isinstance(item, dict):
            name = f"{item.get('left', '?')} <= {item.get('right', '?')}"
        noun = {
            "questions": "question",
            "sections": "section",
            "rules": "rule",
            "participant_items": "participant item",
        }.get(str(loc[0]), str(loc[0]))
        rest = [str(p) for p in loc[2:] if p not in _KIND_TAGS]
        return f"{noun} {name}" + (f", field {'.'.join(rest)}" if rest else "")
    return "framework field " + ".".join(str(p) for p in loc)


def builtin_framework_path(framework_id: str) -> Path:
    return FRAMEWORKS_DIR / f"{framework_id}.toml"


def load_builtin(framework_id: str) -> Framework:
    return load_framework(builtin_framework_path(framework_id))
