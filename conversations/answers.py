"""Reading a grantee's typed reply as a typed answer, and showing answers back in words."""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, Context, Decimal, InvalidOperation
from typing import Literal

from conversations.framework import (
    ChoiceQuestion,
    CountQuestion,
    NumberQuestion,
    Option,
    ProportionQuestion,
    Question,
    ScaleQuestion,
    TextQuestion,
    YesNoQuestion,
)

AnswerValue = int | float | bool | str | dict[str, int]
"""count/scale -> int, number -> float, yes_no -> bool, choice -> option value, text -> str,
proportion -> {"x": 32, "n": 41}."""


@dataclass(frozen=True)
class Parsed:
    value: AnswerValue


@dataclass(frozen=True)
class Rejection:
    """Why a reply was not accepted, as a full sentence that already contains `example`."""

    reason: str
    example: str


# ---- reading numbers -------------------------------------------------------------------------

_WORDS = [
    *("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"),
    *("eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen"),
    *("eighteen", "nineteen", "twenty"),
]
_WORD_VALUES = {**{w: i for i, w in enumerate(_WORDS)}, "nought": 0}
_NONE_WORDS = ("none", "nil", "nothing", "nobody", "no one")
# words that would make a number mean something else ("3 or four", "12 thousand")
_MORE_NUMBERS = {*_WORD_VALUES}
_MULTIPLIERS = {"hundred", "thousand", "million", "billion", "dozen", "half", "k", "m"}

# A single comma followed by exactly three digits is a thousands separator ("1,200"); any other
# comma is a decimal comma ("7,5"), which the decimal check then accepts or rejects by kind.
_DIGITS = (
    r"[0-9]{1,3}(?:,[0-9]{3})+(?![0-9])(?:\.[0-9]+)?"
    r"|[0-9]{1,3}(?:\ [0-9]{3})+(?![0-9])(?:\.[0-9]+)?"
    r"|[0-9]+(?:,[0-9]+)?(?:\.[0-9]+)?"
    r"|\.[0-9]+"
)
_TOKEN = rf"(?:{_DIGITS}|(?:{'|'.join([*_WORD_VALUES, *_NONE_WORDS])})\b)"
_APPROX = r"(?:about|around|approx(?:\.|imately)?|roughly|circa|ca\.?|c\.|nearly|almost|~|≈)"
_SINGLE = re.compile(
    rf"(?:{_APPROX}\s*)?(?P<sign>-\s*|minus\s+|\+\s*)?(?P<num>{_TOKEN})(?P<rest>.*)"
)
_OUT_OF = re.compile(rf"(?P<a>.+?)\s*(?:/|out of)\s*(?P<b>{_TOKEN})(?P<rest>.*)")
_PROPORTION = re.compile(
    rf"(?P<x>{_TOKEN})\s*(?:out of|of|/|in|from)\s*(?P<n>{_TOKEN})(?P<rest>.*)"
)
_ANY_NUMBER = re.compile(rf"[0-9]+|\b(?:{'|'.join(_WORD_VALUES)})\b")
_TRAILING_ASIDE = re.compile(r"\s*\((?:[^()0-9]*|\s*[0-9]+(?:\.[0-9]+)?\s*%\s*)\)$")
# hyphen, non-breaking hyphen, figure dash, en dash, em dash, minus sign
_DASHES = str.maketrans({c: "-" for c in "\u2010\u2011\u2012\u2013\u2014\u2212"})
_MAX_TOKEN = 20  # longer numbers are typos; this also keeps int() and Decimal() far from limits
_WIDE = Context(prec=400)  # room for any float's digits when an example is rounded
_MAX_SHORT_REPLY = 200  # a number, option or yes/no never needs more; keeps the regexes cheap

_Problem = Literal["unreadable", "several", "percent", "too_big"]


@dataclass(frozen=True)
class _Number:
    value: Decimal
    negative: bool
    none_word: bool


def _clean(text: str) -> str:
    """Fold width, case, dashes and spacing, and drop sentence-final punctuation."""
    folded = unicodedata.normalize("NFKC", text).casefold().translate(_DASHES)
    return re.sub(r"\s+", " ", folded).strip().rstrip(" .!?;:,")


