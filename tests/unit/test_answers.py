"""Reading replies into typed answers, re-prompt wording, and showing answers back."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conversations.answers import (
    AnswerValue,
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
    NumberQuestion,
    ProportionQuestion,
    Question,
    ScaleQuestion,
    TextQuestion,
    YesNoQuestion,
    load_builtin,
)
from tests.support.answer_checks import assert_valid_value

FW = load_builtin("social_cohesion_v1")


def _base(kind: str, **extra: Any) -> dict[str, Any]:
    return {"id": "Q", "section": "s", "kind": kind, "prompt": "Tell me?", "short": "Test", **extra}


# Questions beyond the default framework, to cover every kind and option of the schema.
EXTRA: dict[str, Question] = {
    "scale5": ScaleQuestion(**_base("scale", min_label="Not at all", max_label="Completely")),
    "scale0_10": ScaleQuestion(**_base("scale", min=0, max=10)),
    "scale_neg": ScaleQuestion(**_base("scale", min=-2, max=2)),
    "num_free": NumberQuestion(**_base("number", decimals=2)),
    "num_whole": NumberQuestion(**_base("number", decimals=0, unit="km", min=1, max=500)),
    "count_min1": CountQuestion(**_base("count", min=1, max=5)),
    "count_plain": CountQuestion(**_base("count")),
    "prop_max10": ProportionQuestion(**_base("proportion", numerator="agree", max_n=10)),
    "prop_required": ProportionQuestion(**_base("proportion", numerator="agree")),
    "text10": TextQuestion(**_base("text", max_length=10, required=False)),
    "agree": ChoiceQuestion(
        **_base(
            "choice",
            options=[
                {"value": "definitely_agree", "label": "Definitely agree"},
                {"value": "tend_agree", "label": "Tend to agree"},
                {"value": "tend_disagree", "label": "Tend to disagree"},
                {"value": "definitely_disagree", "label": "Definitely disagree"},
            ],
        )
    ),
    "yes_no": YesNoQuestion(**_base("yes_no")),
}
QUESTIONS: dict[str, Question] = {**FW.by_id, **EXTRA}


def parse(key: str, text: str) -> Parsed | Rejection:
    return parse_answer(QUESTIONS[key], text)


# ---- accepted replies ------------------------------------------------------------------------

ACCEPTED: list[tuple[str, str, AnswerValue]] = [
    # counts
    ("O1", "12", 12),
    ("O1", "12 sessions", 12),
    ("O1", " 12. ", 12),
    ("O1", "1,200", 1200),
    ("O2", "1 200", 1200),
    ("O2", "1\u00a0200 attendances", 1200),
    ("count_plain", "12 345 678", 12345678),
    ("O1", "about 40", 40),
    ("O1", "around 40", 40),
    ("O1", "~40", 40),
    ("O1", "approx 40", 40),
    ("O1", "approx. 40", 40),
    ("O1", "roughly 40 or so", 40),
    ("O1", "40ish", 40),
    ("O1", "twelve", 12),
    ("O1", "Twelve sessions", 12),
    ("O1", "zero", 0),
    ("O1", "twenty", 20),
    ("O1", "about forty", 40),
    ("O1", "twenty-one", 21),
    ("O1", "twenty\u2011one sessions", 21),  # a non-breaking hyphen, as Word types it
    ("O2", "three hundred and forty", 340),
    ("O2", "Three hundred and forty people", 340),
    ("O2", "a hundred and five", 105),
    ("O2", "one thousand two hundred and fifty", 1250),
    ("O1", "none", 0),
    ("O1", "0", 0),
    ("O1", "12.0", 12),
    ("O1", "12 (approx)", 12),
    ("O1", "12 sessions, roughly", 12),
    ("O1", "\uff11\uff12", 12),  # full-width digits from a phone keyboard
    ("O1", "10,000", 10000),
    ("O5H", "1,234", 1234),
    ("count_min1", "5", 5),
    # numbers
    ("P7", "7.5", 7.5),
    ("P7", "7,5", 7.5),
    ("P7", "7.45", 7.45),
    ("P7", "about 7", 7.0),
    ("P7", "seven", 7.0),
    ("P7", "0", 0.0),
    ("P7", "10", 10.0),
    ("P7", "7.5/10", 7.5),
    ("P7", "7.5 out of 10", 7.5),
    ("P7", ".5", 0.5),
    ("num_free", "-3.25", -3.25),
    ("num_free", "1,234.5", 1234.5),
    ("num_free", "1,234", 1234.0),
    ("num_free", "1,2345", 1.2345),
    ("num_free", "-0", 0.0),
    ("num_whole", "12 km", 12.0),
    # scales
    ("scale5", "4", 4),
    ("scale5", "4 out of 5", 4),
    ("scale5", "4/5", 4),
    ("scale5", "four", 4),
    ("scale5", "completely", 5),
    ("scale5", "Not at all", 1),
    ("scale0_10", "0", 0),
    ("scale0_10", "7 out of 10", 7),
    ("scale_neg", "-2", -2),
    # choices
    ("O7", "1", "lt10"),
    ("O7", "2.", "p10_24"),
    ("O7", "(3)", "p25_49"),
    ("O7", "option 4", "p50"),
    ("O7", "Under 10%", "lt10"),
    ("O7", "under 10", "lt10"),
    ("O7", "10-24%", "p10_24"),
    ("O7", "10\u201324", "p10_24"),
    ("O7", "25 - 49 %", "p25_49"),
    ("O7", "50% or more", "p50"),
    ("O7", "p50", "p50"),
    ("O7", "LT10", "lt10"),
    ("O7", "dont_know", "dont_know"),
    ("O7", "Don't know", "dont_know"),
    ("O7", "don\u2019t know", "dont_know"),
    ("O7", "dont", "dont_know"),
    ("O7", "not sure", "dont_know"),
    ("O7", "2 10\u201324%", "p10_24"),
    ("G1", "bet", "better"),
    ("G1", "BETTER!", "better"),
    ("G1", "same", "same"),
    ("G1", "about the same", "same"),
    ("G1", "the same", "same"),
    ("G1", "wor", "worse"),
    ("G1", "4", "dont_know"),
    ("agree", "tend to agree", "tend_agree"),
    ("agree", "definitely a", "definitely_agree"),
    ("agree", "tend to d", "tend_disagree"),
    # yes / no
    *(("G3", word, True) for word in ("yes", "Y", "yeah", "Yep!", "true", "yes please")),
    *(("G3", word, False) for word in ("no", "N", "nope", "False", "nah", "no.")),
    ("G3", "No, none at all", False),
    ("G3", "yes - a row at the market", True),
    # proportions
    ("P1", "32 of 41", {"x": 32, "n": 41}),
    ("P1", "32/41", {"x": 32, "n": 41}),
    ("P1", "32 / 41", {"x": 32, "n": 41}),
    ("P1", "32 out of 41", {"x": 32, "n": 41}),
    ("P1", "32 of 41 agree", {"x": 32, "n": 41}),
    ("P1", "32 out of 41 said they agree.", {"x": 32, "n": 41}),
    ("P1", "32 in 41", {"x": 32, "n": 41}),
    ("P1", "0 of 12", {"x": 0, "n": 12}),
    ("P1", "none of 12", {"x": 0, "n": 12}),
    ("P1", "nine of twelve", {"x": 9, "n": 12}),
    ("P1", "41 of 41", {"x": 41, "n": 41}),
    ("P1", "1,200 of 1,500", {"x": 1200, "n": 1500}),
    ("P1", "32 of 41 respondents (78%)", {"x": 32, "n": 41}),
    ("prop_max10", "7 of 10", {"x": 7, "n": 10}),
    # text
    ("G2", "  A new choir started.  ", "A new choir started."),
    ("G2", "Line one\nLine two", "Line one\nLine two"),
    ("text10", "0123456789", "0123456789"),
    ("G2", "12", "12"),
]


@pytest.mark.parametrize(("key", "text", "expected"), ACCEPTED)
def test_accepted(key: str, text: str, expected: AnswerValue) -> None:
    result = parse(key, text)
    assert result == Parsed(expected)
    assert type(result.value) is type(expected)


# ---- rejected replies ------------------------------------------------------------------------

REJECTED: list[tuple[str, str, str]] = [
    # counts
    ("O1", "", "I didn't catch an answer there. Reply with a whole number, like 12."),
    ("O1", "   \n ", "I didn't catch an answer there."),
    ("O1", "lots", "I need a whole number of sessions, like 12."),
    ("O1", "7.5", "I need a whole number of sessions, like 12: please round 7.5 to the nearest"),
    ("O1", "7,5", "please round 7.5 to the nearest whole number"),
    ("O5H", "2.25 hours", "I need a whole number of hours, like 12: please round 2.25"),
    ("O1", "-3", "That can't be negative: I need a whole number of sessions, like 12."),
    ("O1", "minus 3", "can't be negative"),
    ("O1", "\u22123", "can't be negative"),
    ("O1", "20000", "That's more than the 10,000 maximum for this question"),
    ("O1", "10,001", "up to 10,000, like 12."),
    ("count_min1", "0", "That's less than the minimum of 1 for this question"),
    ("count_min1", "6", "That's more than the 5 maximum"),
    ("O1", "3 or 4", "I need just one number, not a range or a list"),
    ("O1", "12-15", "not a range or a list: a whole number of sessions, like 12."),
    ("O1", "twelve or thirteen", "not a range or a list"),
    ("O1", "40%", "rather than a percentage, like 12."),
    ("O1", "2k", "I need a whole number of sessions, like 12."),
    ("O1", "1e5", "I need a whole number of sessions, like 12."),
    ("O1", "twelve thousand", "I need a whole number of sessions"),
    ("O1", "forty or fifty", "I need just one number, not a range or a list"),
    ("O1", "twenty twelve", "I need just one number, not a range or a list"),
    ("O2", "one thousand, two hundred", "not a range or a list"),
    ("O1", "9" * 40, "That number is too large"),
    ("O1", "we ran 12", "like 12."),
    ("O1", "1 2000", "not a range or a list"),
    ("count_plain", "x", "I need a whole number, like 12."),
    ("O1", "1" * 300, "longer than I expected"),
    # numbers
    ("P7", "11", "That's more than the 10 maximum for this question: I need a number from 0 to 10"),
    ("P7", "-1", "can't be negative: I need a number from 0 to 10, like 7.5."),
    ("P7", "7/5", "This scale goes up to 10"),
    ("P7", "high", "I need a number from 0 to 10, like 7.5."),
    ("P7", "none", "I need a number from 0 to 10"),
    ("P7", "", "Or reply skip to leave it out."),
    ("num_whole", "0.5", "That's less than the minimum of 1 for this question"),
    ("num_free", "7/10", "not a range or a list"),
    # scales
    ("scale5", "6", "That's outside the scale: I need a whole number from 1 to 5, like 2."),
    ("scale5", "0", "outside the scale"),
    ("scale5", "3.5", "I need a whole number from 1 to 5, like 2, not a decimal."),
    ("scale5", "4/10", "This scale goes up to 5"),
    ("scale5", "very", "I need a whole number from 1 to 5, like 2."),
    ("scale0_10", "-1", "outside the scale"),
    # choices
    ("O7", "6", "Please choose a number from 1 to 5."),
    ("O7", "0", "Please choose a number from 1 to 5."),
    ("O7", "p", 'That could be "10\u201324%" or "25\u201349%" or "50% or more"'),
    ("agree", "definitely", 'That could be "Definitely agree" or "Definitely disagree"'),
    ("agree", "tend", "Reply with the number or a bit more of the label, like Definitely agree."),
    ("O7", "hmm", "I didn't recognise that option. Reply with a number or a label: 1 Under 10%,"),
    ("G1", "improving", "1 Better, 2 About the same, 3 Worse, 4 Don't know."),
    ("O7", "!!!", "I didn't recognise that option."),
    # yes / no
    ("G3", "none", "I need a yes or a no here, like yes."),
    ("G3", "no idea", "I need a yes or a no here"),
    ("G3", "maybe", "like yes."),
    ("G3", "", "Reply yes or no."),
    # proportions
    ("P1", "32, 41", "I couldn't tell which number is which. Reply as x of n, like 32 of 41."),
    ("P1", "32 41", "I couldn't tell which number is which."),
    ("P1", "32 and 41", "which number is which"),
    ("P1", "32", "I need two numbers: how many agree out of how many respondents."),
    ("P1", "32 of 30", "32 can't be more than the 30 respondents. Reply as x of n, like 32 of 41."),
    ("P1", "2 of 1", "2 can't be more than the 1 respondent."),
    ("P1", "0 of 0", "must be at least 1. Reply as x of n, like 32 of 41. If nobody answered"),
    ("prop_required", "0 of 0", "must be at least 1. Reply as x of n, like 32 of 41."),
    ("P1", "78%", "I need the counts rather than a percentage."),
    ("P1", "32.5 of 41", "I need whole numbers of people."),
    ("P1", "-3 of 41", "can't be negative"),
    ("P1", "most of them", "I couldn't read that. Reply as x of n, like 32 of 41."),
    ("P1", "32 of 41, 3 blank", "Reply as x of n"),
    ("prop_max10", "7 of 11", "That's more than the 10 maximum respondents for this question."),
    ("prop_max10", "", "like 8 of 10."),
    ("P1", "", "Reply as x of n, like 32 of 41. Or reply skip to leave it out."),
    # text
    ("G2", "", "I didn't catch an answer there. Reply in your own words (up to 4,000 characters)."),
    ("G2", "  \t ", "I didn't catch an answer there."),
    ("text10", "01234567890", "That's 11 characters, but the limit here is 10."),
    ("G3D", "x" * 4001, "That's 4,001 characters, but the limit here is 4,000."),
]


@pytest.mark.parametrize(("key", "text", "words"), REJECTED)
def test_rejected(key: str, text: str, words: str) -> None:
    result = parse(key, text)
    assert isinstance(result, Rejection)
    assert words in result.reason
    assert result.example == example_answer(QUESTIONS[key])


@pytest.mark.parametrize("key", ["O1", "G2", "G3", "O7", "P7N"])
def test_empty_reply_to_a_required_question_does_not_offer_skip(key: str) -> None:
    result = parse(key, " ")
    required = QUESTIONS[key].required
    assert isinstance(result, Rejection)
    assert ("skip" in result.reason) is (not required)


def test_count_rejections_name_the_unit() -> None:
    for qid, unit in [("O2", "attendances"), ("O3", "participants"), ("O5", "volunteers")]:
        result = parse(qid, "some")
        assert isinstance(result, Rejection)
        assert f"a whole number of {unit}" in result.reason


# ---- formatting, examples and hints ----------------------------------------------------------

FORMATTED: list[tuple[str, AnswerValue, str]] = [
    ("O1", 12, "12 sessions"),
    ("O1", 1, "1 session"),
    ("O2", 1200, "1,200 attendances"),
    ("O5H", 0, "0 hours"),
    ("count_plain", 7, "7"),
    ("P7", 6.8, "6.8"),
    ("P7", 7, "7.0"),
    ("num_whole", 12.0, "12 km"),
    ("num_free", -1234.5, "-1,234.50"),
    ("scale5", 4, "4 out of 5"),
    ("scale5", 1, "1 out of 5 (Not at all)"),
    ("scale_neg", 0, "0"),
    ("scale_neg", 2, "2"),
    ("O7", "p10_24", "10\u201324%"),
    ("G1", "same", "About the same"),
    ("G1", "retired_option", "retired_option"),
    ("G3", True, "Yes"),
    ("G3", False, "No"),
    ("P1", {"x": 32, "n": 41}, "32 of 41 respondents (78%)"),
    ("P1", {"x": 1, "n": 8}, "1 of 8 respondents (13%)"),
    ("P1", {"x": 0, "n": 1}, "0 of 1 respondent (0%)"),
    ("P1", {"x": 1500, "n": 2000}, "1,500 of 2,000 respondents (75%)"),
    ("G2", "Short story.", "Short story."),
    ("G2", "  Two\n  lines ", "Two lines"),
    ("G2", "x" * 80, "x" * 80),
    ("G2", "x" * 81, "x" * 79 + "…"),
    ("G2", "word " * 30, ("word " * 16).rstrip() + "…"),
]


@pytest.mark.parametrize(("key", "value", "shown"), FORMATTED)
def test_format_answer(key: str, value: AnswerValue, shown: str) -> None:
    assert format_answer(QUESTIONS[key], value) == shown


HINTS: list[tuple[str, str]] = [
    ("O1", "Reply with a whole number, like 12."),
    ("count_min1", "Reply with a whole number, like 5."),
    ("P7", "Reply with a number from 0 to 10, like 7.5."),
    ("num_free", "Reply with a number, like 7.50."),
    ("scale5", "Reply with a whole number from 1 (Not at all) to 5 (Completely), like 2."),
    ("scale0_10", "Reply with a whole number from 0 to 10, like 1."),
    (
        "O7",
        "Reply with a number or a label: 1 Under 10%, 2 10\u201324%, 3 25\u201349%, 4 50% or more, "
        "5 Don't know.",
    ),
    ("G3", "Reply yes or no."),
    ("P1", "Reply as x of n, like 32 of 41."),
    ("prop_max10", "Reply as x of n, like 8 of 10."),
    ("G2", "Reply in your own words (up to 4,000 characters)."),
]


@pytest.mark.parametrize(("key", "hint"), HINTS)
def test_answer_hint(key: str, hint: str) -> None:
    assert answer_hint(QUESTIONS[key]) == hint


@pytest.mark.parametrize(
    ("key", "example"),
    [("O1", "12"), ("P1", "32 of 41"), ("scale5", "2"), ("O7", "Under 10%"), ("G3", "yes")],
)
def test_example_answer(key: str, example: str) -> None:
    assert example_answer(QUESTIONS[key]) == example


@pytest.mark.parametrize("key", sorted(QUESTIONS))
def test_every_example_is_accepted(key: str) -> None:
    q = QUESTIONS[key]
    assert isinstance(parse_answer(q, example_answer(q)), Parsed)


# ---- properties ------------------------------------------------------------------------------

_PIECES = [
    *("12", "1,200", "7,5", "0", ".5", "41", "1 000", "9" * 25, "-", "\u2212", "+", "~"),
    *(" of ", " out of ", "/", " in ", "about ", "approx. ", "%", "(78%)", "(", ")", ","),
    *("twelve", "none", "thousand", "ish", "k", "e5", "yes", "no", "Don't", "10\u201324%"),
    *("bet", "same", " ", ".", "\n", "\u00a0", "\uff11", "\u0663", "skip", "sessions"),
]
replies = st.one_of(
    st.text(max_size=60),
    st.lists(st.sampled_from(_PIECES), max_size=8).map("".join),
    st.text(alphabet="0123456789 ,./-of", max_size=20),
)


@pytest.mark.parametrize("key", sorted(QUESTIONS))
@given(text=replies)
def test_parse_never_raises_and_always_explains(key: str, text: str) -> None:
    q = QUESTIONS[key]
    result = parse_answer(q, text)
    if isinstance(result, Rejection):
        assert result.reason.endswith(".") and result.example
        assert isinstance(parse_answer(q, result.example), Parsed)
        if not isinstance(q, TextQuestion):
            assert result.example in result.reason
        return
    assert isinstance(result, Parsed)
    assert_valid_value(q, result.value)
    assert format_answer(q, result.value).strip()


@st.composite
def valid_values(draw: st.DrawFn, q: Question) -> AnswerValue:
    if isinstance(q, (CountQuestion, ScaleQuestion)):
        return draw(st.integers(q.min, q.max if q.max is not None else 10**9))
    if isinstance(q, NumberQuestion):
        low = q.min if q.min is not None else -(10**6)
        high = q.max if q.max is not None else 10**6
        return draw(st.floats(low, high, allow_nan=False, allow_infinity=False))
    if isinstance(q, ChoiceQuestion):
        return draw(st.sampled_from([o.value for o in q.options]))
    if isinstance(q, YesNoQuestion):
        return draw(st.booleans())
    if isinstance(q, ProportionQuestion):
        n = draw(st.integers(1, q.max_n or 100_000))
        return {"x": draw(st.integers(0, n)), "n": n}
    words = st.text(alphabet="abcdefghij .,!'", min_size=1, max_size=min(q.max_length, 80))
    return " ".join(draw(words).split()) or "ok"


@pytest.mark.parametrize("key", sorted(QUESTIONS))
@given(data=st.data())
def test_what_the_review_shows_reads_back_as_the_same_answer(key: str, data: st.DataObject) -> None:
    q = QUESTIONS[key]
    value = data.draw(valid_values(q))
    result = parse_answer(q, format_answer(q, value))
    assert isinstance(result, Parsed), (format_answer(q, value), result)
    if isinstance(q, NumberQuestion):
        assert isinstance(result.value, float) and isinstance(value, float)
        assert abs(result.value - value) <= 0.5 * 10**-q.decimals + 1e-9
    else:
        assert result.value == value


@pytest.mark.parametrize("key", sorted(k for k, q in QUESTIONS.items() if q.kind == "count"))
@given(number=st.integers(0, 10**6), style=st.sampled_from(["{:,}", "{}", "about {}", "~{}"]))
def test_counts_read_in_common_styles(key: str, number: int, style: str) -> None:
    q = QUESTIONS[key]
    assert isinstance(q, CountQuestion)
    result = parse_answer(q, style.format(number))
    if q.min <= number <= (q.max if q.max is not None else number):
        assert result == Parsed(number)
    else:
        assert isinstance(result, Rejection)


@given(n=st.integers(1, 5000), data=st.data())
def test_x_of_n_in_every_spelling(n: int, data: st.DataObject) -> None:
    x = data.draw(st.integers(0, n))
    form = data.draw(st.sampled_from(["{} of {}", "{}/{}", "{} out of {}", "{} of {} agree"]))
    assert parse("P1", form.format(x, n)) == Parsed({"x": x, "n": n})
    assert parse("P1", form.format(n + 1, n)) == Rejection(
        f"{n + 1:,} can't be more than the {n:,} respondent{'s' if n != 1 else ''}. "
        "Reply as x of n, like 32 of 41.",
        "32 of 41",
    )
