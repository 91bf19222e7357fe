"""The checks every page behind a private link passes: the link works, and a posted form is ours."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from multidict import MultiDictProxy

from bot.channels.web.forms import field
from bot.channels.web.ratelimit import RateLimit
from bot.channels.web.security import form_key_matches
from bot.channels.web.views import Views
from bot.conversation.web_links import LinkProblem, Links, OpenLink

SUBMISSIONS_PER_MINUTE = 120  # per link: a person answers a few a minute; a script, thousands


class LinkGate:
    """Opens the link a request names, and checks what is posted to it: one rate limit per link
    for every form behind it, and the link's form key (CSRF) on each."""

    def __init__(self, links: Links, views: Views) -> None:
        self.links = links
        self.views = views
        self.submissions = RateLimit(SUBMISSIONS_PER_MINUTE, 60.0)

    async def open(self, request: web.Request) -> OpenLink:
        """The link in the path, working now (else the page that says why it does not)."""
        return await self.reopen(request.match_info["token"])

    async def reopen(self, token: str) -> OpenLink:
        opened = await self.links.open(token)
        if isinstance(opened, LinkProblem):
            raise self.views.link_problem(opened)
        return opened

    async def posted(self, request: web.Request) -> tuple[OpenLink, MultiDictProxy[Any]]:
        """A form posted to a link: the link, and the form's fields once it is known to be ours."""
        opened = await self.open(request)
        if not self.submissions.allow(str(opened.link.id)):
            raise self.views.too_many(self.submissions.retry_after(str(opened.link.id)))
        form = await request.post()
        if not form_key_matches(opened.link.form_key, field(form, "form_key")):
            raise self.views.bad_form(opened)
        return opened, form