_UNITS = {w: i for i, w in enumerate(_WORDS) if i < 20}
_TENS = {
    w: 10 * i
    for i, w in enumerate(
        ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
    )
    if w
}
_SCALES = {"hundred": 100, "thousand": 1000, "million": 1_000_000}
_SPELLED_WORD = re.compile(r"[a-z]+|-|[^a-z-]+")


def _spell_out(clean: str) -> str:
    """Runs of number words as digits: "three hundred and forty" -> "340", "twenty-one" -> "21".

    British usage: "and" after a hundred or thousand, hyphens between tens and units, and "a
    hundred". Single words from zero to twenty stay as they are (the readers know them, and
    "one or two" must still read as two numbers).
    """
    pieces = _SPELLED_WORD.findall(clean)
    out: list[str] = []
    index = 0
    while index < len(pieces):
        spelled = _number_run(pieces, index)
        if spelled is None:
            out.append(pieces[index])
            index += 1
            continue
        value, end = spelled
        out.append(str(value))
        index = end
    return "".join(out)


def _number_run(pieces: list[str], start: int) -> tuple[int, int] | None:
    """The value of the number words from pieces[start] and the index after them, if any."""
    total = current = words = 0
    last = ""  # "unit", "tens", "scale" or "and"
    index = end = start
    while index < len(pieces):
        word = pieces[index]
        if word == "a" and index + 2 < len(pieces) and pieces[index + 2] in _SCALES and not words:
            current, last, words = 1, "unit", words + 1
            index += 2 if pieces[index + 1] == " " else 1
            continue
        if word in _TENS and last in ("", "scale", "and"):
            current += _TENS[word]
            last = "tens"
        elif word in _UNITS and (last in ("", "scale", "and") or _after_tens(last, word)):
            current += _UNITS[word]
            last = "unit"
        elif word in _SCALES and last in ("unit", "tens") and current:
            scale = _SCALES[word]
            if scale == 100:
                current *= 100
            else:
                total += current * scale
                current = 0
            last = "scale"
        elif word == "and" and last == "scale":
            last = "and"
        elif word in (" ", "-") and words:
            index += 1
            continue
        else:
            break
        words += 1
        index += 1
        if last != "and":
            end = index
    if words == 0 or (words == 1 and last == "unit"):
        return None
    return total + current, end


def _after_tens(last: str, word: str) -> bool:
    return last == "tens" and _UNITS[word] < 10  # "twenty-one", never "twenty-twelve"


def _token_value(token: str) -> tuple[Decimal | None, bool]:
    """The value of one number token, and whether it was a word like 'none'."""
    token = token.strip()
    if token in _NONE_WORDS:
        return Decimal(0), True
    if token in _WORD_VALUES:
        return Decimal(_WORD_VALUES[token]), False
    if len(token) > _MAX_TOKEN:
        return None, False
    token = token.replace(" ", "")
    whole, dot, fraction = token.partition(".")
    groups = whole.split(",")
    if len(groups) > 1:
        if all(len(g) == 3 for g in groups[1:]):
            whole = "".join(groups)
        elif len(groups) == 2 and not dot:
            whole, dot, fraction = groups[0], ".", groups[1]
        else:
            return None, False
    try:
        return Decimal(f"{whole or '0'}{dot}{fraction}"), False
    except InvalidOperation:
        return None, False


def _rest_problem(rest: str, bare: bool) -> _Problem | None:
    """Judge what follows a number: unit words are fine, more numbers or symbols are not."""
    rest = _TRAILING_ASIDE.sub("", rest)
    if not rest:
        return None
    if rest.lstrip().startswith("%"):
        return "percent"
    words = set(re.findall(r"[a-z]+", rest))
    # letters glued to the digits change the number ("2k", "1e5"), so only "40ish" passes
    glued = bare and rest[0].isalpha() and not rest.startswith("ish")
    if glued or words & _MULTIPLIERS:
        return "unreadable"
    if re.search(r"[0-9]", rest) or words & _MORE_NUMBERS:
        return "several"
    if re.fullmatch(r"[\w' ,\-]+", rest) is None or re.search(r"[0-9_]", rest):
        return "unreadable"
    return None


