"""The grantee's participants' forms page behind their check-in link: the forms counted and held,
and each kind's paper form, online address, poster and keying screen."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from aiohttp import web

from bot.channels.web.link_gate import LinkGate
from bot.channels.web.participant_keying import KeyingPages
from bot.channels.web.participant_review import ReviewPages
from bot.channels.web.security import inline_style_policy
from bot.channels.web.staff_setting import (
    KIND_PATTERN,
    NAMES,
    SLUGS,
    WHEN,
    Staff,
    kind_in,
    setting,
    staff_for,
)
from bot.channels.web.views import Views
from bot.conversation.dispatcher import Dispatcher
from bot.conversation.web_links import TOKEN_PATTERN
from bot.participants.keying import tally
from bot.participants.printable import form_link, form_token, printable_form
from conversations.participant_items import FORM_KINDS, FormKind


@dataclass(frozen=True)
class KindLinks:
    """One kind of form on the hub: how many count, and where to print, share or key it."""

    kind: FormKind
    name: str
    when: str
    slug: str
    counted: int
    online: str | None  # the form's public address; None until the service has a link secret
    poster: str | None


class ParticipantStaffPages:
    """Handlers for /checkin/{token}/participants: the hub and the printable forms, with the
    keying and review screens beneath them."""

    def __init__(
        self,
        dispatcher: Dispatcher,
        gate: LinkGate,
        views: Views,
        *,
        form_secret: str,
        clock: Callable[[], datetime],
    ) -> None:
        self.dispatcher = dispatcher
        self.gate = gate
        self.views = views
        self.form_secret = form_secret
        self.keying = KeyingPages(dispatcher, gate, views, clock=clock)
        self.review = ReviewPages(dispatcher, gate, views)

    def add_routes(self, app: web.Application) -> None:
        base = "/checkin/{token:" + TOKEN_PATTERN + "}/participants"
        app.router.add_get(base, self.hub)
        app.router.add_get(base + "/form/{kind:" + KIND_PATTERN + "}", self.printable)
        self.keying.add_routes(app, base)
        self.review.add_routes(app, base)

    async def _staff(self, request: web.Request) -> Staff:
        return staff_for(await self.gate.open(request), self.dispatcher, self.views)

    def online_link(self, staff: Staff, kind: FormKind) -> str | None:
        if not self.form_secret:
            return None
        token = form_token(self.form_secret, staff.grantee_id, staff.period, kind)
        return form_link(self.gate.links.base_url, token)

    async def hub(self, request: web.Request) -> web.Response:
        staff = await self._staff(request)
        counts = await tally(staff.grantee_id, staff.period)
        kinds = []
        for kind in FORM_KINDS:
            online = self.online_link(staff, kind)
            kinds.append(
                KindLinks(
                    kind,
                    NAMES[kind],
                    WHEN[kind],
                    SLUGS[kind],
                    counts.counted.get(kind, 0),
                    online,
                    f"{online}/poster" if online else None,
                )
            )
        return self.views.html(
            "participants_hub",
            **setting(staff, self.dispatcher),
            kinds=kinds,
            held=counts.held,
        )

    async def printable(self, request: web.Request) -> web.Response:
        """The paper form, print-friendly, with the online address and its QR code if set up."""
        staff = await self._staff(request)
        kind = kind_in(request)
        html = printable_form(
            staff.framework,
            kind,
            organisation=staff.opened.context.grantee.organisation,
            period=staff.period,
            link=self.online_link(staff, kind),
        )
        response = web.Response(text=html, content_type="text/html")
        response.headers["Content-Security-Policy"] = inline_style_policy(html)
        return response
