"""The relay's bytes for an email are exactly what the standard library's generator writes."""

from __future__ import annotations

import email
import email.generator
import email.policy
import io
from email.header import Header
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

import pytest

from bot.channels.email_relay import _wire_form

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
    ("subject", "references"),
    [
        ("Check-in for Bridges, 2026 Q4: 3 of 20 answered", "<1.abc@replies.example.org>"),
        # long enough to be folded, and non-ASCII encoded as the email builder does
        ("Check-in for a programme with a very long name indeed, 2026 Q4: 3 of 20", REFERENCES),
        (Header("Café Cymraeg, 2026 Q4: 3 o 20", "utf-8").encode(), REFERENCES),
    ],
)
def test_the_wire_form_is_byte_for_byte_the_standard_one(subject: str, references: str) -> None:
    message = built(subject, references)
    raw, recipients = _wire_form(message)
    assert raw == standard_bytes(message)
    assert recipients == ["amina@example.org"]
    # and what a receiving server reads back is what was built
    parsed = email.message_from_bytes(raw)
    assert parsed["References"].split() == references.split()
    assert parsed["Subject"].replace("\r\n", "").replace("\n", "") == subject.replace("\n", "")
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))
