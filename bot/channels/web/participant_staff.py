"""The grantee's participants' forms page behind their check-in link: the forms counted and held;
each kind's paper form, online address, poster and keying screen; whether it takes answers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from aiohttp import web

from bot.channels.web.forms import field
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
from bot.participants.online import (
    FORM_STATUSES,
    FormStatus,
    register_form,
    registered_form,
    set_form_status,
)
from bot.participants.printable import form_link, printable_form
from bot.participants.printable_pdf import printable_pdf
from conversations.participant_items import FORM_KINDS, FormKind

# what each status means for the people the form's address reaches, and what may follow it
STATUS_WORDS: dict[FormStatus, str] = {
    "open": "Open: taking answers",
    "paused": "Paused: its page says it is not taking answers just now; nothing sent is stored",
    "closed": "Closed: its page says it has closed; nothing sent is stored",
}
CHANGES: dict[FormStatus, tuple[FormStatus, ...]] = {
    "open": ("paused", "closed"),
    "paused": ("open", "closed"),
    "closed": ("open",),
}
ACTIONS: dict[FormStatus, str] = {"open": "Reopen", "paused": "Pause", "closed": "Close"}
DONE: dict[FormStatus, str] = {"open": "reopened", "paused": "paused", "closed": "closed"}


@dataclass(frozen=True)
class KindLinks:
    """One kind of form on the hub: how many count, where to print, share or key it, and
    whether its online form takes answers."""

    kind: FormKind
    name: str
    when: str
    slug: str
    counted: int
    online: str  # the form's public address
    status: FormStatus


class ParticipantStaffPages:
    """Handlers for /checkin/{token}/participants: the hub, the printable forms and the online
    forms' status, with the keying and review screens beneath them."""

    def __init__(
        self,
        dispatcher: Dispatcher,
        gate: LinkGate,
        views: Views,
        *,
        secret: Callable[[], str],
        clock: Callable[[], datetime],
    ) -> None:
        self.dispatcher = dispatcher
        self.gate = gate
        self.views = views
        self.secret = secret  # the participants' secret, made on first use
        self.clock = clock
        self.keying = KeyingPages(dispatcher, gate, views, secret=secret, clock=clock)
        self.review = ReviewPages(dispatcher, gate, views)

    def add_routes(self, app: web.Application) -> None:
        base = "/checkin/{token:" + TOKEN_PATTERN + "}/participants"
        kind = "{kind:" + KIND_PATTERN + "}"
        app.router.add_get(base, self.hub)
        app.router.add_get(base + "/form/" + kind, self.printable)
        app.router.add_get(base + "/form/" + kind + "/pdf", self.printable_pdf)
        app.router.add_post(base + "/status/" + kind, self.set_status)
        self.keying.add_routes(app, base)
        self.review.add_routes(app, base)

    async def _staff(self, request: web.Request) -> Staff:
        return staff_for(await self.gate.open(request), self.dispatcher, self.views)

    async def online_link(self, staff: Staff, kind: FormKind) -> str:
        """The online form's address, as printed forms and posters carry it (made if need be)."""
        token = await register_form(
            staff.grantee_id, staff.period, kind, secret=self.secret(), now=self.clock()
        )
        return form_link(self.gate.links.base_url, token)

    async def hub(self, request: web.Request) -> web.Response:
        staff = await self._staff(request)
        counts = await tally(staff.grantee_id, staff.period)
        kinds = []
        for kind in FORM_KINDS:
            form = await registered_form(
                staff.grantee_id, staff.period, kind, secret=self.secret(), now=self.clock()
            )
            assert form.token is not None  # registering gives it one
            online = form_link(self.gate.links.base_url, form.token)
            counted = counts.counted.get(kind, 0)
            kinds.append(
                KindLinks(kind, NAMES[kind], WHEN[kind], SLUGS[kind], counted, online, form.status)
            )
        changed = request.query.get("changed", "")
        changed_kind = next((k for k in kinds if k.slug == changed), None)
        return self.views.html(
            "participants_hub",
            **setting(staff, self.dispatcher),
            kinds=kinds,
            held=counts.held,
            status_words=STATUS_WORDS,
            changes=CHANGES,
            actions=ACTIONS,
            changed=changed_kind,
            done=DONE,
        )

    async def printable(self, request: web.Request) -> web.Response:
        """The paper form, print-friendly, with the online form's address and its QR code."""
        staff, kind, link = await self._printing(request)
        html = printable_form(
            staff.framework, kind, organisation=staff.organisation, period=staff.period, link=link
        )
        response = web.Response(text=html, content_type="text/html")
        response.headers["Content-Security-Policy"] = inline_style_policy(html)
        return response

    async def printable_pdf(self, request: web.Request) -> web.Response:
        """The paper form as an A4 PDF, with the same wording, address and QR code."""
        staff, kind, link = await self._printing(request)
        pdf = printable_pdf(
            staff.framework, kind, organisation=staff.organisation, period=staff.period, link=link
        )
        response = web.Response(body=pdf, content_type="application/pdf")
        name = f"{SLUGS[kind]}-form-{staff.period}".replace(" ", "-").lower()
        response.headers["Content-Disposition"] = f'attachment; filename="{_safe(name)}.pdf"'
        return response

    async def _printing(self, request: web.Request) -> tuple[Staff, FormKind, str]:
        """Whose form is printed, which kind, and the online address printed on it."""
        staff = await self._staff(request)
        kind = kind_in(request)
        return staff, kind, await self.online_link(staff, kind)

    async def set_status(self, request: web.Request) -> web.Response:
        """Pause, close or reopen an online form; the hub then says what changed."""
        opened, form = await self.gate.posted(request)
        staff = staff_for(opened, self.dispatcher, self.views)
        kind = kind_in(request)
        wanted = field(form, "status")
        if wanted not in FORM_STATUSES:
            raise self.views.bad_form(opened)
        status = next(s for s in FORM_STATUSES if s == wanted)
        await set_form_status(staff.grantee_id, staff.period, kind, status, now=self.clock())
        raise web.HTTPSeeOther(f"{staff.base}?changed={SLUGS[kind]}")


def _safe(name: str) -> str:
    """A file name made only of letters, digits and dashes: a period is what a funder typed."""
    return "".join(c if c.isascii() and (c.isalnum() or c == "-") else "-" for c in name)
