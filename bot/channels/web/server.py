"""The web check-in's aiohttp app and the service component that serves it."""

from __future__ import annotations

import logging

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from bot.channels.web.request_link import LinkRequests
from bot.channels.web.routes import CheckinPages
from bot.channels.web.security import RedactingAccessLogger, secure_headers
from bot.channels.web.views import Views
from bot.conversation.dispatcher import Dispatcher
from bot.conversation.rendering import TEMPLATES_DIR
from bot.conversation.web_links import Links
from bot.settings import WebSettings

log = logging.getLogger(__name__)
access_log = logging.getLogger("checkins.web.access")
STYLESHEET = TEMPLATES_DIR / "web" / "web.css"
MAX_BODY_BYTES = 64 * 1024  # the longest text answer is a few thousand characters
LINK_REQUESTS = web.AppKey("link_requests", LinkRequests)


def build_app(dispatcher: Dispatcher, links: Links, *, https: bool) -> web.Application:
    """The pages, the link-request form and the stylesheet, behind the security headers."""
    views = Views(dispatcher)
    app = web.Application(
        middlewares=[secure_headers(https), _problem_pages(views)], client_max_size=MAX_BODY_BYTES
    )
    CheckinPages(dispatcher, links, views).add_routes(app)
    requests = LinkRequests(dispatcher, links, views, https=https)
    requests.add_routes(app)
    app[LINK_REQUESTS] = requests
    stylesheet = STYLESHEET.read_bytes()

    async def css(request: web.Request) -> web.Response:
        response = web.Response(body=stylesheet, content_type="text/css", charset="utf-8")
        response.headers["Cache-Control"] = "public, max-age=3600"
        return response

    async def home(request: web.Request) -> web.Response:
        raise web.HTTPSeeOther("/link")

    app.router.add_get("/static/web.css", css)
    app.router.add_get("/", home)
    return app


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

    def __init__(self, settings: WebSettings, dispatcher: Dispatcher, links: Links) -> None:
        self.settings = settings
        self.dispatcher = dispatcher
        self.links = links
        self.port: int | None = None
        self._runner: web.AppRunner | None = None
        self.app: web.Application | None = None

    async def start(self) -> None:
        https = self.settings.public_url.startswith("https://")
        self.app = build_app(self.dispatcher, self.links, https=https)
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
