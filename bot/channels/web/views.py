"""Pages rendered from templates/web: each check-in page, and the pages that say what went wrong."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiohttp import web
from jinja2 import Environment

from bot.channels.web import pages
from bot.conversation.dispatcher import Dispatcher
from bot.conversation.rendering import Renderer, template_lookup
from bot.conversation.web_links import LinkProblem, OpenLink
from bot.participants.offer import fillable
from bot.summaries.build import grantee_summary
from bot.summaries.render import data_uris, summary_charts
from conversations.framework import Framework
from conversations.progress import progress
from conversations.state import SessionState, Status

log = logging.getLogger(__name__)
SERVICE_NAME = "Cohesion Check-ins"
_PROBLEMS = {
    LinkProblem.UNKNOWN: (
        404,
        "This link does not work",
        "The link may be incomplete: some email programs cut long links short. Try copying the "
        "whole link from your email into the address bar.",
    ),
    LinkProblem.EXPIRED: (
        410,
        "This link has expired",
        "Links stop working when the check-in's round closes. If your check-in is still open, "
        "you can ask for a new link.",
    ),
    LinkProblem.REVOKED: (
        403,
        "This link has been switched off",
        "Your programme officer or the service switched this link off, for example because it "
        "was shared by mistake. You can ask for a new link to your own email address.",
    ),
}


class Views:
    def __init__(self, dispatcher: Dispatcher, renderer: Renderer | None = None) -> None:
        self.dispatcher = dispatcher
        env: Environment = (renderer or Renderer()).env
        self.template = template_lookup(env)
        self.env = env

    def html(self, name: str, http_status: int = 200, **values: Any) -> web.Response:
        text = self.render(name, **values)
        return web.Response(text=text, status=http_status, content_type="text/html")

    def render(self, name: str, **values: Any) -> str:
        """The page templates/web/<name>.html.j2 as text."""
        return self.template(f"web/{name}.html.j2").render(service=SERVICE_NAME, **values)

    def _page(self, opened: OpenLink, state: SessionState) -> dict[str, Any]:
        view = self.dispatcher.view(opened.context)
        context = opened.context
        has_forms = view.framework.participant_form is not None
        return {
            **pages.page_context(view, state),
            "base": f"/checkin/{opened.token}",
            "form_key": opened.link.form_key,
            "version": context.checkin.version,
            # the grantee's participants' forms pages, when the programme's framework has a form
            "forms_page": f"/checkin/{opened.token}/participants" if has_forms else None,
        }

    # ---- check-in pages ---------------------------------------------------------------------

    def start(self, opened: OpenLink, fw: Framework, state: SessionState) -> web.Response:
        return self.html(
            "start",
            **self._page(opened, state),
            fw=fw,
            sections=pages.outline(fw),
            minutes=pages.minutes_needed(fw),
            continue_page=pages.page_for(state),
            answered=progress(fw, state.answers)[0],
        )

    def question(
        self, opened: OpenLink, page: pages.QuestionPage, status: int = 200
    ) -> web.Response:
        view = self.dispatcher.view(opened.context)
        state = pages.state_of(view.framework, opened.context.checkin.state)
        before = pages.previous_question(view.framework, state, page.q)
        if page.changing:
            back = "/done" if state.status is Status.COMPLETED else "/check"
        else:
            back = f"/question/{before.id}" if before is not None else ""
        return self.html(
            "question",
            status,
            **self._page(opened, state),
            page=page,
            back=back,
            from_forms=page.q.id in fillable(view.framework),
        )

    def check(self, opened: OpenLink, fw: Framework, state: SessionState) -> web.Response:
        return self.html(
            "check",
            **self._page(opened, state),
            rows=pages.rows(fw, state),
            ready=state.status is Status.REVIEWING,
            continue_page=pages.page_for(state),
        )

    async def done(
        self, opened: OpenLink, fw: Framework, state: SessionState, *, changed: bool
    ) -> web.Response:
        summary = None
        images: dict[str, str] = {}
        try:
            summary = await grantee_summary(opened.context)
            images = await asyncio.to_thread(lambda: data_uris(summary_charts(summary)))
        except Exception:  # the answers are saved; a summary that fails must not hide that
            log.exception("summary for check-in %s failed", opened.context.checkin.id)
        return self.html(
            "done",
            **self._page(opened, state),
            rows=pages.rows(fw, state),
            summary=summary,
            images=images,
            changed=changed,
        )

    def saved(self, opened: OpenLink, fw: Framework, state: SessionState) -> web.Response:
        answered, total = progress(fw, state.answers)
        return self.html(
            "saved",
            **self._page(opened, state),
            answered=answered,
            total=total,
            continue_page=pages.page_for(state),
        )

    # ---- what went wrong: raised, so that a handler stops there ----------------------------

    def problem(
        self,
        status: int,
        title: str,
        *paragraphs: str,
        link: tuple[str, str] | None = None,
        page: str = "problem",
        **values: Any,
    ) -> web.HTTPException:
        """A page saying what went wrong, raised; `page` names another template under web/ that
        extends web/problem (a participant's has its own footer)."""
        text = self.template(f"web/{page}.html.j2").render(
            service=SERVICE_NAME, title=title, paragraphs=paragraphs, link=link, **values
        )
        error = web.HTTPException(text=text, content_type="text/html")
        error.set_status(status)
        return error

    def link_problem(self, problem: LinkProblem) -> web.HTTPException:
        status, title, why = _PROBLEMS[problem]
        return self.problem(status, title, why, link=("/link", "Ask for a new link"))

    def bad_form(self, opened: OpenLink) -> web.HTTPException:
        return self.problem(
            400,
            "This form could not be accepted",
            "The form did not come from this check-in's page, or it was missing part of what "
            "it needs. Nothing was saved, and nothing you saved before has changed.",
            link=(f"/checkin/{opened.token}", "Go back to your check-in"),
        )

    def conflict(self, opened: OpenLink) -> web.HTTPException:
        state = opened.context.checkin.state
        view = self.dispatcher.view(opened.context)
        page = pages.page_for(pages.state_of(view.framework, state))
        return self.problem(
            409,
            "This check-in changed elsewhere",
            "Your check-in was changed in another tab, by email or in Slack after this page was "
            "opened, or this form was sent twice. Nothing from this form was saved, and "
            "everything saved before is kept.",
            link=(f"/checkin/{opened.token}{page}", "See where your check-in stands now"),
        )

    def too_many(self, retry_after: int) -> web.HTTPException:
        error = self.problem(
            429,
            "Too many requests",
            f"Please wait {retry_after} seconds and try again. Nothing was saved from this one.",
        )
        error.headers["Retry-After"] = str(retry_after)
        return error