def _read_number(clean: str) -> _Number | _Problem:
    match = _SINGLE.fullmatch(clean)
    if match is None:
        if "%" in clean and _ANY_NUMBER.search(clean):
            return "percent"
        return "several" if len(_ANY_NUMBER.findall(clean)) > 1 else "unreadable"
    value, none_word = _token_value(match["num"])
    if value is None:
        return "too_big" if len(match["num"]) > _MAX_TOKEN else "unreadable"
    problem = _rest_problem(match["rest"], bare=match["num"][-1].isdigit())
    if problem:
        return problem
    negative = (match["sign"] or "").strip() in ("-", "minus") and value != 0
    return _Number(value, negative, none_word)


def _show(number: float | Decimal) -> str:
    """A number as people write it: '10,000', '7.45'."""
    if isinstance(number, float) and not math.isfinite(number):
        return str(number)
    if number == int(number):
        return f"{int(number):,}"
    if isinstance(number, Decimal):
        return format(number.normalize(), ",f")
    return f"{number:,}"


def _plural(count: int, noun: str) -> str:
    # units are written as plurals in framework files; "1 sessions" reads as a bug
    return noun[:-1] if count == 1 and noun.endswith("s") and not noun.endswith("ss") else noun


# ---- per kind --------------------------------------------------------------------------------


def _count(q: CountQuestion, clean: str) -> Parsed | Rejection:
    example = example_answer(q)
    what = f"a whole number of {q.unit}" if q.unit else "a whole number"
    number = _read_number(clean)
    if isinstance(number, str):
        return Rejection(_number_problem(number, what, example), example)
    if number.negative:
        return Rejection(f"That can't be negative: I need {what}, like {example}.", example)
    if number.value != number.value.to_integral_value():
        shown = _show(number.value)
        return Rejection(
            f"I need {what}, like {example}: please round {shown} to the nearest whole number.",
            example,
        )
    value = int(number.value)
    if q.max is not None and value > q.max:
        return Rejection(
            f"That's more than the {q.max:,} maximum for this question: I need {what} "
            f"up to {q.max:,}, like {example}.",
            example,
        )
    if value < q.min:
        return Rejection(
            f"That's less than the minimum of {q.min:,} for this question: I need {what} "
            f"from {q.min:,} up, like {example}.",
            example,
        )
    return Parsed(value)


def _number_problem(problem: _Problem, what: str, example: str) -> str:
    return {
        "unreadable": f"I need {what}, like {example}.",
        "several": f"I need just one number, not a range or a list: {what}, like {example}.",
        "percent": f"I need {what} rather than a percentage, like {example}.",
        "too_big": f"That number is too large: I need {what}, like {example}.",
    }[problem]


def _number(q: NumberQuestion, clean: str) -> Parsed | Rejection:
    example = example_answer(q)
    what = "a number" + _range_words(q.min, q.max)
    out_of = _OUT_OF.fullmatch(clean)
    if out_of is not None and q.max is not None:
        top, _ = _token_value(out_of["b"])
        if top != Decimal(str(q.max)) or _rest_problem(out_of["rest"], bare=False):
            top_words = f"This scale goes up to {_show(q.max)}"
            return Rejection(f"{top_words}: I need {what}, like {example}.", example)
        clean = out_of["a"]
    number = _read_number(clean)
    if isinstance(number, str) or number.none_word:
        problem: _Problem = "unreadable" if not isinstance(number, str) else number
        return Rejection(_number_problem(problem, what, example), example)
    value = float(-number.value if number.negative else number.value) + 0.0  # no -0.0
    if number.negative and q.min is not None and q.min >= 0:
        return Rejection(f"That can't be negative: I need {what}, like {example}.", example)
    if q.max is not None and value > q.max:
        return Rejection(
            f"That's more than the {_show(q.max)} maximum for this question: I need {what}, "
            f"like {example}.",
            example,
        )
    if q.min is not None and value < q.min:
        return Rejection(
            f"That's less than the minimum of {_show(q.min)} for this question: I need {what}, "
            f"like {example}.",
            example,
        )
    return Parsed(value)


def _range_words(low: float | None, high: float | None) -> str:
    if low is not None and high is not None:
        return f" from {_show(low)} to {_show(high)}"
    if high is not None:
        return f" up to {_show(high)}"
    return f" of at least {_show(low)}" if low is not None else ""


