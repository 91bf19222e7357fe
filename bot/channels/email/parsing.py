"""Pure email reading: reply tokens, bounces, automated mail, the lines a grantee wrote."""

from __future__ import annotations

import email
import functools
import hashlib
import re
import weakref
from collections.abc import Iterable
from dataclasses import dataclass
from email.message import Message
from email.utils import getaddresses

from mailparser_reply.parser import EmailMessage as ReplyText

from bot.channels.email.bodies import attachments, body_text, decoded_header, html_to_text
from bot.channels.email.lines import Ours, Written, written_lines

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
_AUTO_SUBJECT = re.compile(
    r"^\s*(?:automatic reply|auto(?:matic)?[- ]?reply|out of (?:the )?office|abwesenheitsnotiz"
    r"|r[ée]ponse automatique|respuesta autom[aá]tica|ateb awtomatig|auto:)",
    re.IGNORECASE,
)


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


@dataclass(frozen=True)
class ReadReply:
    """What a grantee wrote, before it meets the framework: their lines, by line number."""

    written: tuple[Written, ...]
    attachments: tuple[str, ...]
    compared: bool = False  # whether reading it needed the emails we sent (see `ours`)

    @property
    def text(self) -> str:
        """The whole new text, quotes, signatures and our own lines left out."""
        return "\n".join(line.text for line in self.written)


@functools.cache
def quote_headers() -> tuple[re.Pattern[str], ...]:
    """The patterns of the lines that introduce a quoted email, in the languages we read:
    mail-parser-reply's (built once; it builds them anew for every text it is given), and ours."""
    header = ReplyText(text="", languages=list(LANGUAGES)).HEADER_REGEX
    return (header, _EXTRA_QUOTE_HEADER)


def our_emails(texts: Iterable[str]) -> Ours:
    """What we sent, as a reply may quote it: each email's text, and its HTML part as text."""
    return Ours(html_to_text(t) if t.lstrip().startswith("<") else t for t in texts)


def read_reply(message: Message, ours: Ours | None = None) -> ReadReply:
    """The lines the grantee wrote; `ours` are the emails we sent in the thread, never read
    as answers wherever the reply quotes them. Read without them first: `compared` then says
    whether they were needed (most replies, written above the quote, do not need them)."""
    full = body_text(message)
    ours = ours if ours is not None else Ours(())
    written = written_lines(full, ours, quote_headers())
    return ReadReply(tuple(written), attachments(message), ours.consulted)
