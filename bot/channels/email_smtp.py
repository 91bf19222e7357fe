"""The inbound SMTP protocol: aiosmtpd's, reading plain envelope addresses without a parser."""

from __future__ import annotations

import re

from aiosmtpd.smtp import SMTP

# An address as mail servers send it in MAIL FROM and RCPT TO: <dot-atom@domain>, then any
# parameters. The local part is RFC 5322's dot-atom; the domain plain labels.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
# aiosmtpd drops the spaces (and comments) before the parameters, so a comment goes to it.
_PLAIN = re.compile(
    rf"<({_ATOM}(?:\.{_ATOM})*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*)>(?:[ \t]+([^\s(].*))?",
    re.DOTALL,
)


class InboundSMTP(SMTP):
    """aiosmtpd's SMTP session, with the envelope's plain addresses read by one pattern.

    aiosmtpd reads every address with the email package's header parser, and defines a class
    on every MAIL and RCPT; on a server that takes one short SMTP session per reply that was
    about a twentieth of its work. Addresses the pattern does not match (quoted local parts,
    address literals, comments, source routes, the null sender) go to aiosmtpd's own reading;
    a property test checks that both give the same result wherever the pattern matches.
    """

    def _getaddr(self, arg: str) -> tuple[str | None, str | None]:
        plain = _PLAIN.fullmatch(arg) if arg else None
        if plain is None:
            return super()._getaddr(arg)
        address = plain.group(1)
        if self.local_part_limit and len(address.rpartition("@")[0]) > self.local_part_limit:
            return None, None
        return address, plain.group(2) or ""
