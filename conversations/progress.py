"""Which questions apply, what is still open, and whether answers keep the framework's rules."""

from __future__ import annotations

from collections.abc import Mapping

from conversations.answers import AnswerValue
from conversations.framework import Framework, Question, Rule
from conversations.state import AnswerEvent, SessionState

WITHDRAWN = "(no longer applies)"


def applicable(q: Question, answers: Mapping[str, AnswerValue]) -> bool:
    return q.ask_if is None or q.ask_if.holds(answers.get(q.ask_if.question))


def applicable_questions(fw: Framework, answers: Mapping[str, AnswerValue]) -> list[Question]:
    # only the conditional few are tested: this runs several times for every answer
    off = {q.id for q in fw.conditional if not applicable(q, answers)}
    if not off:
        return list(fw.questions)
    return [q for q in fw.questions if q.id not in off]


def first_open(fw: Framework, state: SessionState) -> Question | None:
    for q in applicable_questions(fw, state.answers):
        if q.id not in state.answers and q.id not in state.skipped:
            return q
    return None


def progress(fw: Framework, answers: Mapping[str, AnswerValue]) -> tuple[int, int]:
    """(answered, applicable) question counts."""
    relevant = applicable_questions(fw, answers)
    return len([q for q in relevant if q.id in answers]), len(relevant)


def withdraw_inapplicable(
    fw: Framework, state: SessionState
) -> tuple[SessionState, tuple[AnswerEvent, ...]]:
    """Drop answers to questions that an earlier change made irrelevant, and say so."""
    events: list[AnswerEvent] = []
    answers = dict(state.answers)
    skipped = set(state.skipped)
    # only a conditional question can stop applying; in framework order, since a withdrawal
    # can switch off later questions too
    for q in fw.conditional:
        if (q.id in answers or q.id in skipped) and not applicable(q, answers):
            if q.id in answers:
                events.append(AnswerEvent(q.id, q.version, None, WITHDRAWN, skipped=True))
            answers.pop(q.id, None)
            skipped.discard(q.id)
    return state.with_(answers=answers, skipped=frozenset(skipped)), tuple(events)


def resolve_question(fw: Framework, ref: str) -> Question | None:
    ref = ref.strip().rstrip(".:)").lstrip("#").strip()
    if ref.lower().startswith("q") and ref[1:].isdigit():
        ref = ref[1:]
    if ref.isdigit():
        index = int(ref) - 1
        return fw.questions[index] if 0 <= index < len(fw.questions) else None
    return next((q for q in fw.questions if q.id.lower() == ref.lower()), None)


def _side_value(side: str, answers: Mapping[str, AnswerValue]) -> float | None:
    ref, _, part = side.partition(".")
    value = answers.get(ref)
    if isinstance(value, dict):
        return float(value[part]) if part in value else None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def rule_violation(fw: Framework, answers: Mapping[str, AnswerValue], q: Question) -> str | None:
    """The first declared rule that answering `q` would break, in words."""
    for rule in fw.rules:
        if q.id not in (rule.left.partition(".")[0], rule.right.partition(".")[0]):
            continue
        left = _side_value(rule.left, answers)
        right = _side_value(rule.right, answers)
        if left is not None and right is not None and left > right:
            return _rule_message(rule, left, right, q, fw)
    return None


def _rule_message(rule: Rule, left: float, right: float, q: Question, fw: Framework) -> str:
    other = next(
        (
            side.partition(".")[0]
            for side in (rule.left, rule.right)
            if side.partition(".")[0] != q.id
        ),
        q.id,
    )
    q_other = fw.number_of(other)

    def show(number: float) -> str:
        return f"{number:,.0f}" if number == int(number) else f"{number:,}"

    message = rule.message.format(left=show(left), right=show(right))
    return f"{message} Please check the number, or say 'edit {q_other}' to change the other answer."
