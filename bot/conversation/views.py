"""How a check-in's messages are set: its programme, period and due day, and its web link."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from functools import lru_cache
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.conversation.frameworks import framework_for
from bot.conversation.rendering import ConversationView
from storage.records import CheckInContext


class FormLinks(Protocol):
    """Private web links to check-ins, for messages to carry ("Prefer a form?")."""

    async def url_for(self, context: CheckInContext) -> str | None: ...

    def known_url(self, checkin_id: int) -> str | None: ...


# the channels whose messages carry the web link: the web's own pages need none
LINKED_CHANNELS = frozenset({"email", "slack"})


def conversation_view(
    context: CheckInContext, contact_hint: str, form_links: FormLinks | None
) -> ConversationView:
    due = None
    if context.round.due_at is not None:
        due = _local_day(context.round.due_at, context.grantee.timezone)
    return ConversationView(
        framework=framework_for(context.programme),
        grantee_name=context.grantee.name,
        programme_name=context.programme.name,
        period=context.round.period,
        due=due,
        contact_hint=contact_hint,
        form_link=(
            form_links.known_url(context.checkin.id)
            if form_links is not None and context.round.is_open
            else None
        ),
    )


async def linked_view(
    view: ConversationView,
    context: CheckInContext,
    channel_name: str,
    form_links: FormLinks | None,
) -> ConversationView:
    """The view for a message on this channel: with the web link, minted if need be."""
    if form_links is not None and channel_name in LINKED_CHANNELS:
        view = replace(view, form_link=await form_links.url_for(context))
    return view


@lru_cache(maxsize=1024)  # a round's due date, in each of its grantees' timezones
def _local_day(moment: datetime, timezone: str) -> str:
    """The day `moment` falls on where the grantee is, as "Friday 4 December 2026"."""
    local = moment.astimezone(ZoneInfo(timezone))
    return f"{local:%A} {local.day} {local:%B %Y}"
