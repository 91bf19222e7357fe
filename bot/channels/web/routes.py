"""The check-in pages: before you start, one question per page, check your answers, submitted."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from functools import partial
from typing import Any

from aiohttp import web
from multidict import MultiDictProxy

from bot.channels.web import forms, pages
from bot.channels.web.after_steps import AfterSteps
from bot.channels.web.link_gate import LinkGate
from bot.channels.web.views import Views
from bot.conversation.channel import InboundMessage
from bot.conversation.dispatcher import Dispatcher
from bot.conversation.web_links import TOKEN_PATTERN, Links, OpenLink
from conversations import engine
from conversations.framework import Framework
from conversations.state import (
    Ask,
    Completed,
    EngineOptions,
    Invalid,
    Notice,
    NoticeKind,
    Reply,
    Review,
    SessionState,
    Status,
    Transition,
)
from storage.records import StepOutcome

log = logging.getLogger(__name__)
CHANNEL = "web"


class CheckinPages:
    """Handlers for everything under /checkin/{token}."""

    def __init__(
        self, dispatcher: Dispatcher, links: Links, views: Views, gate: LinkGate | None = None
    ) -> None:
        self.dispatcher = dispatcher
        self.links = links
        self.views = views
        self.gate = gate or LinkGate(links, views)
        self.after_steps = AfterSteps(dispatcher.clock)
        dispatcher.on_stored.append(self.after_steps.stored)

    def add_routes(self, app: web.Application) -> None:
        base = "/checkin/{token:" + TOKEN_PATTERN + "}"
        app.router.add_get(base, self.start_page)
        app.router.add_post(base + "/start", self.start)
        app.router.add_get(base + "/question/{qid}", self.question)
        app.router.add_post(base + "/question/{qid}", self.answer)
        app.router.add_get(base + "/check", self.check)
        app.router.add_post(base + "/submit", self.submit)
        app.router.add_get(base + "/done", self.done)
        app.router.add_get(base + "/saved", self.saved)

    # ---- opening a link ------------------------------------------------------------------

    async def _open(self, request: web.Request) -> OpenLink:
        return await self.gate.open(request)

    async def _open_page(self, request: web.Request) -> OpenLink:
        """A link opened to show a page: right after its form's step, the check-in as the step
        stored it (see AfterSteps); otherwise as the database has it."""
        kept = self.after_steps.take(request.match_info["token"])
        return kept if kept is not None else await self._open(request)

    async def _posted(self, request: web.Request) -> tuple[OpenLink, MultiDictProxy[Any]]:
        """A form posted to a link: the link, and its fields once the form is known to be ours
        and made from the check-in as it stands now."""
        opened, form = await self.gate.posted(request)
        if _text(form, "version") != str(opened.context.checkin.version):
            raise self.views.conflict(opened)  # a stale tab, another channel, or a replay
        return opened, form

    def _state(self, opened: OpenLink) -> tuple[Framework, SessionState]:
        view = self.dispatcher.view(opened.context)
        return view.framework, pages.state_of(view.framework, opened.context.checkin.state)

    def _go(self, opened: OpenLink, page: str) -> web.HTTPSeeOther:
        return web.HTTPSeeOther(f"/checkin/{opened.token}{page}")

    async def _step(
        self, opened: OpenLink, step: Any, what: str
    ) -> tuple[StepOutcome, tuple[Any, ...]]:
        context = opened.context
        key = f"{context.checkin.id}:{context.checkin.version}:{what}"
        # a form names the version it was made from: applied to no other, and a replay is a
        # second delivery of the same message
        message = InboundMessage(
            CHANNEL,
            key,
            context.grantee.email,
            what,
            step=step,
            made_from_version=context.checkin.version,
        )
        report = await self.dispatcher.handle(context.checkin.id, message, context=context)
        if report.checkin is not None:
            self.after_steps.keep(opened, report.checkin)
        if report.outcome in (StepOutcome.CONFLICT, StepOutcome.DUPLICATE):
            raise self.views.conflict(opened)
        return report.outcome, report.prompts

    # ---- pages -----------------------------------------------------------------------------

    async def start_page(self, request: web.Request) -> web.Response:
        opened = await self._open_page(request)
        fw, state = self._state(opened)
        return self.views.start(opened, fw, state)

    async def start(self, request: web.Request) -> web.Response:
        opened, _ = await self._posted(request)
        _, prompts = await self._step(opened, _start, "start")
        raise self._go(opened, _next_page(prompts))

    async def question(self, request: web.Request) -> web.Response:
        opened = await self._open_page(request)
        fw, state = self._state(opened)
        q = fw.by_id.get(request.match_info["qid"])
        if q is None or not pages.can_show(q, state) or state.status is Status.NOT_STARTED:
            raise self._go(opened, pages.page_for(state))
        changing = request.query.get("change") == "1"
        return self.views.question(opened, pages.question_page(fw, state, q, changing=changing))

    async def answer(self, request: web.Request) -> web.Response:
        opened, form = await self._posted(request)
        fw, state = self._state(opened)
        q = fw.by_id.get(request.match_info["qid"])
        if q is None or not pages.can_show(q, state):
            raise self._go(opened, pages.page_for(state))
        action = _text(form, "action")
        changing = _text(form, "changing") == "1"
        read = forms.read_answer(q, form)
        empty = not read.text and read.problem is None
        if empty and action == "later":
            raise self._go(opened, "/saved")  # nothing entered: nothing to save
        if (action == "skip" or empty) and not q.required:
            step = partial(_advance, reply=Reply(f"skip {fw.number_of(q.id)}"))
            _, prompts = await self._step(opened, step, f"skip:{q.id}")
            raise self._go(opened, _next_page(prompts))
        problem = read.problem or (forms.empty_problem(q) if empty else None)
        if problem is not None:
            page = pages.question_page(
                fw, state, q, entered=read.entered, error=problem, changing=changing
            )
            return self.views.question(opened, page, status=400)
        step = partial(_advance, reply=Reply(read.text, question_id=q.id))
        _, prompts = await self._step(opened, step, f"answer:{q.id}")
        refused = _refusal(prompts, q.id)
        if refused is not None:
            fresh = await self._reopen(opened)
            fw, state = self._state(fresh)
            page = pages.question_page(
                fw, state, q, entered=read.entered, error=refused, changing=changing
            )
            return self.views.question(fresh, page, status=400)
        if action == "later":
            raise self._go(opened, "/saved")
        raise self._go(opened, _next_page(prompts))

    async def check(self, request: web.Request) -> web.Response:
        opened = await self._open_page(request)
        fw, state = self._state(opened)
        if state.status is Status.COMPLETED:
            raise self._go(opened, "/done")
        return self.views.check(opened, fw, state)

    async def submit(self, request: web.Request) -> web.Response:
        opened, _ = await self._posted(request)
        _, prompts = await self._step(opened, partial(_advance, reply=Reply("submit")), "submit")
        raise self._go(opened, _next_page(prompts))

    async def done(self, request: web.Request) -> web.Response:
        opened = await self._open_page(request)
        fw, state = self._state(opened)
        if state.status is not Status.COMPLETED:
            raise self._go(opened, pages.page_for(state))
        changed = request.query.get("changed") == "1"
        return await self.views.done(opened, fw, state, changed=changed)

    async def saved(self, request: web.Request) -> web.Response:
        opened = await self._open_page(request)
        fw, state = self._state(opened)
        return self.views.saved(opened, fw, state)

    async def _reopen(self, opened: OpenLink) -> OpenLink:
        """The link again after a step of its form: as the step stored its check-in."""
        kept = self.after_steps.take(opened.token)
        if kept is not None:
            return kept
        return await self.gate.reopen(opened.token)


def _text(form: Mapping[str, Any], name: str) -> str:
    return forms.field(form, name)


def _start(fw: Framework, state: SessionState, options: EngineOptions) -> Transition:
    return engine.start(fw, state, options)


def _advance(
    fw: Framework, state: SessionState, options: EngineOptions, *, reply: Reply
) -> Transition:
    return engine.advance(fw, state, reply, options)


def _refusal(prompts: tuple[Any, ...], question_id: str) -> str | None:
    """Why the engine did not take the answer, in its words; None when it did."""
    for prompt in prompts:
        if isinstance(prompt, Invalid) and prompt.question_id == question_id:
            return prompt.reason
        if isinstance(prompt, Notice) and prompt.kind is NoticeKind.ROUND_CLOSED:
            return "This check-in's round has closed, so answers can no longer be changed."
    return None


def _next_page(prompts: tuple[Any, ...]) -> str:
    """The page that shows what the engine asked for next."""
    for prompt in reversed(prompts):
        if isinstance(prompt, Completed):
            return "/done?changed=1" if prompt.edited else "/done"
        if isinstance(prompt, Review):
            return "/done" if prompt.completed else "/check"
        if isinstance(prompt, Ask):
            return f"/question/{prompt.question_id}"
    return ""
