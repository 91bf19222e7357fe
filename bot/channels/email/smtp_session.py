"""The inbound SMTP protocol: aiosmtpd's session, as published."""

from __future__ import annotations

from aiosmtpd.smtp import SMTP


class InboundSMTP(SMTP):
    """The session class the inbound server builds for each connection: aiosmtpd's own."""
