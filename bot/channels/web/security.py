"""Response headers, form tokens (CSRF) and an access log that never writes a link's token."""

from __future__ import annotations

import base64
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
_TOKEN_IN_PATH = re.compile(r"/checkin/[^/?#]+")


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
    """A request path as logs may show it: /checkin/<token>/... becomes /checkin/…/..."""
    return _TOKEN_IN_PATH.sub("/checkin/…", path)


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
