"""Pure: the lines a grantee wrote, read against the framework as answers to numbered questions.

An answer line starts with its question's number ("3: 12", "Q3 - 12"), may repeat words of the
question before the answer ("3 sessions run: 12", "Q4 people who came 40"), or sits under our
quoted question in an interleaved reply. Lines with no numbers at all are read in order when
there are exactly as many as the email asked, and each reads as an answer to its question.
Lines that cannot be placed are kept for the reply to name, with what was expected.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.channels.email.lines import Written
from conversations.answers import Parsed, example_answer, parse_answer
from conversations.framework import Framework, Question, TextQuestion
from conversations.state import Reply

_SKIP_WORDS = {"skip", "skip it", "pass", "n/a", "-"}
_COMMANDS = {"back", "later", "stop", "help", "review", "submit", "pause", "resume"}
# `3: 12`, `3) 12`, `3. 12`, `Q3 - 12`, `Question 3: 12` (`#3 12` has no separator: see below)
_NUMBERED = re.compile(
    r"^\s*(?:(?P<q>q(?:uestion)?\.?\s*)?#?(?P<n>\d{1,3}))"
    r"(?:\s*[:)\]]|\.(?=\s)|(?(q)\s*[-\u2013\u2014]|\s+[-\u2013\u2014](?=\s)))\s*(?P<text>.*)$",
    re.IGNORECASE,
)
# `3 sessions run: 12`, `Q4 people who came 40`: a number, words, then the answer
_LEAD = (
    r"^\s*(?P<q>q(?:uestion)?\.?\s*|#)?(?P<n>\d{1,3})(?:\s*,\s*|\s+)"
    r"(?P<label>[^\W\d_][^\d:=?]*?)"
)
_LABELLED = re.compile(
    _LEAD + r"\s*(?P<sep>[:=?]|\s[-\u2013\u2014])\s*(?P<text>.+)$", re.IGNORECASE
)
_LABELLED_TAIL = re.compile(_LEAD + r"\s+(?P<tail>\S.*)$", re.IGNORECASE)
# words of a question repeated before its answer: "Sessions run:", "How many volunteers? 8"
_LABEL = re.compile(r"^(?P<label>[^\W\d_][^\d:=?]*?)\s*(?:[:=?]|\s[-\u2013\u2014])\s*(?P<text>.+)$")
_NUMBER_START = re.compile(
    r"^(?:(?:about|around|roughly|approx\.?|approximately|nearly|almost|~)\s*)?"
    r"(?:\d|(?:zero|nought|none|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve"
    r"|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty"
    r"|sixty|seventy|eighty|ninety|a hundred|a thousand)\b)",
    re.IGNORECASE,
)
_ANY_NUMBER = re.compile(
    r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty"
    r"|forty|fifty|sixty|seventy|eighty|ninety|hundred|thousand|dozen)\b",
    re.IGNORECASE,
)
_IN_QUOTES = re.compile(r"[\"\u201c\u201d`']([^\"\u201c\u201d`']+)[\"\u201c\u201d`']")
_MAX_LABEL_WORDS = 8
_STOP = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "did",
        "do",
        "does",
        "for",
        "from",
        "had",
        "has",
        "have",
        "how",
        "in",
        "is",
        "it",
        "many",
        "much",
        "of",
        "on",
        "or",
        "our",
        "the",
        "their",
        "them",
        "there",
        "these",
        "they",
        "this",
        "those",
        "to",
        "was",
        "we",
        "were",
        "what",
        "which",
        "who",
        "with",
        "you",
        "your",
        "period",
    ]
)


@dataclass(frozen=True)
class LineReply(Reply):
    """A reply taken from one line of an email, so a refusal can name the line."""

    line: int = 0
    written: str = ""


@dataclass(frozen=True)
class LineNotRead:
    """An email-only prompt: a line that looks like an answer but could not be placed."""

    line: int
    text: str
    example: str  # what was expected instead, e.g. "3: 12"


@dataclass(frozen=True)
class ReadInOrder:
    """An email-only prompt: unnumbered lines were read as the asked questions, in order."""

    numbers: tuple[int, ...]


@dataclass(frozen=True)
class Understood:
    replies: tuple[Reply, ...]
    notes: tuple[LineNotRead | ReadInOrder, ...] = ()


@dataclass
class _Entry:
    number: int
    text: str
    line: int
    written: str
    under: bool = False
    extra: list[str] = field(default_factory=list)


_VOCABULARY: dict[int, tuple[Framework, frozenset[str]]] = {}


def _words(text: str) -> list[str]:
    return re.findall(r"[^\W\d_]+", text.casefold())


def _stem(word: str) -> str:
    return word[:5]


def vocabulary(fw: Framework) -> frozenset[str]:
    """The stems of the framework's question words (kept per framework object)."""
    kept = _VOCABULARY.get(id(fw))
    if kept is not None and kept[0] is fw:
        return kept[1]
    words = {
        _stem(w)
        for q in fw.questions
        for w in _words(f"{q.short} {q.prompt}")
        if w not in _STOP and len(w) > 2
    }
    _VOCABULARY[id(fw)] = (fw, frozenset(words))
    return frozenset(words)


def _about_questions(label: str, fw: Framework) -> bool:
    words = [w for w in _words(label) if w not in _STOP]
    known = vocabulary(fw)
    return len(label.split()) <= _MAX_LABEL_WORDS and any(_stem(w) in known for w in words)


def _label_of_own(label: str, q: Question) -> bool:
    """Whether `label` repeats the start of the question's short label or prompt."""
    said = " ".join(_words(label))
    return bool(said) and any(" ".join(_words(t)).startswith(said) for t in (q.short, q.prompt))