def _scale(q: ScaleQuestion, clean: str) -> Parsed | Rejection:
    example = example_answer(q)
    what = f"a whole number from {q.min} to {q.max}"
    for value, label in ((q.min, q.min_label), (q.max, q.max_label)):
        if label and _key(label) == _key(clean):
            return Parsed(value)
    out_of = _OUT_OF.fullmatch(clean)
    if out_of is not None:
        top, _ = _token_value(out_of["b"])
        if top != q.max or _rest_problem(out_of["rest"], bare=False):
            top_words = f"This scale goes up to {q.max}"
            return Rejection(f"{top_words}: I need {what}, like {example}.", example)
        clean = out_of["a"]
    number = _read_number(clean)
    if isinstance(number, str) or number.none_word:
        return Rejection(f"I need {what}, like {example}.", example)
    if number.value != number.value.to_integral_value():
        return Rejection(f"I need {what}, like {example}, not a decimal.", example)
    value = -int(number.value) if number.negative else int(number.value)
    if not q.min <= value <= q.max:
        return Rejection(f"That's outside the scale: I need {what}, like {example}.", example)
    return Parsed(value)


def _key(text: str) -> str:
    """Compare labels loosely: case, dashes, '%', apostrophes and punctuation don't matter."""
    folded = unicodedata.normalize("NFKC", text).casefold().translate(_DASHES)
    folded = re.sub("['\u2019%]", "", folded)
    return re.sub(r"[\W_]+", " ", folded).strip()


# everyday ways of saying it, for frameworks that follow the default's "dont_know" option value
_DONT_KNOW = {"not sure", "unsure", "dunno", "no idea", "dk", "cant say", "hard to say"}


# a choice by its number: "2", "option 2", "#2", "(2)", "2."
_BY_POSITION = r"(?:option |number |no |#)?\(?([0-9]{1,6})\)?[.):]?"


def _choice(q: ChoiceQuestion, text: str) -> Parsed | Rejection:
    example = example_answer(q)
    unrecognised = Rejection(f"I didn't recognise that option. {answer_hint(q)}", example)
    key = _key(text)
    if not key:
        return unrecognised
    by_position = re.fullmatch(_BY_POSITION, _clean(text))
    if by_position is not None:
        position = int(by_position.group(1))
        if 1 <= position <= len(q.options):
            return Parsed(q.options[position - 1].value)
        # an option may be labelled "0" or "25": then it is chosen by its label below
        if not any(key in (_key(o.value), _key(o.label)) for o in q.options):
            return Rejection(
                f"Please choose a number from 1 to {len(q.options)}. {answer_hint(q)}", example
            )
    numbered = re.fullmatch(r"([0-9]{1,6}) (.+)", key)
    if numbered is not None and 1 <= int(numbered.group(1)) <= len(q.options):
        option = q.options[int(numbered.group(1)) - 1]
        if _key(option.label) == numbered.group(2):  # "2 10-24%", copied from the hint
            return Parsed(option.value)
    for option in q.options:
        if key in (_key(option.value), _key(option.label)):
            return Parsed(option.value)
    if key in _DONT_KNOW and "dont_know" in [o.value for o in q.options]:
        return Parsed("dont_know")
    for matches in (_prefix_matches(q.options, key), _word_matches(q.options, key)):
        if len(matches) == 1:
            return Parsed(matches[0].value)
        if matches:
            names = " or ".join(f'"{o.label}"' for o in matches)
            return Rejection(
                f"That could be {names}. Reply with the number or a bit more of the label, "
                f"like {example}.",
                example,
            )
    return unrecognised


def _prefix_matches(options: tuple[Option, ...], key: str) -> list[Option]:
    return [o for o in options if _key(o.label).startswith(key) or _key(o.value).startswith(key)]


def _word_matches(options: tuple[Option, ...], key: str) -> list[Option]:
    return [o for o in options if f" {key} " in f" {_key(o.label)} "]


_YES = {"yes", "y", "yeah", "yep", "yup", "yea", "aye", "true", "yes please", "correct"}
_NO = {"no", "n", "nope", "nah", "false", "not really", "no there werent", "no there wasnt"}


def _yes_no(q: YesNoQuestion, text: str) -> Parsed | Rejection:
    key = _key(text)
    # "No, none at all" and "yes - at the market" answer the question; "no idea" does not
    first = re.match(r"\s*(\w+)\s*[,.!:;\-]", unicodedata.normalize("NFKC", text).casefold())
    for candidate in (key, first.group(1) if first else ""):
        if candidate in _YES:
            return Parsed(True)
        if candidate in _NO:
            return Parsed(False)
    return Rejection("I need a yes or a no here, like yes.", example_answer(q))


