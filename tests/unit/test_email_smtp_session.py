"""The inbound server's SMTP sessions: what aiosmtpd's would read and write, done cheaper."""

from __future__ import annotations

import asyncio

from aiosmtpd.smtp import SMTP
from hypothesis import given
from hypothesis import strategies as st

from bot.channels.email.inbound import _Handler
from bot.channels.email.smtp_session import InboundSMTP

# local parts and domains from characters that are plain, special, or breaking
_CHARS = st.sampled_from(list("abcXYZ019.-_+=!#'~@<>\"() [],;:\\\t"))
_PART = st.text(_CHARS, min_size=0, max_size=12)


def _servers() -> tuple[SMTP, InboundSMTP]:
    loop = asyncio.new_event_loop()
    return SMTP(object(), hostname="x", loop=loop), InboundSMTP(object(), hostname="x", loop=loop)


ORIGINAL, OURS = _servers()


def _read(server: SMTP, arg: str) -> object:
    """What the server reads from a MAIL or RCPT argument, or the error it raises (aiosmtpd's
    own reading raises on some broken domains, and ours must then do the same)."""
    try:
        return server._getaddr(arg)
    except Exception as exc:
        return type(exc)


@given(
    local=_PART,
    domain=_PART,
    rest=st.sampled_from(
        ["", " SIZE=123", "  BODY=8BITMIME", " x", "x", " (c) SIZE=1", " ", "\t SIZE=1 "]
    ),
)
def test_envelope_addresses_read_as_aiosmtpd_reads_them(local: str, domain: str, rest: str) -> None:
    arg = f"<{local}@{domain}>{rest}"
    assert _read(OURS, arg) == _read(ORIGINAL, arg)


@given(st.text(max_size=40))
def test_any_text_reads_as_aiosmtpd_reads_it(arg: str) -> None:
    assert _read(OURS, arg) == _read(ORIGINAL, arg)


def test_plain_addresses_and_the_null_sender() -> None:
    assert OURS._getaddr("<Amina.K+q4@Unity.example.org> SIZE=900") == (
        "Amina.K+q4@Unity.example.org",
        "SIZE=900",
    )
    assert OURS._getaddr("<>") == ORIGINAL._getaddr("<>")
    assert OURS._getaddr("") == ("", "")


def test_the_local_part_limit_still_applies() -> None:
    OURS.local_part_limit = ORIGINAL.local_part_limit = 4
    try:
        assert OURS._getaddr("<abcde@example.org>") == (None, None)
        assert OURS._getaddr("<abcd@example.org>") == ORIGINAL._getaddr("<abcd@example.org>")
    finally:
        OURS.local_part_limit = ORIGINAL.local_part_limit = 0


def test_sessions_find_the_same_commands_mechanisms_and_hooks_as_aiosmtpd() -> None:
    # the inbound server's handler and session list only the names aiosmtpd looks up by prefix
    class PlainHandler(_Handler):
        def __dir__(self) -> list[str]:
            return object.__dir__(self)

    loop = asyncio.new_event_loop()
    try:
        ours = InboundSMTP(_Handler(None), hostname="x", loop=loop)  # type: ignore[arg-type]
        plain = SMTP(PlainHandler(None), hostname="x", loop=loop)  # type: ignore[arg-type]
    finally:
        loop.close()
    assert sorted(ours._smtp_methods) == sorted(plain._smtp_methods)
    assert "DATA" in ours._smtp_methods and "EHLO" in ours._smtp_methods
    assert sorted(ours._auth_methods) == sorted(plain._auth_methods) != []
    assert sorted(ours._handle_hooks) == sorted(plain._handle_hooks) == ["DATA", "RCPT"]
    assert [m.__func__ for m in ours._handle_hooks.values()] == [
        m.__func__ for m in (plain._handle_hooks[k] for k in ours._handle_hooks)
    ]


class _Writes(SMTP):
    """Counts the writes a session makes (the pushes that reach aiosmtpd's own)."""

    writes: list[bytes]

    async def push(self, status: str | bytes) -> None:
        self.writes.append(status if isinstance(status, bytes) else status.encode())
        await super().push(status)


class _CountedInbound(InboundSMTP, _Writes):
    """Ours, with its writes counted where they reach aiosmtpd's own."""


async def _session(server_class: type[SMTP]) -> tuple[bytes, list[bytes]]:
    """Everything a client reads in an EHLO, MAIL, RCPT, DATA, QUIT session, and the writes."""
    writes: list[bytes] = []

    class Counted(server_class):  # type: ignore[valid-type,misc]
        """The class under test, counting into this session's list."""

    Counted.writes = writes

    class Keep:
        async def handle_DATA(self, server: SMTP, session: object, envelope: object) -> str:
            return "250 OK kept"

    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: Counted(Keep(), hostname="x.example.org", data_size_limit=1000), "127.0.0.1", 0
    )
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    script = [
        b"EHLO client.example.org",
        b"MAIL FROM:<a@example.org> SIZE=20",
        b"RCPT TO:<b@example.org>",
        b"DATA",
        b"Subject: hi\r\n\r\nhello\r\n.",
        b"QUIT",
    ]
    read = await reader.readline()
    for command in script:
        writer.write(command + b"\r\n")
        while True:
            line = await reader.readline()
            read += line
            if line[3:4] != b"-":
                break
    writer.close()
    server.close()
    await server.wait_closed()
    return read, writes


async def test_a_session_reads_the_same_and_ehlo_goes_out_in_one_write() -> None:
    theirs, their_writes = await _session(_Writes)
    ours, our_writes = await _session(_CountedInbound)
    assert ours == theirs  # byte for byte, every reply of the session
    assert b"250-x.example.org\r\n250-SIZE 1000\r\n" in ours and b"250 HELP\r\n" in ours
    ehlo = [write for write in our_writes if write.startswith(b"250-x.example.org")]
    assert ehlo == [b"250-x.example.org\r\n250-SIZE 1000\r\n250-8BITMIME\r\n250 HELP"]
    assert len(our_writes) == len(their_writes) - 3  # its four lines in one write, not four


async def test_a_continued_line_with_nothing_after_it_still_goes_out() -> None:
    class Continuing:
        async def handle_NOOP(
            self, server: SMTP, session: object, envelope: object, arg: str
        ) -> str:
            return "250-first of more"  # malformed, but what it was given is still sent

    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: InboundSMTP(Continuing(), hostname="x"), "127.0.0.1", 0
    )
    reader, writer = await asyncio.open_connection("127.0.0.1", server.sockets[0].getsockname()[1])
    try:
        await reader.readline()  # the greeting
        writer.write(b"NOOP\r\n")
        assert await asyncio.wait_for(reader.readline(), 5) == b"250-first of more\r\n"
    finally:
        writer.close()
        server.close()
        await server.wait_closed()
