"""Asking for a new link by email address: the same answer whether the address is known or not."""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Sequence

from aiohttp import web
from email_validator import EmailNotValidError, validate_email

from bot.channels.web.clients import Network, client_address
from bot.channels.web.ratelimit import RateLimit
from bot.channels.web.security import (
    COOKIE_NAME,
    double_submit_ok,
    new_cookie_value,
)
from bot.channels.web.views import Views
from bot.conversation.dispatcher import Dispatcher
from bot.conversation.standing import open_checkins_for_email
from bot.conversation.web_links import Links
from storage.records import CheckInContext, OutboundWrite

log = logging.getLogger(__name__)
REQUESTS_PER_ADDRESS = 3  # per hour: enough to retry, too few to flood someone's inbox
REQUESTS_PER_CLIENT = 10  # per hour, from one network address
MAX_ADDRESS_CHARS = 320


class LinkRequests:
    """GET and POST /link: a form for an email address, and the link sent to it by email."""

    def __init__(
        self,
        dispatcher: Dispatcher,
        links: Links,
        views: Views,
        *,
        https: bool,
        trusted: Sequence[Network] = (),
    ) -> None:
        self.dispatcher = dispatcher
        self.links = links
        self.views = views
        self.https = https
        self.trusted = tuple(trusted)  # proxies whose X-Forwarded-For is believed
        self.per_address = RateLimit(REQUESTS_PER_ADDRESS, 3600.0)
        self.per_client = RateLimit(REQUESTS_PER_CLIENT, 3600.0)
        self._sending: set[asyncio.Task[None]] = set()

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/link", self.blank)
        app.router.add_post("/link", self.request)

    async def blank(self, request: web.Request) -> web.Response:
        return self.form(request)

    def form(self, request: web.Request, *, error: str = "", email: str = "") -> web.Response:
        value = new_cookie_value()
        response = self.views.html(
            "link", 400 if error else 200, form_key=value, error=error, email=email
        )
        response.set_cookie(
            COOKIE_NAME, value, httponly=True, samesite="Strict", secure=self.https, path="/link"
        )
        return response

    async def request(self, request: web.Request) -> web.Response:
        client = client_address(request, self.trusted)
        if not self.per_client.allow(client):
            raise self.views.too_many(self.per_client.retry_after(client))
        form = await request.post()
        given = form.get("form_key")
        if not double_submit_ok(request, given if isinstance(given, str) else None):
            raise self.views.problem(
                400,
                "This form could not be accepted",
                "The form had expired or did not come from this site. Nothing was sent.",
                link=("/link", "Try again"),
            )
        raw = form.get("email")
        address = raw.strip() if isinstance(raw, str) else ""
        if not address or len(address) > MAX_ADDRESS_CHARS:
            return self.form(request, error="Enter your email address", email=address[:100])
        try:
            address = validate_email(address, check_deliverability=False).normalized.lower()
        except EmailNotValidError:
            return self.form(
                request,
                error="Enter an email address in the correct format, like name@example.org",
                email=address,
            )
        if self.per_address.allow(address):
            # sent after the answer, so that its timing does not tell a known address either
            task = asyncio.create_task(self._send_links(address))
            self._sending.add(task)
            task.add_done_callback(self._sending.discard)
        return self.views.html("link_sent", email=address)

    async def _send_links(self, address: str) -> None:
        try:
            for context in await open_checkins_for_email(address):
                await self._send_link(context)
        except Exception:
            log.exception("sending a requested link failed")

    async def _send_link(self, context: CheckInContext) -> None:
        token = await self.links.mint(context)
        view = self.dispatcher.view(context)
        values = {"view": view, "url": self.links.url(token), "name": context.grantee.name}
        payload = {
            "subject": f"Your link to the {view.programme_name} check-in for {view.period}",
            "text": self.views.template("web/link_email.txt.j2").render(**values),
            "html": self.views.template("web/link_email.html.j2").render(**values),
        }
        write = OutboundWrite(
            f"email:web-link:{context.checkin.id}:{secrets.token_hex(8)}",
            "email",
            context.grantee.email,
            payload,
        )
        await self.dispatcher.send_outside_step(write, checkin_id=context.checkin.id)

    async def settle(self) -> None:
        while self._sending:
            await asyncio.wait(set(self._sending))
