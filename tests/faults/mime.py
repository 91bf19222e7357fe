"""Hypothesis strategies for email as it arrives from the wild: broken MIME, odd charsets, junk."""

from __future__ import annotations

import base64
import quopri
import uuid
from dataclasses import dataclass

from hypothesis import strategies as st

_ANY_TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=80)
# what grantees write, and what tends to break readers of what they write
_BODY_LINES = [
    "1: 12",
    "2) 300",
    "Q3 - 90",
    "12",
    "1: twelve\n2: lots",
    "1: 12\n1: 15",
    "4: 3.5",
    "skip 5",
    "back",
    "later",
    "help",
    "resume",
    "22: <script>alert(1)</script>",
    "> 1. How many sessions did you run?\n12",
    "Thanks,\nAmina",
    "On Mon, 5 Oct 2026, Cohesion Check-ins wrote:\n> 1. How many?",
    "-- \nSent from my phone",
    "\u202e21 :1",
    "1: \x00 12",
    "1:" + " " * 500 + "12",
    "9" * 400,
    "\ufeff1: 12",
]
_HTML = [
    "<p>1: 12</p>",
    "<div>2: 300<br>3: 90</div><blockquote>1. How many?</blockquote>",
    "<html><body><script>1: 99</script><p>1: 12",
    '<div class="gmail_quote"><p>1: 99</p></div><p>1: 12</p>',
    "<p>&#0; &#xD800; &bogus; &lt;b&gt;</p>",
    "<" * 300,
]
CHARSETS = [
    "utf-8",
    "us-ascii",
    "iso-8859-1",
    "windows-1252",
    "koi8-r",
    "shift_jis",
    "utf-16",
    "utf-7",
    "x-no-such-charset",
    "idna",  # codecs Python has, that are no charset of mail and refuse to replace errors
    "undefined",
    "unicode_escape",
    "unknown-8bit",
    'utf-8"; x="',
    "",
]
# the codec the bytes are really in, which may differ from the one declared
CODECS = ["utf-8", "latin-1", "cp1252", "utf-16", "shift_jis", "koi8-r"]
ENCODINGS = ["", "7bit", "8bit", "binary", "base64", "quoted-printable", "x-uuencode", "Base64 "]


