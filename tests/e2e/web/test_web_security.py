"""The web check-in refuses bad links, forged or replayed forms, floods and huge input."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

import storage
from bot.admin import operations as admin
from bot.channels.web.security import CONTENT_SECURITY_POLICY
from bot.clock import utc_now
from storage import web_links
from storage.db import database
from tests.support.cli import run_cli
from tests.support.web_client import Client, Page
from tests.support.web_harness import (
    EMAIL,
    EXAMPLES,
    OTHER_EMAIL,
    PERIOD,
    WebWorld,
    link_in,
)


async def snapshot(world: WebWorld, email: str = EMAIL) -> tuple[int, dict[str, object]]:
    """What must not change: the check-in's version and its answers."""
    context = await world.context(email)
    answers = await storage.answers_for_checkin(context.checkin.id)
    return context.checkin.version, {a.question_id: a.value for a in answers}


async def on_first_question(client: Client, link: str) -> Page:
    page = await client.submit(await client.get(link), {})
    assert page.path.endswith("/question/O1")
    return page


async def test_a_forged_token_opens_nothing(world: WebWorld, client: Client) -> None:
    before = await snapshot(world)
    forged = world.base_url + "/checkin/" + "A" * 43
    page = await client.get(forged)
    assert page.status == 404
    assert page.heading == "This link does not work"
    assert "Ask for a new link" in page.text
    posted = await client.post(forged + "/question/O1", {"answer": "5", "form_key": "x"})
    assert posted.status == 404
    short = await client.get(world.base_url + "/checkin/abc")
    assert short.status == 404 and short.heading == "Page not found"
    assert await snapshot(world) == before


async def test_a_link_expires_when_the_round_closes(world: WebWorld, client: Client) -> None:
    link = await world.link()
    page = await on_first_question(client, link)
    before = await snapshot(world)
    context = await world.context()
    await storage.close_round(context.round.id, now=utc_now())
    assert (await client.get(link)).status == 410
    late = await client.submit(page, {"answer": "5", "action": "continue"})
    assert late.status == 410
    assert late.heading == "This link has expired"
    closed = await storage.load_checkin_context(context.checkin.id)
    answers = await storage.answers_for_checkin(context.checkin.id)
    assert (closed.checkin.version, {a.question_id: a.value for a in answers}) == before


async def test_a_revoked_link_opens_nothing_and_a_new_one_works(
    world: WebWorld, client: Client
) -> None:
    link = await world.link()
    page = await on_first_question(client, link)
    before = await snapshot(world)
    context = await world.context()
    revoked = await web_links.revoke_links(checkin_ids=[context.checkin.id], now=utc_now())
    assert revoked >= 1
    refused = await client.submit(page, {"answer": "5", "action": "continue"})
    assert refused.status == 403
    assert refused.heading == "This link has been switched off"
    assert await snapshot(world) == before
    fresh = await client.get(await world.link())
    assert fresh.status == 200 and "Continue your check-in" in fresh.text


async def test_a_form_from_another_grantees_link_is_refused(
    world: WebWorld, client: Client
) -> None:
    mine = await on_first_question(client, await world.link())
    theirs_link = await world.link(OTHER_EMAIL)
    theirs = await client.get(theirs_link)
    assert "Hello Raj Patel" in theirs.text and "Amina" not in theirs.text
    before = (await snapshot(world), await snapshot(world, OTHER_EMAIL))
    # my form's hidden fields, posted to the other grantee's link
    crossed = await client.post(
        theirs_link + "/question/O1", {**mine.hidden(), "answer": "99", "action": "continue"}
    )
    assert crossed.status == 400
    assert crossed.heading == "This form could not be accepted"
    assert (await snapshot(world), await snapshot(world, OTHER_EMAIL)) == before


async def test_a_form_without_its_hidden_key_is_refused(world: WebWorld, client: Client) -> None:
    page = await on_first_question(client, await world.link())
    before = await snapshot(world)
    fields = {"version": page.hidden()["version"], "answer": "5", "action": "continue"}
    refused = await client.post(page.form_action(), fields)
    assert refused.status == 400
    assert "Nothing was saved" in refused.text
    assert await snapshot(world) == before


async def test_a_replayed_form_changes_nothing(world: WebWorld, client: Client) -> None:
    page = await on_first_question(client, await world.link())
    first = await client.submit(page, {"answer": "12", "action": "continue"})
    assert first.path.endswith("/question/O2")
    before = await snapshot(world)
    replayed = await client.submit(page, {"answer": "40", "action": "continue"})
    assert replayed.status == 409
    assert replayed.heading == "This check-in changed elsewhere"
    assert "/question/O2" in replayed.text  # where it stands now
    assert await snapshot(world) == before
    assert before[1] == {"O1": 12}


async def test_two_tabs_settle_and_the_first_answer_is_kept(
    world: WebWorld, client: Client
) -> None:
    link = await world.link()
    await on_first_question(client, link)
    tab_a = await client.get(link + "/question/O1")
    tab_b = await client.get(link + "/question/O1")
    saved = await client.submit(tab_a, {"answer": "12", "action": "continue"})
    assert saved.status == 200
    stale = await client.submit(tab_b, {"answer": "13", "action": "continue"})
    assert stale.status == 409
    assert "Nothing from this form was saved" in stale.text
    assert (await snapshot(world))[1] == {"O1": 12}


