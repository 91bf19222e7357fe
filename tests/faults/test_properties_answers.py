"""Properties of answer parsing and the step engine: any text, any question, never a crash."""

from __future__ import annotations

import string
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter

from bot.channels.slack import blocks as slack_blocks
from bot.conversation.rendering import ConversationView, Renderer
from conversations import engine
from conversations.answers import (
    Parsed,
    Rejection,
    answer_hint,
    example_answer,
    format_answer,
    parse_answer,
)
from conversations.framework import (
    ChoiceQuestion,
    CountQuestion,
    Framework,
    NumberQuestion,
    ProportionQuestion,
    Question,
    ScaleQuestion,
    TextQuestion,
    load_builtin,
    load_framework,
)
from conversations.progress import applicable, first_open
from conversations.state import (
    EngineOptions,
    Invalid,
    Reply,
    SessionState,
    Status,
    Transition,
)
from tests.faults.tally import Tally, pure
from tests.support.answer_checks import assert_valid_value

MINI = Path(__file__).resolve().parents[1] / "data" / "mini_framework.toml"
FRAMEWORKS = {
    "social_cohesion_v1": load_builtin("social_cohesion_v1"),
    "mini": load_framework(MINI),
}
QUESTION = TypeAdapter(Question)
RENDERER = Renderer()

# ---- random questions of every kind ------------------------------------------------------------

_LABEL = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["Cc"]), min_size=1, max_size=24
).filter(lambda s: any(c.isalnum() for c in s))  # a framework refuses a label without any
# scale ends are named in words ("Not at all", "Completely")
_WORDS = st.text(alphabet=string.ascii_letters + " '", min_size=1, max_size=20).filter(
    lambda s: any(c.isalpha() for c in s)
)
# labels people really write for choice options: numbers and ranges as well as words
_LABELS = st.one_of(
    _LABEL,
    st.sampled_from(
        ["0", "1", "2", "3+", "1-2", "10\u201324%", "Don't know", "None", "Yes", "N/A"]
    ),
)
# bounds as funders write them: up to a million, to the cent (not 9e-166)
_BOUND = st.integers(-(10**8), 10**8).map(lambda cents: cents / 100)


@st.composite
def questions(draw: st.DrawFn) -> Question:
    """A question of any kind, with any bounds the framework schema accepts."""
    kind = draw(
        st.sampled_from(["count", "number", "scale", "choice", "yes_no", "proportion", "text"])
    )
    base: dict[str, Any] = {
        "id": "Q",
        "section": "s",
        "kind": kind,
        "prompt": "Tell me?",
        "short": "Test",
        "required": draw(st.booleans()),
    }
    if kind == "count":
        low = draw(st.integers(0, 1000))
        base |= {"min": low, "unit": draw(st.sampled_from(["", "sessions", "people", "class"]))}
        base["max"] = draw(st.one_of(st.none(), st.integers(low, low + 10**6)))
    elif kind == "number":
        bottom, top = draw(st.one_of(st.none(), _BOUND)), draw(st.one_of(st.none(), _BOUND))
        if bottom is not None and top is not None and top < bottom:
            bottom, top = top, bottom
        base |= {"min": bottom, "max": top, "decimals": draw(st.integers(0, 6))}
    elif kind == "scale":
        low = draw(st.integers(-5, 5))
        base |= {"min": low, "max": low + draw(st.integers(1, 10))}
        base |= {"min_label": draw(st.one_of(st.just(""), _WORDS))}
        base |= {"max_label": draw(st.one_of(st.just(""), _WORDS))}
    elif kind == "choice":
        labels = draw(st.lists(_LABELS, min_size=2, max_size=6, unique_by=lambda s: s.casefold()))
        base["options"] = [{"value": f"v{i}", "label": label} for i, label in enumerate(labels)]
    elif kind == "proportion":
        base |= {"numerator": "agree", "max_n": draw(st.one_of(st.none(), st.integers(1, 10**5)))}
    elif kind == "text":
        base["max_length"] = draw(st.integers(1, 5000))
    return QUESTION.validate_python(base)


# ---- random replies -----------------------------------------------------------------------------

