"""Property: any reply made by quoting our email and adding answers anywhere stores exactly those.

The real service reads each reply (its inbound side called as the SMTP server calls it); the
email quoted is the first email the service sent, as it was sent.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from bot.conversation.frameworks import framework_for
from conversations.framework import CountQuestion
from tests.faults.email_harness import AMINA, EmailWorld, email_world, reply, snapshot, text_part
from tests.faults.tally import Tally, io, pure

_UNITS = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_TENS = ["_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def in_words(value: int) -> str:
    """A number as it is written in British English: "three hundred and forty", "twenty-one"."""
    if value < 20:
        return _UNITS[value]
    if value < 100:
        tens, units = divmod(value, 10)
        return _TENS[tens] + (f"-{_UNITS[units]}" if units else "")
    hundreds, rest = divmod(value, 100)
    return f"{_UNITS[hundreds]} hundred" + (f" and {in_words(rest)}" if rest else "")


def test_numbers_in_words_are_written_as_people_write_them() -> None:
    assert in_words(340) == "three hundred and forty"
    assert in_words(21) == "twenty-one"
    assert in_words(700) == "seven hundred"


@pytest.fixture
async def world(db_url: str) -> AsyncIterator[EmailWorld]:
    async with email_world(db_url, grantees=(AMINA,)) as world:
        yield world


# how a person may write question 3's answer of 12
_FORMS = (
    "{n}: {v}",
    "{n}) {v}",
    "Q{n} - {v}",
    "Question {n}: {v}",
    "{n}. {short}: {v}",
    "Q{n} {short} {v}",
    "{n} {short}: {v}",
)


@st.composite
def quoted_replies(
    draw: st.DrawFn, email_text: str, asked: dict[int, CountQuestion]
) -> tuple[str, dict[str, int]]:
    """Our email quoted as a client quotes it, with answer lines put anywhere in it."""
    style = draw(st.sampled_from(["marked", "outlook", "bare top"]))
    lines = email_text.strip().splitlines()
    if style == "marked":
        quoted = ["On Mon, 5 Oct 2026 at 10:00, Cohesion Check-ins <checkins@x.org> wrote:"]
        quoted += [f"> {line}".rstrip() for line in lines]
    elif style == "outlook":
        quoted = [
            "________________________________",
            "From: Cohesion Check-ins <checkins@bridges.example.org>",
            "Sent: 05 October 2026 10:00",
            "To: Amina Hussain <amina@unitythroughfood.example.org>",
            "Subject: Check-in for Bridges Community Fund, 2026 Q4",
            "",
            *lines,
        ]
    else:
        quoted = ["On Mon, 5 Oct 2026 at 10:00, Cohesion Check-ins <checkins@x.org> wrote:"]
        quoted += [f"> {line}".rstrip() for line in lines]
    numbers = draw(st.lists(st.sampled_from(sorted(asked)), min_size=1, max_size=6, unique=True))
    expected: dict[str, int] = {}
    body = list(quoted)
    for number in numbers:
        q = asked[number]
        top = min(q.max if q.max is not None else 999, 999)
        value = draw(st.integers(min_value=max(q.min, 0), max_value=top))
        written = in_words(value) if draw(st.booleans()) else str(value)
        if style != "bare top" and draw(st.booleans()):
            # no number: the answer alone, under its quoted question and hint (interleaved)
            asked_at = next(
                i for i, t in enumerate(body) if t.lstrip("> ").startswith(f"{number}. ")
            )
            body.insert(asked_at + 2, written)
            event(f"{style}: under its question")
            expected[q.id] = value
            continue
        form = draw(st.sampled_from(_FORMS))
        line = form.format(n=number, v=written, short=q.short.lower())
        # anywhere: above the quote, between its lines, or below it ("bare top": above only)
        at = 0 if style == "bare top" else draw(st.integers(min_value=0, max_value=len(body)))
        body.insert(at, line)
        expected[q.id] = value
        event(f"{style}: {form}")
    return "\n".join(body) + "\n", expected


@given(data=st.data())
@io(60)
async def test_answers_added_anywhere_in_our_quoted_email_are_stored_exactly(
    world: EmailWorld, data: st.DataObject, tally: Tally
) -> None:
    thread = world.threads[AMINA]
    fw = framework_for(thread.context.programme)
    text = text_part(thread.first)
    # the counts the email asks, but not those a cross-question check bounds by another answer
    bounded = {rule.left.partition(".")[0] for rule in fw.rules}
    # and not those asked only after another answer, nor the answers they depend on
    bounded |= {q.id for q in fw.questions if q.ask_if is not None}
    bounded |= {q.ask_if.question for q in fw.questions if q.ask_if is not None}
    asked = {
        fw.number_of(q.id): q
        for q in fw.questions
        if isinstance(q, CountQuestion)
        and q.id not in bounded
        and f"\n{fw.number_of(q.id)}. " in f"\n{text}"
    }
    body, expected = data.draw(quoted_replies(text, asked))
    with tally.case("properties email replies"):
        before = await snapshot(thread.checkin_id)
        outcome = await world.receive(reply(thread, body), thread.reply_to)
        after = await snapshot(thread.checkin_id)
        assert outcome == "saved", outcome
        stored = {qid: value for qid, (value, _, _) in after.answers.items()}
        previous = {qid: value for qid, (value, _, _) in before.answers.items()}
        assert stored == {**previous, **expected}, (stored, previous, expected)
        world.relay.drain()


@given(value=st.integers(min_value=0, max_value=999))
@pure(200)
def test_a_count_in_words_reads_as_its_value(value: int, tally: Tally) -> None:
    from conversations.answers import Parsed, parse_answer
    from conversations.framework import load_builtin

    q = load_builtin("social_cohesion_v1").questions[1]  # total attendance: up to 100,000
    with tally.case("properties email replies"):
        assert parse_answer(q, in_words(value)) == Parsed(value)
        assert parse_answer(q, f"about {in_words(value)} people") == Parsed(value)
