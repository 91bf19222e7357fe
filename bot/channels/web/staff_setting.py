"""What the participants' forms pages behind a check-in's link share: the form, its kinds in
paths and words, the page setting, and times in the grantee's timezone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from bot.channels.web import pages
from bot.channels.web.views import Views
from bot.conversation.dispatcher import Dispatcher
from bot.conversation.web_links import OpenLink
from conversations.framework import Framework
from conversations.participant_items import FORM_KINDS, FormKind

# a kind as it appears in a path, and back
SLUGS: dict[FormKind, str] = {"baseline": "baseline", "follow_up": "follow-up"}
KIND_PATTERN = "baseline|follow-up"
NAMES: dict[FormKind, str] = {"baseline": "baseline", "follow_up": "follow-up"}
WHEN: dict[FormKind, str] = {
    "baseline": "filled in when people join, before taking part",
    "follow_up": "filled in at the end of an activity or period",
}


@dataclass(frozen=True)
class Staff:
    """A working link, opened for its grantee's participants' forms for the check-in's period."""

    opened: OpenLink
    framework: Framework

    @property
    def grantee_id(self) -> int:
        return self.opened.context.grantee.id

    @property
    def period(self) -> str:
        return self.opened.context.round.period

    @property
    def organisation(self) -> str:
        return self.opened.context.grantee.organisation

    @property
    def base(self) -> str:
        """The path of the forms' hub under the link."""
        return f"/checkin/{self.opened.token}/participants"


def staff_for(opened: OpenLink, dispatcher: Dispatcher, views: Views) -> Staff:
    """The link's forms; a programme whose framework has no participant form has no such pages."""
    framework = dispatcher.view(opened.context).framework
    if framework.participant_form is None or not framework.participant_items:
        raise views.problem(
            404,
            "This check-in has no participant forms",
            "Your programme's check-in does not use participants' feedback forms.",
            link=(f"/checkin/{opened.token}", "Go back to your check-in"),
        )
    return Staff(opened, framework)


def kind_in(request: web.Request) -> FormKind:
    """The kind a path names (the route's pattern lets only the two through)."""
    slug = request.match_info["kind"]
    return next(k for k in FORM_KINDS if SLUGS[k] == slug)


def setting(staff: Staff, dispatcher: Dispatcher) -> dict[str, Any]:
    """What every forms page says about where it is."""
    context = staff.opened.context
    view = dispatcher.view(context)
    state = pages.state_of(view.framework, context.checkin.state)
    return {
        **pages.page_context(view, state),
        "checkin": f"/checkin/{staff.opened.token}",
        "hub": staff.base,
        "form_key": staff.opened.link.form_key,
        "organisation": context.grantee.organisation,
        "period": staff.period,
        "slugs": SLUGS,
        "names": NAMES,
    }


def local_time(moment: datetime, timezone: str) -> str:
    """A moment where the grantee is, as "Monday 14 December 2026 at 10:32"."""
    local = moment.astimezone(ZoneInfo(timezone))
    return f"{local:%A} {local.day} {local:%B %Y} at {local:%H:%M}"