async def test_oversized_input_gets_a_page_and_changes_nothing(
    world: WebWorld, client: Client
) -> None:
    page = await on_first_question(client, await world.link())
    before = await snapshot(world)
    huge = await client.submit(page, {"answer": "9" * 200_000, "action": "continue"})
    assert huge.status == 413
    assert huge.heading == "What you sent is too large"
    long_field = await client.submit(page, {"answer": "9" * 30_000, "action": "continue"})
    assert long_field.status == 400
    assert long_field.error is not None and "too long" in long_field.error
    assert await snapshot(world) == before


async def test_pages_carry_a_strict_policy_and_no_script(world: WebWorld, client: Client) -> None:
    link = await world.link()
    pages = [
        await client.get(link),
        await on_first_question(client, link),
        await client.get(world.base_url + "/link"),
        await client.get(world.base_url + "/checkin/" + "B" * 43),
    ]
    for page in pages:
        assert page.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
        assert page.headers["Referrer-Policy"] == "no-referrer"
        assert page.headers["X-Frame-Options"] == "DENY"
        assert page.headers["Cache-Control"] == "no-store"
        assert "<script" not in page.text
        assert "http" not in page.text.split("<body>")[0].replace('"/static/web.css"', "")


async def test_tokens_never_reach_the_logs(
    world: WebWorld, client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    link = await world.link()
    token = link.rsplit("/", 1)[1]
    page = await on_first_question(client, link)
    await client.submit(page, {"answer": "lots", "action": "continue"})
    await client.get(world.base_url + "/checkin/" + "C" * 43)
    access = [r for r in caplog.records if r.name == "checkins.web.access"]
    assert any("/checkin/…/question/O1" in r.getMessage() for r in access)
    assert all(token not in r.getMessage() for r in caplog.records)


async def test_a_new_link_by_email_gives_the_same_answer_for_any_address(
    world: WebWorld, client: Client
) -> None:
    form = await client.get("/link")
    known = await client.submit(form, {"email": EMAIL.upper()})
    unknown = await client.submit(await client.get("/link"), {"email": "nobody@example.org"})
    assert known.status == unknown.status == 200
    assert known.heading == unknown.heading == "Check your email"
    assert known.text.replace(EMAIL, "X") == unknown.text.replace("nobody@example.org", "X")
    server_requests = world.server.app
    assert server_requests is not None
    for _ in range(100):
        sent = [m for m in world.mails() if str(m["To"]) == EMAIL]
        if sent:
            break
        await asyncio.sleep(0.05)
    (mail,) = sent
    assert not [m for m in world.mails() if str(m["To"]) != EMAIL]
    link = link_in(world.mail_text(mail))
    assert link is not None
    assert (await client.get(link)).status == 200


async def test_link_requests_are_checked_and_limited(world: WebWorld, client: Client) -> None:
    no_cookie = await client.post("/link", {"email": EMAIL, "form_key": "made-up"})
    assert no_cookie.status == 400 and "Nothing was sent" in no_cookie.text
    bad = await client.submit(await client.get("/link"), {"email": "not an address"})
    assert bad.status == 400
    assert bad.error == "Enter an email address in the correct format, like name@example.org"
    statuses = []
    for n in range(12):
        page = await client.submit(await client.get("/link"), {"email": f"p{n}@example.org"})
        statuses.append(page.status)
    assert statuses.count(429) >= 2  # ten an hour from one address
    limited = await client.submit(await client.get("/link"), {"email": EMAIL})
    assert limited.status == 429 and limited.headers["Retry-After"]


async def test_edits_after_submitting_are_recorded(world: WebWorld, client: Client) -> None:
    from tests.e2e.web.test_web import answer_until_check

    link = await world.link()
    page = await on_first_question(client, link)
    check = await answer_until_check(client, page, world)
    done = await client.submit(check, {})
    assert done.heading == "Check-in submitted"
    change = await client.get(link + "/question/O1?change=1")
    assert (
        'value="10"' in change.text
        and f'href="{change.path.rsplit("/question", 1)[0]}/done"' in change.text
    )
    edited = await client.submit(change, {"answer": "11", "action": "continue"})
    assert edited.path.endswith("/done") and "Your change was saved." in edited.text
    assert "11 sessions" in edited.text
    history = await storage.answer_history((await world.context()).checkin.id)
    last = [h for h in history if h.question_id == "O1"][-1]
    assert (last.old_value, last.new_value, last.channel) == (10, 11, "web")
    assert last.actor == f"web:{EMAIL}"


def test_revoke_from_the_command_line(tmp_path: Path) -> None:
    db = f"sqlite://{tmp_path}/checkins.sqlite3"
    settings = tmp_path / "settings.toml"
    settings.write_text(f'[database]\nurl = "{db}"\n', encoding="utf-8")

    async def setup() -> list[int]:
        async with database(db):
            programme = await admin.load_programme(EXAMPLES / "programme.toml")
            await admin.import_grantees(EXAMPLES / "grantees.csv", programme.slug)
            await admin.open_round(programme.slug, PERIOD, now=utc_now(), timezone="Europe/London")
            (context,) = await storage.open_checkins_for_email(EMAIL)
            for n in range(2):
                await web_links.issue_link(
                    context.checkin.id,
                    context.grantee.id,
                    token_hash=f"{n:064d}",
                    form_key="k",
                    expires_at=None,
                    now=utc_now(),
                )
            return [context.checkin.id]

    asyncio.run(setup())
    code, output = run_cli(settings, "web", "revoke", "--grantee", EMAIL)
    assert code == 0, output
    assert "Revoked 2 link(s) to 1 check-in(s)." in output
    code, output = run_cli(settings, "web", "revoke", "--grantee", "nobody@example.org")
    assert code == 1 and "nothing was revoked" in output
    code, output = run_cli(settings, "web", "revoke")
    assert code == 2 and "--grantee" in output
