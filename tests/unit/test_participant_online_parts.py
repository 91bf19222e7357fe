"""The online form's pure parts: form keys, client addresses, typed tokens, log redaction."""

from __future__ import annotations

import ipaddress

import pytest
from aiohttp.test_utils import make_mocked_request

from bot.channels.web.clients import client_address
from bot.channels.web.security import (
    SIGNED_KEY_MAX_AGE,
    KeyCheck,
    check_signed_form_key,
    redacted_path,
    signed_form_key,
)
from bot.participants.online import typed_token
from bot.participants.printable import form_token

SECRET = "a-secret-of-some-length"
TOKEN = form_token(SECRET, 7, "2026 Q4", "follow_up")
LOOPBACK = (ipaddress.ip_network("127.0.0.1"), ipaddress.ip_network("::1"))


def test_a_form_key_is_checked_for_its_form_its_signature_and_its_age() -> None:
    now = 1_800_000_000
    key = signed_form_key(SECRET, TOKEN, now)
    assert check_signed_form_key(SECRET, TOKEN, key, now + 60) is KeyCheck.OK
    assert check_signed_form_key(SECRET, TOKEN, None, now) is KeyCheck.MISSING
    assert check_signed_form_key(SECRET, TOKEN, "", now) is KeyCheck.MISSING
    other_form = form_token(SECRET, 8, "2026 Q4", "follow_up")
    assert check_signed_form_key(SECRET, other_form, key, now) is KeyCheck.FORGED
    assert check_signed_form_key("another-secret-entirely", TOKEN, key, now) is KeyCheck.FORGED
    issued, _, signature = key.partition(".")
    for forged in (f"{now + 1}.{signature}", f"{issued}.{signature[:-1]}0", "x.y", "12", "."):
        assert check_signed_form_key(SECRET, TOKEN, forged, now) is KeyCheck.FORGED, forged
    assert check_signed_form_key(SECRET, TOKEN, key, now + SIGNED_KEY_MAX_AGE) is KeyCheck.OK
    late = now + SIGNED_KEY_MAX_AGE + 1
    assert check_signed_form_key(SECRET, TOKEN, key, late) is KeyCheck.EXPIRED
    future = signed_form_key(SECRET, TOKEN, now + 3600)  # signed here, yet from the future
    assert check_signed_form_key(SECRET, TOKEN, future, now) is KeyCheck.FORGED


@pytest.mark.parametrize(
    ("peer", "forwarded", "trusted", "expected"),
    [
        ("203.0.113.5", None, LOOPBACK, "203.0.113.5"),
        ("203.0.113.5", "198.51.100.7", LOOPBACK, "203.0.113.5"),  # not from a trusted proxy
        ("127.0.0.1", "198.51.100.7", LOOPBACK, "198.51.100.7"),
        ("127.0.0.1", "10.0.0.1, 198.51.100.7", LOOPBACK, "198.51.100.7"),  # the proxy's entry
        ("127.0.0.1", "198.51.100.7", (), "127.0.0.1"),  # trusted_proxies = []
        ("127.0.0.1", "not an address", LOOPBACK, "127.0.0.1"),
        ("::ffff:127.0.0.1", "2001:db8::1", LOOPBACK, "2001:db8::1"),
        ("10.0.0.9", "198.51.100.7", (ipaddress.ip_network("10.0.0.0/24"),), "198.51.100.7"),
    ],
)
def test_the_client_address_trusts_only_the_trusted_proxys_entry(
    peer: str, forwarded: str | None, trusted: tuple[object, ...], expected: str
) -> None:
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    request = make_mocked_request("POST", f"/p/{TOKEN}", headers=headers).clone(remote=peer)
    assert client_address(request, trusted) == expected  # type: ignore[arg-type]


def test_a_token_is_read_as_people_type_it() -> None:
    assert typed_token(TOKEN.upper()) == TOKEN
    assert typed_token(" abcdefghijklmnop ") == "abcdefghijklmnop"
    assert typed_token("0123456789") == "olb"[0] + "l" + "234567" + "b" + "9"
    assert len(TOKEN) == 16 and set(TOKEN) <= set("abcdefghijklmnopqrstuvwxyz234567")


def test_logs_never_show_a_forms_token() -> None:
    assert redacted_path(f"/p/{TOKEN}") == "/p/…"
    assert redacted_path(f"/p/{TOKEN}/poster") == "/p/…/poster"
    assert redacted_path("/static/poster.css") == "/static/poster.css"
