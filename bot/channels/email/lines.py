"""Pure reading of a reply's lines: which ones the grantee wrote, and under which of our questions.

A reply may put its answers above the quoted check-in email, below it, or between its lines; the
quoted email may be marked with "> " or (Outlook) follow a From/Sent header block unmarked. A
line counts as written by the grantee when it is not quoted, not a quote header, not part of a
signature, and not a line of an email we sent in the thread (compared after folding case,
punctuation and spacing, so a client's re-wrapping or its text version of our HTML still match).
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

# our own question lines, as a reply quotes them: "3. How many sessions ...?"
QUESTION_LINE = re.compile(r"^(?P<n>\d{1,3})\.\s+\S")
# a line of ours only matches from this many folded characters up ("12" alone never does)
_MIN_PARTIAL = 16
# a rule of underscores or dashes: Outlook's line above a quoted header, or a list footer's
_RULE = re.compile(r"^[-_=*]{5,}$")
# a mailing list's footer: "Leads mailing list", "https://.../listinfo/leads", "To unsubscribe"
_LIST_FOOTER = re.compile(r"mailing list|listinfo|unsubscribe|list-?manager", re.IGNORECASE)
_SIGNATURE_START = re.compile(
    r"^(?:--\s*|sent from my\b.*|get outlook for\b.*|envoy[ée] de(?:puis)? mon\b.*"
    r"|von meinem\b.*gesendet|enviado desde mi\b.*|anfonwyd o\b.*)$",
    re.IGNORECASE,
)
# a sign-off, on its own or with a first name: "Thanks,", "Best wishes, Amina", "Diolch!"
_SIGN_OFF = re.compile(
    r"^(?:many |big |with |and )?(?:thanks(?: again| very much| so much)?|thank you(?: very much)?"
    r"|cheers|best|best wishes|all the best|warm(?:est)? (?:wishes|regards)|kind(?:est)? regards"
    r"|regards|yours(?: sincerely| truly)?|speak soon|take care|diolch(?: yn fawr)?|cofion"
    r"|cordialement|bien (?:à vous|cordialement)|merci|saludos|un saludo|atentamente|gracias"
    r"|mit freundlichen grüßen|viele grüße|liebe grüße|beste grüße|grüße|danke)"
    r"\b[\s,.!]*(?:\w+[\s.,!]*){0,3}$",
    re.IGNORECASE,
)
# a greeting or lead-in that carries no answer: "Hi,", "Hello team!", "Here are our figures:"
_GREETING = re.compile(
    r"^(?:(?:hi|hello|hey|hiya|dear|good (?:morning|afternoon|evening)|bonjour|hallo|hola"
    r"|shwmae|helo|s[ÿy]mae)\b[^0-9]{0,40}|[^0-9:]{0,60}:)$",
    re.IGNORECASE,
)
_ORIGINAL_MESSAGE = re.compile(
    r"^\s*-{2,}\s*(?:original message|ursprüngliche nachricht|message d'origine"
    r"|mensaje original|neges wreiddiol|forwarded message)\s*-{2,}\s*$"
    r"|^\s*begin forwarded message:\s*$",
    re.IGNORECASE | re.MULTILINE,
)


_FIELD = re.compile(r"^[> *]*[^\W\d_][^\W\d_ ]*(?: [^\W\d_]+)?\s*:")


@dataclass(frozen=True)
class Written:
    """One line the grantee wrote: its number in the reply, its text, and the question it sits
    under when the reply answers between our quoted lines (None elsewhere)."""

    line: int
    text: str
    under: int | None = None


def fold(line: str) -> str:
    """A line as compared with what we sent: quote marks, case, punctuation and spacing gone."""
    return " ".join(re.sub(r"[\W_]+", " ", line.lstrip(" >").casefold()).split())


class Ours:
    """The lines of the emails we sent in a thread, folded for comparison."""

    def __init__(self, texts: Iterable[str]) -> None:
        self.consulted = False  # whether any line needed them (see written_lines)
        self.lines: set[str] = set()
        folded: list[str] = []
        for text in texts:
            for line in text.splitlines():
                key = fold(line)
                if key:
                    self.lines.add(key)
                    folded.append(key)
        self.blob = f" {' '.join(folded)} "

    def __bool__(self) -> bool:
        self.consulted = True
        return bool(self.lines)

    def has(self, line: str) -> bool:
        self.consulted = True
        key = fold(line)
        if not key:
            return False
        return key in self.lines or (len(key) >= _MIN_PARTIAL and f" {key} " in self.blob)


def _header_lines(text: str, patterns: Sequence[re.Pattern[str]]) -> dict[int, bool]:
    """Line index of each quote-header line -> whether it opens an unmarked original (Outlook)."""
    lines = text.split("\n")
    # Quoted lines without a colon cannot be (part of) a quote header: left out, the patterns,
    # which are costly, scan little more than what the grantee wrote. `kept` maps back.
    kept = [i for i, line in enumerate(lines) if ":" in line or not line.startswith(">")]
    probed = [lines[i] for i in kept]
    probe = "\n".join(probed)
    starts = list(itertools.accumulate((len(line) + 1 for line in probed[:-1]), initial=0))
    found: dict[int, bool] = {}
    for pattern in (*patterns, _ORIGINAL_MESSAGE):
        for match in pattern.finditer(probe):
            matched = match.group(0)
            if not matched.strip():
                continue
            first = (
                bisect.bisect_right(starts, match.start() + len(matched) - len(matched.lstrip()))
                - 1
            )
            last = bisect.bisect_right(starts, match.end() - 1) - 1
            unmarked = pattern is _ORIGINAL_MESSAGE or "\n" in matched.strip()
            for index in range(first, last + 1):
                # a From/Sent/To block's pattern takes in the line after it too: only its fields
                if unmarked and index > first and not _FIELD.match(probed[index]):
                    continue
                found[kept[index]] = found.get(kept[index], False) or unmarked
    return found


def written_lines(
    text: str, ours: Ours, header_patterns: Sequence[re.Pattern[str]]
) -> list[Written]:
    """The lines the grantee wrote, in order, each with the question it sits under (if any)."""
    lines = text.replace("\r\n", "\n").split("\n")
    headers = _header_lines("\n".join(lines), header_patterns)
    kept: list[Written] = []
    under: int | None = None
    last_quoted = -1
    unmarked_original = False  # inside an original that Outlook pastes without "> "
    signature = False
    quoted_since_header = False  # a line of the original seen since the last header
    quoted_above = False  # a quote header or quoted line seen
    for index, line in enumerate(lines):
        stripped = line.strip()
        if index in headers:
            if headers[index]:
                if unmarked_original and quoted_since_header:
                    break  # an older message of the thread: nothing new below
                unmarked_original = True
            quoted_since_header = False
            quoted_above = True
            signature = False
            continue
        # above the first quoted line everything is the grantee's: only below it can a line be
        # ours unmarked, so only then is what we sent needed (a top-posted reply never needs it)
        if stripped.startswith(">") or (stripped and quoted_above and ours.has(stripped)):
            question = QUESTION_LINE.match(stripped.lstrip("> "))
            if question is not None:
                under = int(question.group("n"))
            last_quoted = index
            quoted_above = quoted_since_header = True
            signature = False
            continue
        if not stripped or signature:
            continue
        if unmarked_original and (not ours or not fold(stripped)):
            continue  # nothing to tell our lines from anything added among them, or "--"
        if _RULE.match(stripped):
            continue
        # a signature: not in an original pasted unmarked, where a "--" is our own email's
        if not unmarked_original and (
            _SIGNATURE_START.match(stripped)
            or (kept and _SIGN_OFF.match(stripped))  # "Thanks!" above the answers opens them
            or _LIST_FOOTER.search(stripped)
        ):
            signature = True
            continue
        if (_GREETING.match(stripped) or _SIGN_OFF.match(stripped)) and not QUESTION_LINE.match(
            stripped
        ):
            continue
        kept.append(Written(index + 1, stripped, under))
    # between quoted lines only when the quote goes on after something written: answers all
    # below the quote are a bottom-posted reply, read like a top-posted one
    if any(written.line - 1 < last_quoted for written in kept):
        return kept
    return [Written(written.line, written.text) for written in kept]