_PIECES = [
    *("12", "1,200", "7,5", "0", ".5", "41", "1 000", "9" * 30, "-", "\u2212", "+", "~", "3.5"),
    *(" of ", " out of ", "/", " in ", "about ", "%", "(78%)", "(", ")", ",", ":", "skip"),
    *("twelve", "none", "thousand", "ish", "k", "e5", "yes", "no", "Don't", "10\u201324%"),
    *(" ", ".", "\n", "\r\n", "\t", "\u00a0", "\uff11", "\u0663", "\u200f", "\u202e", "\u0301"),
    *("\x00", "\x1b[31m", "\ufeff", "\ud7ff", "\U0001f600", "<script>", "&amp;", "<!channel>"),
]
_ANY_TEXT = st.text(alphabet=st.characters(codec="utf-8"))  # every character but surrogates


def replies_for(q: Question | None) -> st.SearchStrategy[str]:
    """Random text, answer-shaped text, text near this question's own words, and huge text."""
    near: list[str] = []
    if q is not None:
        near = [example_answer(q), format_answer_safe(q), answer_hint(q)]
        if isinstance(q, ChoiceQuestion):
            near += [o.label for o in q.options] + [str(i) for i in range(len(q.options) + 2)]
    shaped = st.lists(st.sampled_from(_PIECES + near), max_size=8).map("".join)
    huge = st.tuples(st.sampled_from([*_PIECES, "a", "é"]), st.integers(150, 6000)).map(
        lambda p: p[0] * p[1]
    )
    return st.one_of(_ANY_TEXT, shaped, huge, st.sampled_from(near or ["12"]))


def _numbered_labels(q: Question) -> bool:
    """Options labelled "1", "2": a digit then means a position, which is by design."""
    return isinstance(q, ChoiceQuestion) and any(o.label.strip().isdigit() for o in q.options)


def format_answer_safe(q: Question) -> str:
    parsed = parse_answer(q, example_answer(q))
    return format_answer(q, parsed.value) if isinstance(parsed, Parsed) else ""


# ---- what a valid stored value is, written independently of the parser -------------------------


def assert_helpful(q: Question, rejection: Rejection) -> None:
    """A re-prompt is a sentence with an example that the question itself accepts."""
    assert rejection.reason.strip().endswith("."), rejection.reason
    accepted = parse_answer(q, rejection.example)
    assert isinstance(accepted, Parsed), (rejection.example, accepted)
    if isinstance(q, TextQuestion):
        # a text question is only refused for being empty or too long, and says which
        assert "characters" in rejection.reason, rejection.reason
    else:
        assert rejection.example in rejection.reason, rejection.reason


@given(q=questions(), data=st.data())
@pure(400)
def test_any_text_for_any_question_gives_a_valid_value_or_a_helpful_reprompt(
    q: Question, data: st.DataObject, tally: Tally
) -> None:
    text = data.draw(replies_for(q), label="text")
    with tally.case("properties answers"):
        result = parse_answer(q, text)
        if isinstance(result, Rejection):
            assert_helpful(q, result)
        else:
            assert_valid_value(q, result.value)
            # what the review shows is accepted again as the same answer (numbers are shown
            # rounded to their decimals, and text flattened and shortened)
            if not isinstance(q, (NumberQuestion, TextQuestion)) and not _numbered_labels(q):
                shown = format_answer(q, result.value)
                assert parse_answer(q, shown) == result, (shown, result)
            # the engine stores text.strip() as the raw text; it must read the same
            assert parse_answer(q, text.strip()) == result


@given(q=questions())
@pure(300)
def test_every_question_accepts_its_own_example(q: Question, tally: Tally) -> None:
    with tally.case("properties answers"):
        example = example_answer(q)
        parsed = parse_answer(q, example)
        assert isinstance(parsed, Parsed), (q, example, parsed)
        assert_valid_value(q, parsed.value)
        if isinstance(q, (CountQuestion, NumberQuestion, ScaleQuestion, ProportionQuestion)):
            assert example in answer_hint(q), answer_hint(q)


# ---- the engine -------------------------------------------------------------------------------

_COMMANDS = [
    *("help", "?", "skip", "back", "later", "pause", "stop", "start", "resume", "review"),
    *("submit", "yes", "done", "edit 1", "edit 3", "change 99", "skip 4", "skip it", "edit"),
    *("stop the rumours", "yes please", "back back", "EDIT 2", "  Later.  "),
]


