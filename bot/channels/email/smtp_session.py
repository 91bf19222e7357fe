"""The inbound SMTP protocol: aiosmtpd's, with cheaper envelope reading and session setup."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from aiosmtpd.smtp import SMTP

# An address as mail servers send it in MAIL FROM and RCPT TO: <dot-atom@domain>, then any
# parameters. The local part is RFC 5322's dot-atom; the domain plain labels.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_ADDRESS = rf"{_ATOM}(?:\.{_ATOM})*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*"
# an address that needs no quoting anywhere: as it is, it is its own envelope form
PLAIN_ADDRESS = re.compile(_ADDRESS)
# aiosmtpd drops the spaces (and comments) before the parameters, so a comment goes to it.
_PLAIN = re.compile(rf"<({_ADDRESS})>(?:[ \t]+([^\s(].*))?", re.DOTALL)


# the prefixes by which aiosmtpd finds commands, AUTH mechanisms and handler hooks
_HOOK_PREFIXES = ("smtp_", "auth_", "handle_")
_HOOK_NAMES: dict[type, tuple[str, ...]] = {}


def _hook_names(cls: type) -> tuple[str, ...]:
    names = _HOOK_NAMES.get(cls)
    if names is None:
        names = _HOOK_NAMES[cls] = tuple(n for n in dir(cls) if n.startswith(_HOOK_PREFIXES))
    return names


class HookNames:
    """Lists only the attributes aiosmtpd looks up by prefix, found once per class.

    aiosmtpd builds its tables of commands and hooks anew for every session, from `dir()` and
    `inspect.getmembers()` of the session and its handler: with hundreds of attributes to walk,
    that was a fiftieth of the work of a one-reply session. Only which names `dir()` lists
    changes; every attribute is still there, and a test checks that the tables come out the same.
    """

    def __dir__(self) -> list[str]:
        names = _hook_names(type(self))
        own = [name for name in vars(self) if name.startswith(_HOOK_PREFIXES)]
        return [*names, *(name for name in own if name not in names)]


class InboundSMTP(HookNames, SMTP):
    """aiosmtpd's SMTP session: set up from names found once, multi-line replies written in one
    go, and the envelope's plain addresses read by one pattern.

    aiosmtpd reads every address with the email package's header parser, and defines a class
    on every MAIL and RCPT; on a server that takes one short SMTP session per reply that was
    about a twentieth of its work. Addresses the pattern does not match (quoted local parts,
    address literals, comments, source routes, the null sender) go to aiosmtpd's own reading;
    a property test checks that both give the same result wherever the pattern matches.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._continued: list[bytes] = []
        self._push_encoding = "utf-8" if self.enable_SMTPUTF8 else "ascii"

    def _getaddr(self, arg: str) -> tuple[str | None, str | None]:
        plain = _PLAIN.fullmatch(arg) if arg else None
        if plain is None:
            return super()._getaddr(arg)
        address = plain.group(1)
        if self.local_part_limit and len(address.rpartition("@")[0]) > self.local_part_limit:
            return None, None
        return address, plain.group(2) or ""

    async def push(self, status: str | bytes) -> None:
        # A multi-line reply (EHLO's, above all) goes out in one write rather than one a line:
        # the same bytes, with a third fewer writes in a one-reply session.
        line = status if isinstance(status, bytes) else status.encode(self._push_encoding)
        if line[3:4] == b"-":  # "250-...": more lines of this reply follow at once
            if not self._continued:  # and should they not, the line still goes out
                asyncio.get_running_loop().call_soon(self._write_continued)
            self._continued.append(line)
            return
        if self._continued:
            line = b"\r\n".join([*self._continued, line])
            self._continued.clear()
        await super().push(line)

    def _write_continued(self) -> None:
        if self._continued and self.transport is not None:
            self._writer.write(b"\r\n".join([*self._continued, b""]))
            self._continued.clear()
