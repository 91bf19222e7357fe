"""The web check-in over HTTP: a whole check-in, one conversation across channels, edits after."""

from __future__ import annotations

import storage
from bot.clock import utc_now
from bot.conversation.frameworks import framework_for
from bot.scheduling.reminders import Reminders
from conversations.framework import ChoiceQuestion, Question
from tests.support.web_client import Client, Page
from tests.support.web_harness import WebWorld, link_in

ANSWERS = {
    "count": {"answer": "10"},
    "number": {"answer": "7.5"},
    "proportion": {"x": "8", "n": "10"},
    "yes_no": {"answer": "no"},
    "scale": {"answer": "3"},
    "text": {"answer": "Neighbours who had never met now cook together."},
}


def fields_for(q: Question) -> dict[str, str]:
    if isinstance(q, ChoiceQuestion):
        return {"answer": q.options[0].value}
    return ANSWERS[q.kind]


async def answer_until_check(client: Client, page: Page, world: WebWorld) -> Page:
    fw = framework_for((await world.context()).programme)
    while "/question/" in page.path:
        q = fw.question(page.path.rsplit("/", 1)[1])
        page = await client.submit(page, {**fields_for(q), "action": "continue"})
        assert page.status == 200, page.text
    return page


async def test_a_grantee_completes_a_check_in_on_the_web(world: WebWorld, client: Client) -> None:
    start = await client.get(await world.link())
    assert start.status == 200
    assert start.heading == "Your check-in for 2026 Q4"
    fw = framework_for((await world.context()).programme)
    for q in fw.questions:  # the whole question set, with why each is asked, before starting
        assert q.why in start.text.replace("&#39;", "'")
    assert "What your funder will see" in start.text

    first = await client.submit(start, {})
    assert first.path.endswith("/question/O1")
    assert fw.question("O1").prompt in first.text
    second = await client.submit(first, {"answer": "12", "action": "continue"})
    assert second.path.endswith("/question/O2")
    stored = await storage.answers_for_checkin((await world.context()).checkin.id)
    assert {a.question_id: a.value for a in stored}["O1"] == 12

    check = await answer_until_check(client, second, world)
    assert check.path.endswith("/check")
    assert "Sessions run" in check.text and "12 sessions" in check.text
    done = await client.submit(check, {})
    assert done.path.endswith("/done")
    assert done.heading == "Check-in submitted"
    assert "How your 2026 Q4 check-in compares" in done.text
    assert (await world.context()).checkin.status == "completed"


async def test_an_error_is_shown_by_the_field_and_nothing_saved_is_lost(
    world: WebWorld, client: Client
) -> None:
    first = await client.submit(await client.get(await world.link()), {})
    second = await client.submit(first, {"answer": "12", "action": "continue"})
    wrong = await client.submit(second, {"answer": "lots", "action": "continue"})
    assert wrong.status == 400
    assert wrong.title.startswith("Error: ")
    assert "There is a problem" in wrong.text and 'href="#answer"' in wrong.text
    assert wrong.error and "number" in wrong.error
    assert 'value="lots"' in wrong.text  # what was typed is shown again
    empty = await client.submit(wrong, {"answer": "", "action": "continue"})
    assert empty.error == "Enter the number of attendances, or 0 if none"
    fixed = await client.submit(empty, {"answer": "140", "action": "continue"})
    assert fixed.path.endswith("/question/O3")
    stored = {
        a.question_id: a.value
        for a in await storage.answers_for_checkin((await world.context()).checkin.id)
    }
    assert stored == {"O1": 12, "O2": 140}


async def test_save_and_come_back_later_keeps_the_answer(world: WebWorld, client: Client) -> None:
    link = await world.link()
    first = await client.submit(await client.get(link), {})
    saved = await client.submit(first, {"answer": "9", "action": "later"})
    assert saved.path.endswith("/saved")
    assert "Your answers have been saved" in saved.text and "1 of" in saved.text
    again = await client.get(link)
    assert "Continue your check-in" in again.text
    resumed = await client.get(again.text.split('href="', 1)[0] and link + "/question/O2")
    assert resumed.status == 200


async def test_email_then_web_is_one_conversation(world: WebWorld, client: Client) -> None:
    context = await world.context()
    await world.service.dispatcher.start(context.checkin.id, "email", "round-opened")
    mail = world.mails()[-1]
    link = link_in(world.mail_text(mail))
    assert link is not None, "every check-in email carries the private link"
    assert "Prefer a form? Answer on the web: " + link in world.mail_text(mail)
    assert f'<a href="{link}">Answer on the web</a>' in world.mail_text(mail, "html")
    await world.reply_by_email(mail, "1: 14\n2: 200\n3: 90")
    page = await client.get(link)
    assert "3 answered" in page.text  # the web shows what was answered by email
    question = await client.get(link + "/question/O4")
    assert "How many of them were taking part for the first time?" in question.text
    nxt = await client.submit(question, {"answer": "30", "action": "continue"})
    assert nxt.path.endswith("/question/O5")
    stored = {a.question_id: a.value for a in await storage.answers_for_checkin(context.checkin.id)}
    assert stored == {"O1": 14, "O2": 200, "O3": 90, "O4": 30}


async def test_a_reminder_email_carries_the_link_too(world: WebWorld, client: Client) -> None:
    context = await world.context()
    await Reminders(world.service.dispatcher).remind(context.checkin.id, "email", 1, now=utc_now())
    (mail,) = world.mails()
    link = link_in(world.mail_text(mail))
    assert link is not None and "Prefer a form?" in world.mail_text(mail)
    page = await client.get(link)
    assert page.status == 200 and page.heading == "Your check-in for 2026 Q4"
