"""The demo's web part: a grantee answers on the check-in pages, driven over HTTP."""

from __future__ import annotations

import html
import random
import re
from pathlib import Path

import aiohttp
from rich.console import Console
from yarl import URL

import storage
from bot.admin import operations as admin
from bot.channels.web.server import WebServer
from bot.clock import utc_now
from bot.conversation.frameworks import framework_for
from bot.demo.grantees import Grantee
from bot.service import build_service
from bot.settings import Settings
from conversations.answers import Parsed, parse_answer
from conversations.framework import (
    ChoiceQuestion,
    ProportionQuestion,
    Question,
    ScaleQuestion,
    YesNoQuestion,
)

PERIOD = "Web demo"
_HIDDEN = re.compile(r'<input type="hidden" name="(\w+)" value="([^"]*)">')
_ERROR = re.compile(r'<p id="error" class="error-message">(.*?)</p>', re.S)
_H1 = re.compile(r"<h1[^>]*>(.*?)</h1>", re.S)


def _plain(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def _fields(q: Question, typed: str) -> dict[str, str]:
    """The form fields a person fills in for what the terminal grantee would have typed."""
    if isinstance(q, ProportionQuestion):
        x, n = re.findall(r"\d+", typed)[:2]
        return {"x": x, "n": n}
    if isinstance(q, ChoiceQuestion):
        return {"answer": q.options[0].value}
    if isinstance(q, YesNoQuestion):
        return {"answer": "yes" if typed.lower().startswith("y") else "no"}
    if isinstance(q, ScaleQuestion):
        return {"answer": str(q.min)}
    return {"answer": typed}


def serve_settings(directory: Path) -> Path:
    """A settings file for `checkins serve` on the demo's database (written next to it)."""
    path = directory / "settings.toml"
    path.write_text(
        "# `checkins serve --settings var/demo/settings.toml` serves the demo's check-ins\n"
        "[database]\n"
        'url = "sqlite://checkins.sqlite3"\n'
        "[email]\n"
        'relay = "maildir:outbox"\n',
        encoding="utf-8",
    )
    return path


async def run_web_demo(directory: Path, out: Console) -> None:
    """Open a round now; one grantee answers it on the web; print a link for a browser."""
    url = f"sqlite://{directory / 'checkins.sqlite3'}"
    settings_file = serve_settings(directory)
    served = Settings()  # what `checkins serve` would use for the web: the defaults
    settings = Settings.model_validate(
        {
            "database": {"url": url},
            "email": {"inbound_port": 0, "relay": f"maildir:{directory / 'outbox'}"},
            "web": {"port": 0},
        }
    )
    service = build_service(settings, scheduler=False)
    await service.start()
    try:
        (server,) = [c for c in service.components if isinstance(c, WebServer)]
        (programme, *_) = await storage.list_programmes()
        await admin.open_round(programme.slug, PERIOD, now=utc_now(), timezone="Europe/London")
        grantees = await storage.list_grantees(programme.id)
        contexts = {
            c.grantee.email: c
            for g in grantees
            for c in await storage.open_checkins_for_email(g.email)
            if c.round.period == PERIOD
        }
        answering = contexts[grantees[3].email]
        out.rule(f"On the web: {answering.grantee.name}, {answering.grantee.organisation}")
        token = await server.links.mint(answering)
        out.print(f"(the web check-in on {server.links.base_url}, driven over HTTP)", markup=False)
        await _answer(out, server.links.url(token), answering.programme, random.Random(7))
        stored = await storage.answers_for_checkin(answering.checkin.id)
        out.print(f"Stored from the web: {len(stored)} answers.", markup=False)

        waiting = contexts[grantees[4].email]
        links = type(server.links)(served.web.base_url())
        link = links.url(await links.mint(waiting))
        out.rule("Open a check-in in your browser")
        out.print(
            f"A private link to {waiting.grantee.name}'s check-in for {PERIOD} (it works until "
            f"the round closes, {waiting.round.closes_at:%d %B %Y}):",
            markup=False,
        )
        out.print(f"  {link}", markup=False, highlight=False, soft_wrap=True)
        out.print(
            f"Serve it with:  checkins serve --settings {settings_file}\n"
            "then open the link (the service prints 'ready; listening: ... web http "
            f"{served.web.host}:{served.web.port}' when it is up).",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    finally:
        await service.stop()


async def _answer(
    out: Console, link: str, programme: storage.records.Programme, rng: random.Random
) -> None:
    fw = framework_for(programme)
    grantee = Grantee(rng, {"O1": ["about a dozen", "12"]})
    given: dict[str, object] = {}
    async with aiohttp.ClientSession() as session:
        async with session.get(link) as response:
            page = await response.text()
        out.print(f"  GET  {_path(link)} -> {_plain(_H1.findall(page)[0])!r}", markup=False)
        async with session.post(link + "/start", data=dict(_HIDDEN.findall(page))) as response:
            page, path = await response.text(), response.url.path
        while "/question/" in path:
            q = fw.question(path.rsplit("/", 1)[1])
            typed = grantee.answer(q, given)
            fields = _fields(q, typed)
            data = {**dict(_HIDDEN.findall(page)), **fields, "action": "continue"}
            async with session.post(link + f"/question/{q.id}", data=data) as response:
                page, next_path = await response.text(), response.url.path
            error = _ERROR.findall(page)
            shown = " / ".join(fields.values())
            if error:
                out.print(
                    f"  Q{fw.number_of(q.id)} {q.short}: {shown!r} -> error: "
                    f"{_plain(error[0]).removeprefix('Error: ')}",
                    markup=False,
                )
                continue
            parsed = parse_answer(q, typed)
            given[q.id] = parsed.value if isinstance(parsed, Parsed) else typed
            out.print(f"  Q{fw.number_of(q.id)} {q.short}: {shown!r} -> saved", markup=False)
            path = next_path
        async with session.post(link + "/submit", data=dict(_HIDDEN.findall(page))) as response:
            page = await response.text()
        out.print(f"  Check your answers, submit -> {_plain(_H1.findall(page)[0])!r}", markup=False)
        compares = re.search(r"<h2[^>]*>(How your .*? compares)</h2>", page)
        if compares:
            out.print(f"  The page then shows: {_plain(compares.group(1))}", markup=False)


def _path(link: str) -> str:
    return re.sub(r"/checkin/[^/]+", "/checkin/…", URL(link).path)
