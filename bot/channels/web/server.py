"""The web check-in's aiohttp app and the service component that serves it."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from bot.channels.web.clients import Network
from bot.channels.web.link_gate import LinkGate
from bot.channels.web.participant_pages import ParticipantPages
from bot.channels.web.participant_staff import ParticipantStaffPages
from bot.channels.web.request_link import LinkRequests
from bot.channels.web.routes import CheckinPages
from bot.channels.web.security import RedactingAccessLogger, secure_headers
from bot.channels.web.views import Views
from bot.clock import Clock, utc_now
from bot.conversation.dispatcher import Dispatcher
from bot.conversation.rendering import TEMPLATES_DIR
from bot.conversation.web_links import Links
from bot.participants.printable import POSTER_CSS
from bot.settings import WebSettings

log = logging.getLogger(__name__)
access_log = logging.getLogger("checkins.web.access")
STYLESHEET = TEMPLATES_DIR / "web" / "web.css"
MAX_BODY_BYTES = 64 * 1024  # the longest text answer is a few thousand characters
LINK_REQUESTS = web.AppKey("link_requests", LinkRequests)


def build_app(
    dispatcher: Dispatcher,
    links: Links,
    *,
    https: bool,
    secret: Callable[[], str],
    trusted: Sequence[Network] = (),
    clock: Clock = utc_now,
) -> web.Application:
    """The check-in pages, the link-request form, the participant forms and the stylesheets,
    behind the security headers. `secret` keys the participant forms (made on first use)."""
    views = Views(dispatcher)
    app = web.Application(
        middlewares=[secure_headers(https), _problem_pages(views)], client_max_size=MAX_BODY_BYTES
    )
    gate = LinkGate(links, views)  # the check-in's pages and its participants' forms pages
    CheckinPages(dispatcher, links, views, gate).add_routes(app)
    ParticipantStaffPages(dispatcher, gate, views, secret=secret, clock=clock).add_routes(app)
    requests = LinkRequests(dispatcher, links, views, https=https, trusted=trusted)
    requests.add_routes(app)
    app[LINK_REQUESTS] = requests
    participants = ParticipantPages(
        views, base_url=lambda: links.base_url, secret=secret, trusted=trusted, clock=clock
    )
    participants.add_routes(app)

    async def home(request: web.Request) -> web.Response:
        raise web.HTTPSeeOther("/link")

    app.router.add_get("/static/web.css", _stylesheet(STYLESHEET))
    app.router.add_get("/static/poster.css", _stylesheet(POSTER_CSS))
    app.router.add_get("/", home)
    return app


def _stylesheet(path: Path) -> Handler:
    body = path.read_bytes()

    async def css(request: web.Request) -> web.Response:
        response = web.Response(body=body, content_type="text/css", charset="utf-8")
        response.headers["Cache-Control"] = "public, max-age=3600"
        return response

    return css


def _problem_pages(views: Views) -> Middleware:
    """A page a person can read for aiohttp's own refusals: an unknown path, a body too large."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            response: web.StreamResponse = await handler(request)
        except web.HTTPException as exc:
            if exc.status == 404 and exc.content_type != "text/html":
                raise views.problem(
                    404, "Page not found", "Check the link, or use the one in your email."
                ) from None
            if exc.status == 413:
                raise views.problem(
                    413,
                    "What you sent is too large",
                    "Answers can be a few thousand characters at most. Nothing was saved from "
                    "this form, and everything saved before is kept. Go back, shorten your "
                    "answer and save it again.",
                ) from None
            if exc.status == 405 and exc.content_type != "text/html":
                raise views.problem(
                    405, "This page cannot be sent to", "Use the link instead."
                ) from None
            raise
        return response

    return middleware


class WebServer:
    """The web check-in server, started and stopped with the service."""

    name = "web"

    def __init__(
        self,
        settings: WebSettings,
        dispatcher: Dispatcher,
        links: Links,
        *,
        secret: Callable[[], str],
        clock: Clock = utc_now,
    ) -> None:
        self.settings = settings
        self.dispatcher = dispatcher
        self.links = links
        self.secret = secret
        self.clock = clock
        self.port: int | None = None
        self._runner: web.AppRunner | None = None
        self.app: web.Application | None = None

    async def start(self) -> None:
        https = self.settings.public_url.startswith("https://")
        self.app = build_app(
            self.dispatcher,
            self.links,
            https=https,
            secret=self.secret,
            trusted=self.settings.trusted_networks(),
            clock=self.clock,
        )
        self._runner = web.AppRunner(
            self.app, access_log_class=RedactingAccessLogger, access_log=access_log
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.settings.host, self.settings.port)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        if not self.settings.public_url:
            self.links.base_url = self.settings.base_url(self.port)
        log.info("web check-in at %s", self.links.base_url)

    async def stop(self) -> None:
        if self.app is not None:
            await self.app[LINK_REQUESTS].settle()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
