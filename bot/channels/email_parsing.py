"""Pure email reading: reply tokens, MIME bodies, quote stripping, numbered answers, auto mail."""

from __future__ import annotations

import email
import hashlib
import re
import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from email.errors import HeaderParseError
from email.header import decode_header, make_header
from email.message import Message
from email.utils import getaddresses
from html.parser import HTMLParser

from mailparser_reply.parser import EmailMessage as ReplyText

REPLY_PREFIX = "reply+"
BOUNCE_PREFIX = "bounces+"
# languages whose quote headers and signatures mail-parser-reply knows; English is always added
LANGUAGES = ("en", "fr", "de", "es")
_MESSAGE_ID = re.compile(r"<[^<>\s]+>")
# Longer ids are keyed by a digest: stored keys (and "email:reply:<id>") must fit 255 characters.
_MAX_ID = 200
# Quote headers mail-parser-reply misses: Spanish with a single space before "escribió" (as
# Gmail writes it) and Welsh ("Ar ..., ysgrifennodd X:"; Outlook's "Oddi wrth:/Anfonwyd:").
_EXTRA_QUOTE_HEADER = re.compile(
    r"^[> ]*(?:El\s.+?\s?escribi[oó]:|Ar\s.+?\s?ysgrifennodd.*:"
    r"|Oddi wrth:.*\n[> ]*Anfonwyd:.*)\s*$",
    re.IGNORECASE | re.MULTILINE,
)
# `3: 12`, `3) 12`, `3. 12`, `Q3 - 12`, `Question 3: 12`, `#3 12` is not enough (no separator)
_NUMBERED = re.compile(
    r"^\s*(?:(?P<q>q(?:uestion)?\s*)?#?(?P<n>\d{1,3}))"
    r"(?:\s*[:)\]]|\.(?=\s)|(?(q)\s*[-\u2013\u2014]|\s+[-\u2013\u2014](?=\s)))\s*(?P<text>.*)$",
    re.IGNORECASE,
)
# our own question lines, as a reply quotes them: "> 3. How many sessions ...?"
_QUOTED_QUESTION = re.compile(r"^(?P<n>\d{1,3})\.\s+\S")
_AUTO_SUBJECT = re.compile(
    r"^\s*(?:automatic reply|auto(?:matic)?[- ]?reply|out of (?:the )?office|abwesenheitsnotiz"
    r"|r[ée]ponse automatique|respuesta autom[aá]tica|ateb awtomatig|auto:)",
    re.IGNORECASE,
)