def _proportion(q: ProportionQuestion, clean: str) -> Parsed | Rejection:
    example = example_answer(q)
    like = f"Reply as x of n, like {example}."
    clean = _TRAILING_ASIDE.sub("", clean)
    if clean.startswith(("-", "minus")):
        return Rejection(f"The numbers can't be negative. {like}", example)
    match = _PROPORTION.fullmatch(clean)
    if match is None or _rest_problem(match["rest"], bare=True) is not None:
        return Rejection(_proportion_problem(q, clean, like), example)
    x, _ = _token_value(match["x"])
    n, _ = _token_value(match["n"])
    if x is None or n is None:
        return Rejection(f"Those numbers are too large. {like}", example)
    if x != x.to_integral_value() or n != n.to_integral_value():
        return Rejection(f"I need whole numbers of people. {like}", example)
    xi, ni = int(x), int(n)
    if ni < 1:
        nobody = " If nobody answered this question, reply skip." if not q.required else ""
        at_least = f"The second number, the {q.denominator}, must be at least 1."
        return Rejection(f"{at_least} {like}{nobody}", example)
    if xi > ni:
        return Rejection(
            f"{xi:,} can't be more than the {ni:,} {_plural(ni, q.denominator)}. {like}", example
        )
    if q.max_n is not None and ni > q.max_n:
        return Rejection(
            f"That's more than the {q.max_n:,} maximum {q.denominator} for this question. {like}",
            example,
        )
    return Parsed({"x": xi, "n": ni})


def _proportion_problem(q: ProportionQuestion, clean: str, like: str) -> str:
    numbers = len(_ANY_NUMBER.findall(clean))
    if "%" in clean:
        return f"I need the counts rather than a percentage. {like}"
    if numbers == 2:
        return f"I couldn't tell which number is which. {like}"
    if numbers == 1:
        return f"I need two numbers: how many {q.numerator} out of how many {q.denominator}. {like}"
    return f"I couldn't read that. {like}"


def _text(q: TextQuestion, text: str) -> Parsed | Rejection:
    value = text.strip()
    if len(value) > q.max_length:
        return Rejection(
            f"That's {len(value):,} characters, but the limit here is {q.max_length:,}. "
            "Please shorten it and send it again.",
            example_answer(q),
        )
    return Parsed(value)


# ---- public API ------------------------------------------------------------------------------


def parse_answer(question: Question, text: str) -> Parsed | Rejection:
    """Read a reply to `question`; anything a person might type gives a value, never an error."""
    if not text.strip():
        skip = " Or reply skip to leave it out." if not question.required else ""
        return Rejection(
            f"I didn't catch an answer there. {answer_hint(question)}{skip}",
            example_answer(question),
        )
    if not isinstance(question, TextQuestion) and len(text) > _MAX_SHORT_REPLY:
        return Rejection(
            f"That's longer than I expected for this question. {answer_hint(question)}",
            example_answer(question),
        )
    if isinstance(question, CountQuestion):
        return _count(question, _spell_out(_clean(text)))
    if isinstance(question, NumberQuestion):
        return _number(question, _spell_out(_clean(text)))
    if isinstance(question, ScaleQuestion):
        return _scale(question, _spell_out(_clean(text)))
    if isinstance(question, ChoiceQuestion):
        return _choice(question, text)
    if isinstance(question, YesNoQuestion):
        return _yes_no(question, text)
    if isinstance(question, ProportionQuestion):
        return _proportion(question, _spell_out(_clean(text)))
    return _text(question, text)


