"""Response headers, form tokens (CSRF) and an access log that never writes a link's token."""

from __future__ import annotations

import base64
import enum
import hashlib
import hmac
import logging
import re
import secrets

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from aiohttp.typedefs import Handler, Middleware
from aiohttp.web_request import BaseRequest
from aiohttp.web_response import StreamResponse

# No script at all, styles and images from this app only (charts are data: URIs), forms post
# back here only, never framed; the token in the path never leaves in a Referer header.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
}
_POLICY = "Content-Security-Policy"
_STYLE_BLOCK = re.compile(r"<style>(.*?)</style>", re.DOTALL)
COOKIE_NAME = "checkins_form"  # the link-request form's double-submit cookie
_TOKEN_IN_PATH = re.compile(r"/(checkin|p)/[^/?#]+")
# A participant form's page may stay open while someone thinks; past 20 hours WCAG 2.2.1 asks
# for no warning, and a key that old only gets the form back with its answers kept.
SIGNED_KEY_MAX_AGE = 24 * 3600
SIGNED_KEY_SKEW = 300  # seconds a key may seem to come from the future (instances' clocks)


def secure_headers(https: bool) -> Middleware:
    """Every response gets the headers above; pages behind a link are never cached."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            response: web.StreamResponse = await handler(request)
        except web.HTTPException as exc:
            _add_headers(request, exc, https)
            raise
        _add_headers(request, response, https)
        return response

    return middleware


def _add_headers(request: web.Request, response: web.StreamResponse, https: bool) -> None:
    policy = response.headers.get(_POLICY)  # a page's own, narrower one (see inline_style_policy)
    response.headers.update(_HEADERS)
    if policy is not None:
        response.headers[_POLICY] = policy
    if https:
        response.headers["Strict-Transport-Security"] = "max-age=31536000"
    if not request.path.startswith("/static/"):
        response.headers["Cache-Control"] = "no-store"


def inline_style_policy(page: str) -> str:
    """The policy for a page that carries its own style (the printable form, which also has to
    work saved as a file): its <style> blocks allowed by their hashes, and no other style."""
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(block.encode()).digest()).decode() + "'"
        for block in _STYLE_BLOCK.findall(page)
    )
    return CONTENT_SECURITY_POLICY.replace("style-src 'self'", "style-src " + (hashes or "'none'"))


def redacted_path(path: str) -> str:
    """A request path as logs may show it: /checkin/<token>/... becomes /checkin/…/..., and a
    participant form's /p/<token> becomes /p/…, so that no log ties an address to a form."""
    return _TOKEN_IN_PATH.sub(lambda found: f"/{found.group(1)}/…", path)


class RedactingAccessLogger(AbstractAccessLogger):
    """aiohttp's access log without the query string and with link tokens cut out."""

    def log(self, request: BaseRequest, response: StreamResponse, time: float) -> None:
        self.logger.info(
            "%s %s %s %d %.1fms",
            request.remote or "-",
            request.method,
            redacted_path(request.path),
            response.status,
            time * 1000,
        )

    @property
    def enabled(self) -> bool:
        return self.logger.isEnabledFor(logging.INFO)


def form_key_matches(expected: str, given: str | None) -> bool:
    """The hidden field a link's forms carry, compared in constant time."""
    return given is not None and hmac.compare_digest(expected.encode(), given.encode())


def new_cookie_value() -> str:
    return secrets.token_urlsafe(32)


def double_submit_ok(request: web.Request, given: str | None) -> bool:
    """The link-request form: its hidden field must equal the cookie set with the form."""
    cookie = request.cookies.get(COOKIE_NAME)
    return bool(cookie) and form_key_matches(cookie or "", given)


class KeyCheck(enum.StrEnum):
    OK = "ok"
    MISSING = "missing"
    FORGED = "forged"  # not made here, or for another form
    EXPIRED = "expired"  # made here, longer ago than SIGNED_KEY_MAX_AGE


def signed_form_key(secret: str, scope: str, issued: int) -> str:
    """A form key for a page with no session (a participant form): when it was made, signed with
    the server's secret for this form, so that any instance can check it without storing it."""
    return f"{issued}.{_signature(secret, scope, issued)}"


def check_signed_form_key(secret: str, scope: str, given: str | None, now: float) -> KeyCheck:
    if not given:
        return KeyCheck.MISSING
    issued_text, _, signature = given.partition(".")
    if not issued_text.isdigit() or len(issued_text) > 12:
        return KeyCheck.FORGED
    issued = int(issued_text)
    if not form_key_matches(_signature(secret, scope, issued), signature):
        return KeyCheck.FORGED
    if issued > now + SIGNED_KEY_SKEW:
        return KeyCheck.FORGED
    if now - issued > SIGNED_KEY_MAX_AGE:
        return KeyCheck.EXPIRED
    return KeyCheck.OK


def _signature(secret: str, scope: str, issued: int) -> str:
    # a key of its own, so that a form key never equals any other value made with the secret
    key = hmac.new(secret.encode(), b"signed form key", hashlib.sha256).digest()
    return hmac.new(key, f"{scope}\x00{issued}".encode(), hashlib.sha256).hexdigest()[:32]