class _HtmlText(HTMLParser):
    """HTML to plain text; quoted blocks (blockquote, Gmail's and Outlook's quote divs) get "> "."""

    _BLOCK = frozenset({"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "table", "hr"})
    _SKIP = frozenset({"style", "script", "head", "title"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = [""]
        self.quote_depth = 0
        self.skip = 0
        self.stack: list[tuple[str, bool]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self.skip += 1
            return
        classes = " ".join(v or "" for k, v in attrs if k in ("class", "id"))
        quote = tag == "blockquote" or any(
            marker in classes for marker in ("gmail_quote", "divRplyFwdMsg", "appendonsend")
        )
        if tag not in ("br", "hr", "img", "meta", "link", "input"):
            self.stack.append((tag, quote))
        if quote:
            self.quote_depth += 1
        if tag in self._BLOCK or quote:
            self.lines.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP:
            self.skip = max(0, self.skip - 1)
            return
        while self.stack:
            open_tag, quote = self.stack.pop()
            if quote:
                self.quote_depth -= 1
            if open_tag == tag:
                break
        if tag in self._BLOCK:
            self.lines.append("")

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        text = " ".join(data.split())
        if not text:
            return
        if not self.lines[-1]:
            self.lines[-1] = "> " * self.quote_depth
            text = text.lstrip()
        elif not self.lines[-1].endswith(" "):
            text = " " + text
        self.lines[-1] += text

    def text(self) -> str:
        out: list[str] = []
        for line in self.lines:
            if line.strip(" >") or (out and out[-1].strip(" >")):
                out.append(line.rstrip())
        return "\n".join(out).strip()


def html_to_text(html: str) -> str:
    parser = _HtmlText()
    parser.feed(html)
    parser.close()
    return parser.text()


# ---- addresses and ids ------------------------------------------------------------------------


def parse_message(raw: bytes) -> Message:
    """The message, parsed leniently (defects are recorded rather than raised).

    The classic model: the modern policy parses every header it is asked for into a structured
    object, which cost more than the rest of reading a reply; the few headers read here are
    read raw (see raw_headers) or decoded where they are shown.
    """
    return email.message_from_bytes(raw)


def token_from_address(address: str, reply_domain: str, prefix: str = REPLY_PREFIX) -> str | None:
    """The token of `reply+TOKEN@reply_domain` (any case), else None."""
    local, at, domain = address.strip().strip("<>").rpartition("@")
    if not at or domain.lower() != reply_domain.lower() or not local.lower().startswith(prefix):
        return None
    token = local[len(prefix) :].lower()
    return token if token.isalnum() else None


def message_ids(value: str | None) -> list[str]:
    # a regex, not the header parser: some Pythons read these headers as unstructured text
    return _MESSAGE_ID.findall(value or "")


def raw_headers(message: Message) -> dict[str, str]:
    """Header name (lower-case) to its first raw value, one line (read once per message, and
    shared: not to be changed).

    The checks below only need the raw text; asking the message for each header would run
    the full structured-header parser every time, which dominated the cost of a reply.
    """
    headers = _read_headers.get(message)
    if headers is None:  # read once: every check on a reply asks for some of them
        headers = _read_headers[message] = {}
        for name, value in message.raw_items():
            headers.setdefault(name.lower(), " ".join(_storable(str(value)).split()))
    return headers


_read_headers: weakref.WeakKeyDictionary[Message, dict[str, str]] = weakref.WeakKeyDictionary()


def _storable(text: str) -> str:
    """Text a database takes: 8-bit header bytes read as UTF-8 (RFC 6532), NULs dropped.

    The parser keeps undecodable bytes as lone surrogates, which no database driver encodes,
    and PostgreSQL refuses NUL in text; either would make a reply fail to be recorded.
    """
    if not text.isascii():
        try:
            data = text.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:  # a surrogate that stands for no byte: nothing to recover
            data = text.encode("utf-8", "replace")
        text = data.decode("utf-8", "replace")
    return text.replace("\x00", "")


def external_id(message: Message, raw: bytes) -> str:
    """The Message-ID, or (some mailers omit it) a digest of the whole message."""
    found = message_ids(raw_headers(message).get("message-id"))
    if found and len(found[0]) <= _MAX_ID:
        return found[0]
    # no id, or one too long to key on: a digest, the same on every delivery of the message
    return f"<sha256:{hashlib.sha256(found[0].encode() if found else raw).hexdigest()}>"


def sender_address(message: Message) -> str | None:
    """The one mailbox in From, lower-case; None when there is none, or more than one.

    `grantee@x.org <evil@y.org>` reads as two mailboxes and so as none: mail clients show the
    first as a display name and deliver to the second, so taking either would be a guess.
    """
    sender = raw_headers(message).get("from", "")
    addresses = [addr for _, addr in getaddresses([sender]) if "@" in addr]
    return addresses[0].lower() if len(addresses) == 1 else None


def referenced_ids(message: Message) -> list[str]:
    """Message-IDs a reply refers to, the one it answers first."""
    headers = raw_headers(message)
    ids = message_ids(headers.get("in-reply-to"))
    ids += reversed(message_ids(headers.get("references")))
    return list(dict.fromkeys(ids))


# ---- automated mail ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Bounce:
    """A delivery status notification: which address failed, and which of our messages."""

    recipients: tuple[str, ...]
    permanent: bool
    original_ids: tuple[str, ...]
    diagnostic: str


def bounce(message: Message) -> Bounce | None:
    """A DSN (RFC 3464 multipart/report; report-type=delivery-status), read; else None."""
    if message.get_content_type() != "multipart/report":
        return None
    if str(message.get_param("report-type", "")).lower() != "delivery-status":
        return None
    recipients: list[str] = []
    statuses: list[str] = []
    diagnostic = ""
    originals: list[str] = []
    for part in message.walk():
        kind = part.get_content_type()
        if kind == "message/delivery-status":
            # each per-recipient block is a sub-"message" of header fields
            for block in part.get_payload() or []:
                if not isinstance(block, Message):
                    continue
                final = str(block.get("Final-Recipient", "")).partition(";")[2].strip()
                if final:
                    recipients.append(final.lower())
                statuses.append(str(block.get("Status", "")).strip())
                diagnostic = diagnostic or str(block.get("Diagnostic-Code", "")).strip()
        elif kind in ("message/rfc822", "text/rfc822-headers"):
            originals += _original_ids(part)
    permanent = any(s.startswith("5") for s in statuses) or not statuses
    return Bounce(tuple(recipients), permanent, tuple(originals), diagnostic)


def _original_ids(part: Message) -> list[str]:
    payload = part.get_payload()
    if isinstance(payload, list):
        return [i for inner in payload if isinstance(inner, Message) for i in _header_ids(inner)]
    text = part.get_payload(decode=True)
    if isinstance(text, bytes):
        return _header_ids(email.message_from_bytes(text))
    return []


def _header_ids(message: Message) -> list[str]:
    return message_ids(str(message.get("Message-ID", "")))


def automated(message: Message, envelope_sender: str) -> str | None:
    """Why this is an auto-reply or other machine mail (never to be answered), else None."""
    headers = raw_headers(message)
    auto = headers.get("auto-submitted", "").strip().lower()
    if auto and not auto.startswith("no"):
        return f"Auto-Submitted: {auto}"
    for header in ("x-autoreply", "x-autorespond", "x-autorespons"):
        if header in headers:
            return f"{header} header"
    precedence = headers.get("precedence", "").strip().lower()
    if precedence in ("bulk", "junk", "auto_reply", "list"):
        return f"Precedence: {precedence}"
    if headers.get("x-loop", "").strip():
        return "X-Loop header"
    if "list-id" in headers or "list-unsubscribe" in headers:
        return "mailing-list headers"
    if envelope_sender.strip() in ("", "<>") or headers.get("return-path", "").strip() == "<>":
        return "empty return path"
    if _AUTO_SUBJECT.match(decoded_header(headers.get("subject", ""))):
        return "auto-reply subject"
    return None


# ---- bodies -----------------------------------------------------------------------------------


def decoded_header(value: str) -> str:
    """A header's text with RFC 2047 encoded words decoded; left as it is if they are broken."""
    if "=?" not in value:
        return value
    try:
        return str(make_header(decode_header(value)))
    except (LookupError, UnicodeError, ValueError, HeaderParseError):
        return value


def _content(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    charset = part.get_content_charset() or "utf-8"
    try:
        text = payload.decode(charset, "replace")
    except (LookupError, UnicodeError):  # a charset Python does not know, or not for mail
        text = payload.decode("utf-8", "replace")
    # PostgreSQL refuses NUL in text: kept, it would make the whole reply fail to be stored
    return text.replace("\x00", "")


def _is_attachment(part: Message) -> bool:
    disposition = str(part.get("Content-Disposition", "")).split(";", 1)[0].strip().lower()
    return disposition == "attachment"


def _body_parts(message: Message) -> Iterator[Message]:
    """Leaf parts that may be the body: not attachments, not inside attached messages."""
    if message.is_multipart():
        for part in message.get_payload() or []:
            if isinstance(part, Message) and not _is_attachment(part):
                if part.get_content_maintype() == "message":
                    continue  # a forwarded or bounced message is not what the grantee wrote
                yield from _body_parts(part)
    elif not _is_attachment(message):
        yield message


def body_text(message: Message) -> str:
    """The reply as plain text: the text/plain part, else the HTML part converted."""
    plain = html = None
    for part in _body_parts(message):
        kind = part.get_content_type()
        if kind == "text/plain" and plain is None:
            plain = part
        elif kind == "text/html" and html is None:
            html = part
    if plain is not None:
        return _content(plain).replace("\r\n", "\n")
    if html is not None:
        return html_to_text(_content(html))
    return ""


def attachments(message: Message) -> tuple[str, ...]:
    names = []
    for part in message.walk():
        if part.is_multipart():
            continue
        if _is_attachment(part):
            filename = part.get_filename()
            names.append(decoded_header(filename) if filename else part.get_content_type())
    return tuple(names)


# ---- the reply's words ------------------------------------------------------------------------


def _before_closing_quote(text: str) -> str:
    """The text above a block of quoted lines that runs to the end, as top-posted replies have.

    That block is the earlier email, dropped in any case; leaving it out spares the reply
    parser's many-language patterns a scan of all of it. Text with anything written below a
    quoted line (inline answers) is kept whole.
    """
    lines = text.splitlines(keepends=True)
    first_quoted: int | None = None
    for index, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith(">"):
            if first_quoted is None:
                first_quoted = index
        elif stripped and first_quoted is not None:
            return text
    # its first line stays: the parser reads a text ending in a quote as the full one
    return text if first_quoted is None else "".join(lines[: first_quoted + 1])


def strip_quoted(text: str) -> str:
    """The newest part of a reply: quoted text, quote headers and signatures removed."""
    extra = _EXTRA_QUOTE_HEADER.search(text)
    if extra is not None:
        text = text[: extra.start()]
    text = _before_closing_quote(text)
    parsed = ReplyText(text=text, languages=list(LANGUAGES), keep_hyphen_lists=True).read()
    top = parsed.replies[0].body if parsed.replies else ""
    return "\n".join(line for line in top.splitlines() if not line.lstrip().startswith(">"))


def _clean(text: str) -> str:
    return strip_quoted(text).strip()


def inline_answers(text: str) -> list[tuple[int, str]]:
    """Answers written under each quoted question ("> 3. How many ...?" then "12")."""
    found: dict[int, list[str]] = {}
    current: int | None = None
    for line in text.replace("\r\n", "\n").splitlines():
        stripped = line.strip()
        if stripped.startswith(">"):
            question = _QUOTED_QUESTION.match(stripped.lstrip("> "))
            if question is not None:
                current = int(question.group("n"))
            continue
        if current is not None and stripped:
            found.setdefault(current, []).append(stripped)
    answers = []
    for number, lines in found.items():
        cleaned = _clean("\n".join(lines))
        if cleaned:
            answers.append((number, cleaned))
    return answers


def numbered_answers(text: str) -> list[tuple[int, str]]:
    """`3: 12` style lines; the lines after one (up to the next) continue its answer."""
    answers: list[tuple[int, list[str]]] = []
    for line in text.splitlines():
        match = _NUMBERED.match(line)
        if match is not None:
            answers.append((int(match.group("n")), [match.group("text").strip()]))
        elif answers and line.strip():
            answers[-1][1].append(line.strip())
    return [(n, "\n".join(part for part in lines if part)) for n, lines in answers]


@dataclass(frozen=True)
class ReadReply:
    """What a grantee wrote, before it meets the framework."""

    numbered: tuple[tuple[int, str], ...]  # (question number, answer), in the order written
    text: str  # the whole new text, used when nothing is numbered
    attachments: tuple[str, ...]


def read_reply(message: Message) -> ReadReply:
    full = body_text(message)
    top = _clean(full)
    numbered = numbered_answers(top)
    if not numbered:
        numbered = inline_answers(full)
    return ReadReply(tuple(numbered), top, attachments(message))
