"""The relay's bytes for an email: lines within the limits, every part reading back as built."""

from __future__ import annotations

import base64
import email
import email.generator
import email.policy
import io
from email.header import Header
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.channels.email.outbound import EmailChannel, _text_part
from bot.channels.email.relay import _wire_form
from bot.conversation.channel import Delivery
from bot.settings import Settings
from storage.email import OutgoingEmail

REFERENCES = " ".join(f"<{n}.{'a' * 30}@replies.example.org>" for n in range(20))


def standard_bytes(message: email.message.Message) -> bytes:
    buffer = io.BytesIO()
    policy = email.policy.compat32.clone(linesep="\r\n")
    email.generator.BytesGenerator(buffer, mangle_from_=False, policy=policy).flatten(message)
    return buffer.getvalue()


def built(subject: str, references: str) -> MIMEMultipart:
    message = MIMEMultipart("alternative")
    message["Subject"] = subject
    message["From"] = "Check-ins <checkins@example.org>"
    message["To"] = "Amina Yusuf <amina@example.org>"
    message["References"] = references
    message["Auto-Submitted"] = "auto-generated"
    message.attach(MIMEText("1. How many sessions did you run?\n", "plain", "utf-8"))
    message.attach(MIMEText("<p>Dîner partagé</p>", "html", "utf-8"))
    return message


@pytest.mark.parametrize(
    "subject",
    [
        "Check-in for a programme with a very long name indeed, 2026 Q4: 3 of 20 answered",
        Header("Café Cymraeg, 2026 Q4: 3 o 20", "utf-8").encode(),  # as the email builder makes it
    ],
)
def test_long_headers_fold_within_the_line_limit_and_read_back_the_same(subject: str) -> None:
    message = built(subject, REFERENCES)
    raw, _ = _wire_form(message)
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    assert all(len(line) <= 78 for line in lines)
    # the References: one id a line after the first, each continuation line indented
    start = next(n for n, line in enumerate(lines) if line.startswith(b"References:"))
    ids = [lines[start].removeprefix(b"References: ")]
    for line in lines[start + 1 :]:
        if not line.startswith(b" "):
            break
        ids.append(line)
    assert [i.strip().decode() for i in ids] == REFERENCES.split()
    # and a receiving server reads what the standard generator would have written
    ours, theirs = email.message_from_bytes(raw), email.message_from_bytes(standard_bytes(message))
    for name in ("Subject", "From", "To", "References", "Auto-Submitted"):
        assert " ".join(ours[name].split()) == " ".join(theirs[name].split()), name
    assert [p.get_payload(decode=True) for p in ours.walk()] == [
        p.get_payload(decode=True) for p in theirs.walk()
    ]
    assert body == standard_bytes(message).partition(b"\r\n\r\n")[2]


def test_a_built_email_with_charts_reads_back_part_for_part() -> None:
    channel = EmailChannel(Settings.model_validate({"email": {"reply_domain": "r.example.org"}}))
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4  # any bytes: base64 carries them
    payload = {
        "subject": "How your 2026 Q4 check-in compares",
        # text that looks like boundaries and quoted-printable escapes must not confuse either
        "text": "--=_abc\n=3D =_ 78% of 41 agree\n" + "Dîner partagé. " * 20,
        "html": '<p>78% <img src="cid:chart-p1"></p>',
        "images": {"chart-p1": base64.b64encode(png).decode()},
    }
    thread = OutgoingEmail(7, "ab" * 20, "<7.x@r.example.org>", ("<6.x@r.example.org>",))
    message = channel.build(Delivery(7, "amina@example.org", payload), thread)
    raw, _ = _wire_form(message)
    parsed = email.message_from_bytes(raw)
    boundaries = [part.get_boundary() for part in parsed.walk() if part.is_multipart()]
    assert len(boundaries) == 2 and all(b and b.startswith("=_") for b in boundaries)
    leaves = [part for part in parsed.walk() if not part.is_multipart()]
    assert [part.get_content_type() for part in leaves] == ["text/plain", "text/html", "image/png"]
    text = leaves[0].get_payload(decode=True)
    assert isinstance(text, bytes)
    assert text.decode().replace("\r\n", "\n") == payload["text"]
    assert leaves[2].get_payload(decode=True) == png
    assert leaves[2]["Content-ID"] == "<chart-p1>"
    assert parsed["In-Reply-To"] == "<6.x@r.example.org>"


@settings(max_examples=300, deadline=None)
@given(
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\r"), max_size=400)
)
def test_any_text_part_reads_back_exactly_with_every_line_within_the_limit(text: str) -> None:
    raw, _ = _wire_form(_text_part(text, "plain"))
    head, _, body = raw.partition(b"\r\n\r\n")
    assert b"Content-Transfer-Encoding: quoted-printable" in head.split(b"\r\n")
    assert all(len(line) <= 76 for line in body.split(b"\r\n"))
    part = email.message_from_bytes(raw)
    assert part.get_content_charset() == "utf-8"
    decoded = part.get_payload(decode=True)
    assert isinstance(decoded, bytes)
    assert decoded.decode("utf-8").replace("\r\n", "\n") == text
