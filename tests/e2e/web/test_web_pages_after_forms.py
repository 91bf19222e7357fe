"""The page a form's redirect asks for: the check-in as stored, changes from elsewhere included."""

from __future__ import annotations

import pytest

import storage
from bot.clock import utc_now
from storage import web_links
from tests.support.web_client import Client, Page
from tests.support.web_harness import WebWorld, link_in


async def answers(checkin_id: int) -> dict[str, object]:
    return {a.question_id: a.value for a in await storage.answers_for_checkin(checkin_id)}


async def answered_first(client: Client, link: str, *, started: bool = False) -> tuple[Page, str]:
    """Answer the first question (starting first unless it was) without following the
    redirect: that form's page and where its redirect points."""
    if started:
        first = await client.get(link + "/question/O1")
    else:
        first = await client.submit(await client.get(link), {})
    assert first.path.endswith("/question/O1")
    sent = await client.post(
        first.form_action(), {**first.hidden(), "answer": "12", "action": "continue"}, follow=False
    )
    assert sent.status == 303
    return first, sent.headers["Location"]


async def test_the_page_after_a_form_shows_an_email_answer_given_meanwhile(
    world: WebWorld, client: Client
) -> None:
    context = await world.context()
    await world.service.dispatcher.start(context.checkin.id, "email", "round-opened")
    mail = world.mails()[-1]
    link = link_in(world.mail_text(mail))
    assert link is not None
    _, location = await answered_first(client, link, started=True)
    assert location.endswith("/question/O2")
    await world.reply_by_email(mail, "2: 200")  # between the form and the page it asks for
    page = await client.get(location)
    stored = await world.context()
    assert page.hidden()["version"] == str(stored.checkin.version)
    assert 'value="200"' in page.text  # the email's answer, on the page
    saved = await client.submit(page, {"answer": "210", "action": "continue"})
    assert saved.status == 200 and saved.path.endswith("/question/O3")
    assert await answers(context.checkin.id) == {"O1": 12, "O2": 210}


@pytest.mark.parametrize("change", ["revoked", "closed"])
async def test_a_link_switched_off_after_a_form_shows_at_most_the_page_it_asked_for(
    world: WebWorld, client: Client, change: str
) -> None:
    link = await world.link()
    _, location = await answered_first(client, link)
    context = await world.context()
    if change == "revoked":  # as the command line does, from another process
        await web_links.revoke_links(checkin_ids=[context.checkin.id], now=utc_now())
    else:
        await storage.close_round(context.round.id, now=utc_now())
    before = await storage.load_checkin_context(context.checkin.id)
    # the page the form's redirect asks for comes from the step that form stored...
    page = await client.get(location)
    assert page.status == 200 and page.path.endswith("/question/O2")
    # ...and nothing more: every later page and every form reads the link afresh
    status = 403 if change == "revoked" else 410
    assert (await client.get(location)).status == status
    refused = await client.submit(page, {"answer": "200", "action": "continue"})
    assert refused.status == status
    after = await storage.load_checkin_context(context.checkin.id)
    assert after.checkin.version == before.checkin.version
    assert await answers(context.checkin.id) == {"O1": 12}
