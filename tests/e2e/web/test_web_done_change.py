"""The page after submitting on the web shows the change among the grantee's participants."""

from __future__ import annotations

from bot.conversation.frameworks import framework_for
from tests.e2e.web.test_web import answer_until_check
from tests.support.forms_feed import feed
from tests.support.web_client import Client
from tests.support.web_harness import WebWorld


async def test_the_done_page_states_the_paired_change_with_its_interval(
    world: WebWorld, client: Client
) -> None:
    context = await world.context()
    await feed(framework_for(context.programme), context.grantee.id, context.round.period,
               context.round.opened_at)  # fmt: skip
    first = await client.submit(await client.get(await world.link()), {})
    done = await client.submit(await answer_until_check(client, first, world), {})
    assert done.heading == "Check-in submitted"
    text = done.text.replace("&#34;", '"').replace("&#39;", "'")
    assert "Change among your participants" in text
    assert "Among the same 12 people (fewer than 30 people: indicative only): 12 better" in text
    assert "on average up 1.5 points (95% interval +0.9 to +2.1), which is better." in text
    assert "The business case" in text and "Wellbeing: 7.2 WELLBYs" in text