@st.composite
def replies(draw: st.DrawFn, fw: Framework, state: SessionState) -> Reply:
    """What a channel could hand the engine: typed text, a numbered email answer or a button."""
    current = fw.by_id.get(state.current or "")
    target = draw(st.one_of(st.none(), st.sampled_from([q.id for q in fw.questions] + ["NOPE"])))
    about = fw.by_id.get(target or "") or current
    text = draw(st.one_of(st.sampled_from(_COMMANDS), replies_for(about)))
    shape = draw(st.sampled_from(["typed", "numbered", "button"]))
    if shape == "typed" or target is None:
        return Reply(text)
    return Reply(text, question_id=target, strict=shape == "button")


def assert_consistent(fw: Framework, before: SessionState, step: Transition, reply: Reply) -> None:
    state = step.state
    assert state.framework == fw.key
    assert set(state.answers) <= set(fw.by_id)
    assert not set(state.answers) & state.skipped
    for qid, value in state.answers.items():
        q = fw.question(qid)
        assert_valid_value(q, value)
        assert applicable(q, state.answers), f"{qid} is answered but does not apply"
    for qid in state.skipped:
        assert not fw.question(qid).required, f"required {qid} was skipped"
    for rule in fw.rules:
        left, right = _side(rule.left, state.answers), _side(rule.right, state.answers)
        assert left is None or right is None or left <= right, f"rule {rule} broken"
    if state.status is Status.IN_PROGRESS:
        assert state.current is not None and state.current in fw.by_id
        assert applicable(fw.question(state.current), state.answers)
    if state.status is Status.REVIEWING:
        assert state.current is None and first_open(fw, state) is None
    if state.status is Status.COMPLETED:
        assert first_open(fw, state) is None
    if state.status in (Status.PAUSED, Status.STOPPED):
        assert state.resume_status not in (Status.PAUSED, Status.STOPPED)
    # nothing changes without an event saying so; every event is what its text reads as
    changed = {
        qid
        for qid in set(before.answers) | set(state.answers)
        if before.answers.get(qid) != state.answers.get(qid)
    }
    assert changed <= {e.question_id for e in step.answers}, (changed, step.answers)
    for event in step.answers:
        q = fw.question(event.question_id)
        if event.skipped:
            assert event.question_id not in state.answers
            continue
        assert event.value is not None
        assert state.answers.get(event.question_id) == event.value
        reread = parse_answer(q, event.raw_text)
        assert isinstance(reread, Parsed) and reread.value == event.value, (event, reread)
    for prompt in step.prompts:
        if isinstance(prompt, Invalid):
            q = fw.question(prompt.question_id)
            parsed = parse_answer(q, reply.text)
            if isinstance(parsed, Rejection):
                assert prompt.reason == parsed.reason
                assert_helpful(q, parsed)
            else:  # a parsed answer is refused only by a cross-question rule, which says why
                assert "edit " in prompt.reason, prompt.reason


def _side(side: str, answers: Any) -> float | None:
    qid, _, part = side.partition(".")
    value = answers.get(qid)
    if isinstance(value, dict):
        return float(value[part])
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


@pytest.mark.parametrize("name", sorted(FRAMEWORKS))
@given(data=st.data(), round_open=st.booleans(), steps=st.integers(1, 20))
@pure(120)
def test_any_conversation_keeps_the_engine_state_consistent(
    name: str, data: st.DataObject, round_open: bool, steps: int, tally: Tally
) -> None:
    fw = FRAMEWORKS[name]
    options = EngineOptions(round_open=round_open)
    view = ConversationView(fw, "Ada <b>&</b>", "Fund", "2026 Q4", due="Monday 1 June 2026")
    state = engine.start(fw, engine.new_state(fw), options).state
    for _ in range(steps):
        reply = data.draw(replies(fw, state), label="reply")
        with tally.case("properties engine"):
            step = engine.advance(fw, state, reply, options)
            assert_consistent(fw, state, step, reply)
            # what the grantee is told can always be rendered, on every channel's path
            RENDERER.text(step.prompts, view)
            payload = slack_blocks.render(step.prompts, view, RENDERER)
            assert len(payload["blocks"]) <= 50
            assert SessionState.from_json(step.state.to_json()) == step.state
        state = step.state