def numbered(text: str, fw: Framework) -> tuple[int, str] | None:
    """(question number, answer) for an answer line, else None."""
    text = _unquoted(text)
    match = _NUMBERED.match(text)
    if match is not None:
        number, answer = int(match.group("n")), match.group("text").strip()
        if 1 <= number <= len(fw.questions):
            return number, _without_label(answer, fw.questions[number - 1], fw)
        return number, answer
    match = _LABELLED.match(text)
    if match is not None and 1 <= int(match.group("n")) <= len(fw.questions):
        label = match.group("label")
        if match.group("q") or match.group("sep") == "?" or _about_questions(label, fw):
            return int(match.group("n")), match.group("text").strip()
    match = _LABELLED_TAIL.match(text)
    if match is None or not 1 <= int(match.group("n")) <= len(fw.questions):
        return None
    # no separator: the answer is what follows the words, and must start like a number
    words = [*match.group("label").split(), *match.group("tail").split()]
    for cut in range(1, min(len(words), _MAX_LABEL_WORDS + 1)):
        rest = " ".join(words[cut:])
        label = " ".join(words[:cut])
        if _NUMBER_START.match(rest) and (match.group("q") or _about_questions(label, fw)):
            return int(match.group("n")), rest
    return None


def _without_label(answer: str, q: Question, fw: Framework) -> str:
    """The answer with words of its question before it left out ("Sessions run: 12" -> "12")."""
    match = _LABEL.match(answer)
    if match is None:
        return answer
    label = match.group("label")
    if isinstance(q, TextQuestion):
        return match.group("text").strip() if _label_of_own(label, q) else answer
    if len(label.split()) <= _MAX_LABEL_WORDS:
        return match.group("text").strip()
    return answer


def _looks_like_an_answer(text: str) -> bool:
    """Whether a line that could not be placed carries a figure, and so must be mentioned:
    prose without one ("Hope that helps", a name) is a greeting or a sign-off."""
    return _ANY_NUMBER.search(text) is not None


def understand(
    fw: Framework, current: Question | None, asked: Sequence[Question], written: Sequence[Written]
) -> Understood:
    """Engine replies for the written lines, in the order written, and notes for the reply."""
    entries: list[_Entry] = []
    loose: list[Written] = []
    for line in written:
        found = numbered(line.text, fw)
        if found is not None:
            entries.append(_Entry(found[0], found[1], line.line, line.text))
        elif line.under is not None:
            last = entries[-1] if entries else None
            if last is not None and last.under and last.number == line.under:
                if _is_text(fw, line.under):
                    last.extra.append(line.text)  # a longer answer in words
                else:
                    loose.append(line)  # a figure is one line: the next is something else
            else:
                entries.append(_Entry(line.under, line.text, line.line, line.text, under=True))
        elif entries and _is_text(fw, entries[-1].number):
            entries[-1].extra.append(line.text)  # a longer answer goes on over several lines
        else:
            loose.append(line)
    notes: list[LineNotRead | ReadInOrder] = []
    if not entries and loose:
        in_order = _in_order(loose, asked)
        if in_order is None:
            single = _single(current, loose)
            rest = loose[1:] if isinstance(single[0], LineReply) else []
            return Understood(single, tuple(_unplaced(rest, fw, asked)))
        entries = in_order
        loose = []
        notes.append(ReadInOrder(tuple(e.number for e in entries)))
    notes.extend(_unplaced(loose, fw, asked))
    replies = [_reply(fw, entry) for entry in entries]
    return Understood(tuple(r for r in replies if r is not None), tuple(notes))


def _unquoted(text: str) -> str:
    """A line copied with the quotation marks our plain text puts round words to type."""
    match = _IN_QUOTES.fullmatch(text.strip())
    return match.group(1) if match else text


def _is_text(fw: Framework, number: int) -> bool:
    return 1 <= number <= len(fw.questions) and isinstance(fw.questions[number - 1], TextQuestion)


def _in_order(loose: Sequence[Written], asked: Sequence[Question]) -> list[_Entry] | None:
    """The lines as the asked questions' answers, when they are exactly those and each reads."""
    if len(asked) < 2 or len(loose) != len(asked):
        return None
    entries = []
    for line, q in zip(loose, asked, strict=True):
        if line.text.strip().lower().rstrip(".") in _COMMANDS:
            return None
        if not isinstance(parse_answer(q, line.text), Parsed):
            return None
        entries.append(_Entry(asked.index(q) + 1, line.text, line.line, line.text))
    return entries


def _single(current: Question | None, loose: Sequence[Written]) -> tuple[Reply, ...]:
    """No numbers: the whole text for a text question, else the first line (or a command)."""
    if current is not None and isinstance(current, TextQuestion):
        return (Reply("\n".join(line.text for line in loose)),)
    first = loose[0]
    return (LineReply(first.text, line=first.line, written=first.text),)


def _unplaced(
    loose: Sequence[Written], fw: Framework, asked: Sequence[Question]
) -> list[LineNotRead]:
    if not asked:
        return []
    q = asked[0]
    example = f"{fw.number_of(q.id)}: {example_answer(q)}"
    return [
        LineNotRead(line.line, line.text, example)
        for line in loose
        if _looks_like_an_answer(line.text)
    ]


def _reply(fw: Framework, entry: _Entry) -> Reply | None:
    text = "\n".join([entry.text, *entry.extra]).strip()
    if not text:
        return None  # "3:" with nothing after it: that question is left as it was
    if not 1 <= entry.number <= len(fw.questions):
        return Reply(text or "?", question_id=str(entry.number))  # "there is no question 42"
    q = fw.questions[entry.number - 1]
    if text.lower().rstrip(".") in _SKIP_WORDS:
        return Reply(f"skip {entry.number}")
    return LineReply(text, question_id=q.id, line=entry.line, written=entry.written)
