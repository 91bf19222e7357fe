"""What a valid stored answer is for each kind of question, written apart from the parser."""

from __future__ import annotations

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


def assert_valid_value(q: Question, value: AnswerValue) -> None:
    """Fail unless `value` is one that `q` accepts, of the type stored for its kind."""
    if isinstance(q, (CountQuestion, ScaleQuestion)):
        assert isinstance(value, int) and not isinstance(value, bool), value
        assert value >= q.min and (q.max is None or value <= q.max), value
    elif isinstance(q, NumberQuestion):
        assert isinstance(value, float), value
        assert (q.min is None or value >= q.min) and (q.max is None or value <= q.max), value
    elif isinstance(q, ChoiceQuestion):
        assert value in [o.value for o in q.options], value
    elif isinstance(q, YesNoQuestion):
        assert isinstance(value, bool), value
    elif isinstance(q, ProportionQuestion):
        assert isinstance(value, dict) and set(value) == {"x", "n"}, value
        assert 0 <= value["x"] <= value["n"] and value["n"] >= 1, value
        assert q.max_n is None or value["n"] <= q.max_n, value
    else:
        assert isinstance(q, TextQuestion)
        assert isinstance(value, str) and value == value.strip() and value, value
        assert len(value) <= q.max_length
