"""The participant form online at /p/<token>: the form, sending it, thanks, and its poster."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from aiohttp import web
from multidict import MultiDictProxy

from bot.channels.web.clients import Network, client_address
from bot.channels.web.participant_views import STALE_FORM, ParticipantViews
from bot.channels.web.ratelimit import RateLimit
from bot.channels.web.security import KeyCheck, check_signed_form_key, signed_form_key
from bot.channels.web.views import Views
from bot.clock import Clock, utc_now
from bot.participants.intake import take_form
from bot.participants.online import FormProblem, OnlineForm, open_form
from bot.participants.printable import form_link, poster
from conversations.participant_forms import SubmissionProblems

log = logging.getLogger(__name__)
# 16 letters and digits as printed; any case, and 0, 1 and 8 for o, l and b, as people type them
TOKEN_ROUTE = "{token:[A-Za-z0-9]{16}}"
WINDOW_SECONDS = 600.0
# A venue's wifi puts a whole group behind one address, and bursts from one address are held
# for the grantee anyway (bot.participants.intake): these limits only stop floods.
FORMS_PER_ADDRESS = 60  # in 10 minutes, from one client address
FORMS_PER_FORM = 200  # in 10 minutes, to one grantee's form: several groups at once
MAX_FIELD_CHARS = 100  # the longest answer is a code (16 characters once spaces are gone)


class ParticipantPages:
    """Handlers for everything under /p/{token}."""

    def __init__(
        self,
        views: Views,
        *,
        base_url: Callable[[], str],
        secret: Callable[[], str],
        trusted: Sequence[Network] = (),
        clock: Clock = utc_now,
    ) -> None:
        self.pages = ParticipantViews(views)
        self.base_url = base_url  # known once the server has its port
        self.secret = secret  # made on first use (bot.participants.secret)
        self.trusted = tuple(trusted)
        self.clock = clock
        self.per_address = RateLimit(FORMS_PER_ADDRESS, WINDOW_SECONDS)
        self.per_form = RateLimit(FORMS_PER_FORM, WINDOW_SECONDS)

    def add_routes(self, app: web.Application) -> None:
        base = "/p/" + TOKEN_ROUTE
        app.router.add_get(base, self.blank)
        app.router.add_post(base, self.send)
        app.router.add_get(base + "/thanks", self.thanks)
        app.router.add_get(base + "/poster", self.poster)

    async def _open(self, request: web.Request) -> OnlineForm:
        opened = await open_form(request.match_info["token"])
        if isinstance(opened, FormProblem):
            raise self.pages.unknown()
        return opened

    def _key(self, opened: OnlineForm) -> str:
        return signed_form_key(self.secret(), opened.token, int(self.clock().timestamp()))

    async def blank(self, request: web.Request) -> web.Response:
        opened = await self._open(request)
        if opened.status == "paused":
            return self.pages.paused(opened, posted=False)
        if opened.status == "closed":
            raise self.pages.closed(opened, posted=False)
        return self.pages.form(opened, self._key(opened))

    async def send(self, request: web.Request) -> web.Response:
        client = client_address(request, self.trusted)
        if not self.per_address.allow(client):  # before any work for a flood
            raise self.pages.too_many(self.per_address.retry_after(client))
        opened = await self._open(request)
        if opened.status == "paused":
            return self.pages.paused(opened, posted=True)
        if opened.status == "closed":
            raise self.pages.closed(opened, posted=True)
        if not self.per_form.allow(opened.token):
            raise self.pages.too_many(self.per_form.retry_after(opened.token), opened)
        posted = await request.post()
        fields = _fields(posted)
        now = self.clock()
        given = posted.get("form_key")
        check = check_signed_form_key(
            self.secret(), opened.token, given if isinstance(given, str) else None, now.timestamp()
        )
        if check in (KeyCheck.MISSING, KeyCheck.FORGED):
            raise self.pages.bad_key(opened)
        if check is KeyCheck.EXPIRED:  # the person's answers are shown again, not lost
            errors = {"stale": STALE_FORM}
            return self.pages.form(
                opened, self._key(opened), entered=fields, errors=errors, status=400
            )
        taken = await take_form(
            opened.framework,
            grantee_id=opened.grantee_id,
            period=opened.period,
            kind=opened.kind,
            channel="online",
            fields=fields,
            now=now,
            sender=client,
            secret=self.secret(),
        )
        if isinstance(taken, SubmissionProblems):
            return self.pages.form(
                opened, self._key(opened), entered=fields, errors=taken.problems, status=400
            )
        # the same page whether the form was counted or held: a script learns nothing from it
        raise web.HTTPSeeOther(f"/p/{opened.token}/thanks")

    async def thanks(self, request: web.Request) -> web.Response:
        return self.pages.thanks(await self._open(request))

    async def poster(self, request: web.Request) -> web.Response:
        opened = await self._open(request)
        html = poster(
            opened.framework,
            opened.kind,
            organisation=opened.organisation,
            period=opened.period,
            link=form_link(self.base_url(), opened.token),
            stylesheet="/static/poster.css",
        )
        return web.Response(text=html, content_type="text/html")


def _fields(posted: MultiDictProxy[Any]) -> dict[str, str]:
    """The answers as sent: text fields only (the first of each name), the form key apart, each
    cut to a length no answer needs, so that a page sent back never repeats a huge value."""
    fields: dict[str, str] = {}
    for name in posted:
        value = posted.get(name)
        if name != "form_key" and isinstance(value, str) and name not in fields:
            fields[name[:MAX_FIELD_CHARS]] = value[:MAX_FIELD_CHARS]
    return fields