@st.composite
def header_values(draw: st.DrawFn, plain: str = "") -> bytes:
    """A header's value: plain text, 8-bit bytes, encoded words (good or broken), NULs, huge."""
    kind = draw(
        st.sampled_from(["plain", "text", "latin1", "utf8", "word", "bad_word", "nul", "huge"])
    )
    text = draw(_ANY_TEXT)
    if kind == "plain" and plain:
        return plain.encode()
    if kind == "latin1":
        return (plain + " " + text).encode("latin-1", "replace")
    if kind == "utf8":
        return (text + " " + plain).encode()
    if kind == "word":
        encoded = base64.b64encode(text.encode()).decode()
        return f"=?utf-8?b?{encoded}?= {plain}".encode()
    if kind == "bad_word":
        return draw(
            st.sampled_from([b"=?x-bogus?q?=ZZ=?=", b"=?utf-8?b?!!!!?=", b"=?utf-8?", b"=?=?=?"])
        )
    if kind == "nul":
        return f"{plain}\x00{text}".encode()
    if kind == "huge":
        size = draw(st.integers(1000, 60_000))
        folded = draw(st.booleans())
        chunk = b"x" * 70 + (b"\r\n " if folded else b"")
        return (chunk * (size // 70))[:size]
    return text.encode("ascii", "replace")


@st.composite
def leaves(draw: st.DrawFn) -> bytes:
    """One non-multipart part: headers, a blank line, a body in some charset and encoding."""
    subtype = draw(st.sampled_from(["plain", "html", "plain", "calendar"]))
    kind = draw(st.sampled_from(["text", "text", "application/octet-stream", "image/png"]))
    ctype = f"text/{subtype}" if kind == "text" else kind
    lines = draw(st.lists(st.sampled_from(_BODY_LINES), min_size=0, max_size=5))
    words = "\n".join([*lines, draw(_ANY_TEXT)])
    if subtype == "html":
        words = "".join(draw(st.lists(st.sampled_from(_HTML), max_size=3))) + words
    codec = draw(st.sampled_from(CODECS))
    body = words.encode(codec, "replace") if draw(st.booleans()) else draw(st.binary(max_size=300))
    charset = draw(st.sampled_from(CHARSETS))
    encoding = draw(st.sampled_from(ENCODINGS))
    if encoding.strip().lower() == "base64":
        body = (
            base64.encodebytes(body)
            if draw(st.booleans())
            else draw(st.sampled_from([b"@@@not base64@@@", b"QUJD=", b"====", b"QQ"]))
        )
    elif encoding == "quoted-printable":
        body = quopri.encodestring(body) if draw(st.booleans()) else body + b"=ZZ=\r\n=4"
    headers = [f"Content-Type: {ctype}" + (f"; charset={charset}" if charset else "")]
    if encoding:
        headers.append(f"Content-Transfer-Encoding: {encoding}")
    if draw(st.booleans()):
        headers.append('Content-Disposition: attachment; filename="=?utf-8?q?f=C3=BCr.csv?="')
    return "\r\n".join(headers).encode() + b"\r\n\r\n" + body


@st.composite
def parts(draw: st.DrawFn, depth: int = 0) -> bytes:
    """A leaf, or a multipart (maybe nested, maybe with its boundary wrong or never closed)."""
    if depth >= 3 or draw(st.integers(0, 2)) == 0:
        return draw(leaves())
    boundary = f"b{uuid.uuid4().hex[:8]}"
    used = boundary if draw(st.integers(0, 4)) else "someone-else"
    subtype = draw(st.sampled_from(["mixed", "alternative", "related", "report", "digest"]))
    declared = f'; boundary="{boundary}"' if draw(st.integers(0, 5)) else ""
    header = f"Content-Type: multipart/{subtype}{declared}".encode()
    children = draw(st.lists(parts(depth + 1), min_size=0, max_size=3))
    body = b"preamble\r\n" if draw(st.booleans()) else b""
    for child in children:
        body += f"--{used}\r\n".encode() + child + b"\r\n"
    if draw(st.booleans()):  # closed; otherwise the message just ends
        body += f"--{used}--\r\n".encode()
    return header + b"\r\n\r\n" + body


@dataclass(frozen=True)
class Delivery:
    """One email as the SMTP server hands it over: bytes, envelope sender, recipient."""

    raw: bytes
    mail_from: str
    rcpt: str


@st.composite
def deliveries(
    draw: st.DrawFn, *, grantee: str, reply_to: str, our_id: str, domain: str
) -> Delivery:
    """An email to a check-in's reply address, broken in any of the ways mail gets broken."""
    if draw(st.integers(0, 19)) == 0:  # now and then, bytes that are no email at all
        raw = draw(st.binary(max_size=2000))
        return Delivery(raw, grantee, reply_to)
    senders = [grantee, grantee.upper(), f"Amina <{grantee}>", "mallory@evil.example.com"]
    senders += [f'"{grantee}" <mallory@evil.example.com>', f"{grantee} <mallory@evil.example>"]
    headers: list[bytes] = []
    sender = draw(st.sampled_from([grantee] * 4 + senders))
    shape = draw(st.integers(0, 9))
    if shape < 6:  # mostly as clients write it, so that many cases get as far as storing
        headers.append(b"From: " + sender.encode())
    elif shape < 9:
        headers.append(b"From: " + draw(header_values(sender)))
    headers.append(b"To: " + reply_to.encode())
    if draw(st.booleans()):
        headers.append(b"Subject: " + draw(header_values("Re: Check-in")))
    choice = draw(st.integers(0, 9))
    if choice < 6:  # a fresh id, mostly: each case is a new message
        headers.append(f"Message-ID: <{uuid.uuid4().hex}@mail.example.org>".encode())
    elif choice < 8:
        headers.append(b"Message-ID: " + draw(header_values(f"<{uuid.uuid4().hex}@x>")))
    elif choice == 8:
        headers.append(b"Message-ID: <" + b"m" * draw(st.integers(250, 3000)) + b"@x>")
    if draw(st.booleans()):
        headers.append(b"In-Reply-To: " + draw(header_values(our_id)))
    for _ in range(draw(st.integers(0, 3))):
        name = draw(st.sampled_from([b"X-Junk", b"Received", b"X-\xff\xfe", b"Comments"]))
        headers.append(name + b": " + draw(header_values()))
    if draw(st.integers(0, 9)) == 0:
        headers.append(b"Auto-Submitted: " + draw(header_values("auto-replied")))
    if draw(st.integers(0, 9)) == 0:
        headers.append(b"this line has no colon at all")
    if draw(st.integers(0, 19)) == 0:
        headers += [b"X-Many: " + str(i).encode() for i in range(2000)]
    body = draw(parts())
    newline = draw(st.sampled_from([b"\r\n", b"\n"]))
    raw = newline.join([*headers, b"MIME-Version: 1.0", body.replace(b"\r\n", newline)])
    rcpt = draw(
        st.sampled_from(
            [reply_to, reply_to.upper(), f"reply+{uuid.uuid4().hex}@{domain}", reply_to]
        )
    )
    # an empty envelope sender marks mail that must never be answered (bounces, auto-replies)
    mail_from = draw(st.sampled_from([grantee] * 12 + ["", "<>", "x@y.z"]))
    return Delivery(raw, mail_from, rcpt)


_HEADER_NAMES = [b"From", b"Message-ID", b"Subject", b"In-Reply-To", b"References"]
_HEADER_NAMES += [b"Auto-Submitted", b"Precedence", b"Content-Type", b"Return-Path"]


@st.composite
def raw_emails(draw: st.DrawFn) -> bytes:
    """Bytes as an SMTP server may hand them over: headers of any sort over any body, or junk."""
    if draw(st.integers(0, 4)) == 0:
        return draw(st.binary(max_size=3000))
    names = draw(st.lists(st.sampled_from(_HEADER_NAMES), max_size=6))
    headers = [name + b": " + draw(header_values()) for name in names]
    return b"\r\n".join([*headers, draw(parts())])
