"""The inbound server reads envelope addresses exactly as aiosmtpd does."""

from __future__ import annotations

import asyncio

from aiosmtpd.smtp import SMTP
from hypothesis import given
from hypothesis import strategies as st

from bot.channels.email_smtp import InboundSMTP

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
