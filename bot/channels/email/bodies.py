"""A message's text: its plain part, or its HTML part read as text, and what it had attached."""

from __future__ import annotations

from collections.abc import Iterator
from email.errors import HeaderParseError
from email.header import decode_header, make_header
from email.message import Message
from html.parser import HTMLParser


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


def decoded_header(value: str) -> str:
    """A header's text with RFC 2047 encoded words decoded; left as it is if they are broken."""
    if "=?" not in value:
        return value
    try:
        return str(make_header(decode_header(value)))
    except (LookupError, UnicodeError, ValueError, HeaderParseError):
        return value
