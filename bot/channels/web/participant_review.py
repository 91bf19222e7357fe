"""The review of held forms: each one's arrival, answers and why it was held, accepted or
discarded one at a time or all together (a discard asks first: it cannot be undone)."""

from __future__ import annotations

from datetime import timedelta

from aiohttp import web

from bot.channels.web.forms import field
from bot.channels.web.link_gate import LinkGate
from bot.channels.web.staff_setting import Staff, local_time, setting, staff_for
from bot.channels.web.views import Views
from bot.conversation.dispatcher import Dispatcher
from bot.participants import review
from bot.participants.keying import tally
from conversations.participant_bursts import BurstRule, HoldReason

_RULE = BurstRule()
_MINUTES = int(_RULE.window / timedelta(minutes=1))
REASONS = {
    HoldReason.ONE_SOURCE: (
        f"More than {_RULE.per_source} forms came from one internet address within "
        f"{_MINUTES} minutes."
    ),
    HoldReason.IDENTICAL: (
        f"More than {_RULE.identical} forms with exactly the same answers came within "
        f"{_MINUTES} minutes."
    ),
    HoldReason.PER_FORM: (
        f"More than {_RULE.per_form} forms came to your online form within {_MINUTES} minutes."
    ),
    HoldReason.BURST: (
        "It came in a burst of forms, some of which have since been accepted or discarded."
    ),
}
HOW = {"online": "Online form", "paper": "Paper form", "keyed": "Keyed in"}
MAX_IDS = 1_000  # more than a page lists


def _ids(text: str) -> list[int]:
    """The forms a posted review form names (space-separated ids); [] if it names none sanely."""
    parts = text.split()
    if not parts or len(parts) > MAX_IDS or not all(p.isdigit() and len(p) < 12 for p in parts):
        return []
    return [int(p) for p in parts]


class ReviewPages:
    """Handlers for /checkin/{token}/participants/review."""

    def __init__(self, dispatcher: Dispatcher, gate: LinkGate, views: Views) -> None:
        self.dispatcher = dispatcher
        self.gate = gate
        self.views = views

    def add_routes(self, app: web.Application, base: str) -> None:
        app.router.add_get(base + "/review", self.held)
        app.router.add_post(base + "/review", self.decide)

    async def held(self, request: web.Request) -> web.Response:
        staff = staff_for(await self.gate.open(request), self.dispatcher, self.views)
        done = {
            k: int(v)
            for k, v in request.query.items()
            if k in ("accepted", "discarded") and v.isdigit() and len(v) < 7
        }
        return await self._list(staff, **done)

    async def _list(self, staff: Staff, **done: int) -> web.Response:
        held = await review.held_forms(staff.framework, staff.grantee_id, staff.period)
        counts = await tally(staff.grantee_id, staff.period)
        timezone = staff.opened.context.grantee.timezone
        return self.views.html(
            "participants_review",
            **setting(staff, self.dispatcher),
            forms=held.forms,
            total=held.total,
            ids=" ".join(str(f.id) for f in held.forms),
            received={f.id: local_time(f.received_at, timezone) for f in held.forms},
            reasons=REASONS,
            how=HOW,
            counted=counts.counted,
            done=done,
        )

    async def decide(self, request: web.Request) -> web.Response:
        opened, form = await self.gate.posted(request)
        staff = staff_for(opened, self.dispatcher, self.views)
        ids = _ids(field(form, "ids"))
        action = field(form, "action")
        if not ids or action not in ("accept", "discard", "discard-confirmed"):
            raise self.views.bad_form(opened)
        if action == "accept":
            accepted = await review.accept(staff.grantee_id, staff.period, ids)
            raise web.HTTPSeeOther(f"{staff.base}/review?accepted={accepted}")
        if action == "discard":
            return self.views.html(
                "participants_discard",
                **setting(staff, self.dispatcher),
                ids=" ".join(map(str, ids)),
                how_many=len(ids),
            )
        discarded = await review.discard(staff.grantee_id, staff.period, ids)
        raise web.HTTPSeeOther(f"{staff.base}/review?discarded={discarded}")