def format_answer(question: Question, value: AnswerValue) -> str:
    """An answer as a reviewer reads it: '12 sessions', '32 of 41 respondents (78%)', 'Yes'."""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, dict):
        x, n = value.get("x"), value.get("n")
        if isinstance(question, ProportionQuestion) and isinstance(x, int) and isinstance(n, int):
            # integer round-half-up: 78.05% -> 78%, 12.5% -> 13%, without float surprises
            share = f" ({(200 * x + n) // (2 * n)}%)" if n > 0 else ""
            return f"{x:,} of {n:,} {_plural(n, question.denominator)}{share}"
        return ", ".join(f"{k} {v}" for k, v in value.items())
    if isinstance(question, CountQuestion) and isinstance(value, int):
        return f"{value:,} {_plural(value, question.unit)}".strip()
    if isinstance(question, NumberQuestion) and isinstance(value, (int, float)):
        return f"{value:,.{question.decimals}f} {question.unit}".strip()
    if isinstance(question, ScaleQuestion) and isinstance(value, int):
        return _format_scale(question, value)
    if isinstance(question, ChoiceQuestion):
        return next((o.label for o in question.options if o.value == value), str(value))
    if isinstance(value, str):
        flat = " ".join(value.split())
        return flat if len(flat) <= 80 else flat[:79].rstrip() + "…"
    return str(value)


def _format_scale(q: ScaleQuestion, value: int) -> str:
    # "out of" reads wrongly on a scale like -2..2, and the review shows the question beside it
    shown = f"{value} out of {q.max}" if q.min in (0, 1) else str(value)
    label = q.min_label if value == q.min else q.max_label if value == q.max else ""
    return f"{shown} ({label})" if label else shown


def example_answer(question: Question) -> str:
    """A reply that this question accepts, to show in hints and re-prompts."""
    if isinstance(question, CountQuestion):
        high = question.max if question.max is not None else 12
        return str(max(question.min, min(12, high)))
    if isinstance(question, NumberQuestion):
        return _number_example(question)
    if isinstance(question, ScaleQuestion):
        return str(question.min + 1 if question.min < question.max else question.min)
    if isinstance(question, ChoiceQuestion):
        label = question.options[0].label
        # a label with no letters or digits ("👍") cannot be typed back, and one that reads as
        # a number ("2") would choose another option: the option's number always works
        if not _key(label) or re.fullmatch(_BY_POSITION, _clean(label)):
            return "1"
        return label
    if isinstance(question, YesNoQuestion):
        return "yes"
    if isinstance(question, ProportionQuestion):
        n = min(41, question.max_n) if question.max_n is not None else 41
        return f"{(32 * n + 20) // 41} of {n}"
    return "Two new families joined our Thursday group."[: question.max_length]


def _number_example(q: NumberQuestion) -> str:
    value = 7.5 if q.decimals else 12.0
    if q.max is not None:
        value = min(value, q.max)
    if q.min is not None:
        value = max(value, q.min)
    # Rounded to the shown decimals, a bound must not be rounded past itself: with max 1.5 and
    # no decimals the example is 1, not 2 (which the question would refuse).
    rounding = ROUND_HALF_EVEN
    if q.max is not None and value == q.max:
        rounding = ROUND_FLOOR
    elif q.min is not None and value == q.min:
        rounding = ROUND_CEILING
    exact = Decimal(repr(value))
    shown = exact.quantize(Decimal(1).scaleb(-q.decimals), rounding, _WIDE)
    shown = _WIDE.add(shown, Decimal(0))  # "-0" becomes "0"
    if (q.min is not None and shown < Decimal(repr(q.min))) or (
        q.max is not None and shown > Decimal(repr(q.max))
    ):
        shown = exact  # no number with that many decimals fits between the bounds
    return f"{shown:f}"


def answer_hint(question: Question) -> str:
    """One line on how to answer this kind of question."""
    example = example_answer(question)
    if isinstance(question, CountQuestion):
        return f"Reply with a whole number, like {example}."
    if isinstance(question, NumberQuestion):
        return f"Reply with a number{_range_words(question.min, question.max)}, like {example}."
    if isinstance(question, ScaleQuestion):
        low = f" ({question.min_label})" if question.min_label else ""
        high = f" ({question.max_label})" if question.max_label else ""
        return (
            f"Reply with a whole number from {question.min}{low} to {question.max}{high}, "
            f"like {example}."
        )
    if isinstance(question, ChoiceQuestion):
        listed = ", ".join(f"{i} {o.label}" for i, o in enumerate(question.options, start=1))
        return f"Reply with a number or a label: {listed}."
    if isinstance(question, YesNoQuestion):
        return "Reply yes or no."
    if isinstance(question, ProportionQuestion):
        return f"Reply as x of n, like {example}."
    return f"Reply in your own words (up to {question.max_length:,} characters)."
