"""Markup in what grantees and funders write is shown escaped in emails, digests and evidence."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta
from email.message import EmailMessage

import pytest

import storage
from bot.conversation.frameworks import framework_for
from bot.summaries.build import funder_digest, pooled_evidence
from bot.summaries.delivery import digest_payloads
from bot.summaries.render import SummaryRenderer
from storage.records import GranteeSpec
from tests.e2e import summary_seed as seed
from tests.faults.email_harness import AMINA, EmailWorld, email_world, html_part, reply
from tests.faults.tally import Tally

SCRIPT = "<script>x()</script>"
IMG = '<img src=x onerror="x()">'
# short enough to be shown whole in a review (longer answers are shortened there)
STORY = f"{SCRIPT} {IMG} <!channel> <@U1> & more"
# each piece of markup, and how it must read once escaped in HTML
IN_HTML = {
    SCRIPT: "&lt;script&gt;x()&lt;/script&gt;",
    IMG: "&lt;img src=x onerror=&#34;x()&#34;&gt;",
    "<!channel>": "&lt;!channel&gt;",
    "<@U1>": "&lt;@U1&gt;",
}
ANSWERS = {  # sensible answers per kind, to get through the check-in
    "count": "10",
    "number": "7.5",
    "proportion": "8 of 10",
    "choice": "1",
    "text": STORY,
}


def assert_escaped_html(html: str, *, expect: tuple[str, ...] = tuple(IN_HTML)) -> None:
    """No piece of the markup is live in the HTML, and each expected one shows, escaped."""
    for raw, shown in IN_HTML.items():
        assert raw not in html, raw
        if raw in expect:
            assert shown in html, shown
    # no element of ours carries an event handler (our templates never use one)
    assert not re.search(r"<[^>]*\son\w+\s*=", html)


@pytest.fixture
async def world(db_url: str) -> AsyncIterator[EmailWorld]:
    async with email_world(db_url, grantees=(AMINA,)) as world:
        yield world


async def test_markup_in_answers_is_escaped_in_every_email_and_the_funder_digest(
    world: EmailWorld, tally: Tally
) -> None:
    amina = world.threads[AMINA]
    framework = framework_for(amina.context.programme)
    story, incident = framework.number_of("G2"), framework.number_of("G3D")
    sent: list[EmailMessage] = []

    async def send(body: str) -> EmailMessage:
        assert await world.receive(reply(amina, body), amina.reply_to) == "saved"
        message = await world.relay.next()
        sent.append(message)
        return message

    with tally.case("attacks markup"):
        saved = html_part(await send(f"{story}: {STORY}"))
        assert "Saved. Change, story or lesson: " + IN_HTML[SCRIPT] in saved
        assert_escaped_html(saved)
    with tally.case("attacks markup"):
        editing = html_part(await send(f"edit {story}"))
        assert "Your answer so far: " + IN_HTML[SCRIPT] in editing
        assert_escaped_html(editing)
    message = await send(f"{story}: {STORY}")
    for _ in range(8):  # answer what each email asks until the review
        text = str(message.get_body(preferencelist=("plain",)).get_content())  # type: ignore[union-attr]
        if "Here is everything before you submit" in text:
            break
        numbers = [int(n) for n in re.findall(r"^(\d+)\. ", text, re.MULTILINE)]
        lines = []
        for number in numbers:
            q = framework.questions[number - 1]
            lines.append(f"{number}: {'yes' if q.id == 'G3' else ANSWERS[q.kind]}")
        message = await send("\n".join(lines))
    else:
        raise AssertionError("never reached the review")
    with tally.case("attacks markup"):
        assert_escaped_html(html_part(message), expect=(SCRIPT,))  # the review, answers shortened
        await send("submit")
        assert "your check-in is complete" in str(sent[-1].get_body().get_content())  # type: ignore[union-attr]
        assert_escaped_html(html_part(sent[-1]), expect=(SCRIPT,))
        for later in world.relay.drain():  # the benchmarked summary that follows
            assert_escaped_html(html_part(later), expect=())
    for message in sent:
        with tally.case("attacks markup"):
            assert_escaped_html(html_part(message), expect=())
    assert f"{incident}. " in "".join(
        str(m.get_body(preferencelist=("plain",)).get_content())  # type: ignore[union-attr]
        for m in sent
    )
    with tally.case("attacks markup"):
        context = await storage.load_checkin_context(amina.checkin_id)
        digest = await funder_digest("bridges-2026", "2026 Q4", now=world.clock())
        assert [q.text for q in digest.stories] == [STORY, STORY]  # the comment and the story
        assert [q.text for q in digest.incidents] == [STORY]
        html = SummaryRenderer().digest_html(digest, {})
        assert_escaped_html(html)
        assert html.count(IN_HTML[SCRIPT]) == 3  # the comment, the story and the incident
        email, slack = digest_payloads(digest, SummaryRenderer())
        assert_escaped_html(str(email["html"]))
        assert_slack_escaped(slack, "&lt;!channel&gt; &lt;@U1&gt; &amp; more")
        assert context.checkin.status == "completed"


def assert_slack_escaped(payload: dict[str, object], shown: str) -> None:
    """Every mrkdwn text (and the notification text) escapes &, < and > as Slack requires."""
    texts = [str(payload["text"])]
    for block in payload["blocks"]:  # type: ignore[attr-defined]
        if block["text"]["type"] == "mrkdwn":
            texts.append(block["text"]["text"])
    for text in texts:
        assert "<" not in text and ">" not in text, text
        assert re.fullmatch(r"(?:[^&]|&(?:amp|lt|gt);)*", text, re.DOTALL), text
    assert shown in texts[-1], texts[-1]


HOSTILE_ORG = "<b onmouseover=alert(1)>Harbour</b> & Co"
HOSTILE_ACTIVITY = "<script>arts</script>"
HOSTILE_PERIOD = "2026 <i>Q1</i>"


async def test_markup_in_names_periods_and_activity_types_is_escaped_in_digest_and_evidence(
    db: str, tally: Tally
) -> None:
    """What funders and programme officers write (organisations, periods, activity types)."""
    target = await seed.programme("harbour", "south", (HOSTILE_ACTIVITY,))
    people = [f"{HOSTILE_ORG} {n}" for n in range(6)]
    await storage.upsert_grantees(
        target.id,
        [
            GranteeSpec(
                name=f"Lead {n}",
                organisation=org,
                email=f"lead{n}@harbour.example.org",
                slack_user_id=None,
                timezone="Europe/London",
                activity_type=HOSTILE_ACTIVITY,
                local_authority="<u>Leeds</u>",
            )
            for n, org in enumerate(people)
        ],
    )
    await seed.open_round(target, HOSTILE_PERIOD, 0)
    for minute, org in enumerate(people):
        answers = {"O1": 12, "O8F": 30, "P1": seed.proportion(20, 30), "G2": STORY}
        await seed.complete(target, HOSTILE_PERIOD, org, answers, minute=minute)
    renderer = SummaryRenderer()
    with tally.case("attacks markup"):
        digest = await funder_digest("harbour", None, now=seed.START + timedelta(days=30))
        html = renderer.digest_html(digest, {})
        assert "&lt;b onmouseover=alert(1)&gt;Harbour&lt;/b&gt; &amp; Co 0" in html
        assert "2026 &lt;i&gt;Q1&lt;/i&gt;" in html
        assert "<b " not in html and "<i>" not in html and "<script>" not in html
        assert_escaped_html(html, expect=(SCRIPT,))
    with tally.case("attacks markup"):
        evidence = renderer.evidence_html(await pooled_evidence(), {})
        assert "&lt;script&gt;arts&lt;/script&gt;" in evidence
        assert "2026 &lt;i&gt;Q1&lt;/i&gt;" in evidence
        assert "<script>" not in evidence and "<i>" not in evidence
        assert "Harbour" not in evidence  # anonymous: no organisation at all
    with tally.case("attacks markup"):
        _, slack = digest_payloads(digest, renderer)
        assert_slack_escaped(slack, "digest for 2026 &lt;i&gt;Q1&lt;/i&gt;")
