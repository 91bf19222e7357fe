"""Forms submitted online and keyed from paper feed a check-in answered through the real bolt
HTTP endpoint: figures offered in the DM, accepted or typed over, and the change summarised."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping

import pytest

import storage
from bot.conversation.frameworks import framework_for
from conversations.state import SessionState, Status
from tests.support.fake_slack import Call, slash_command
from tests.support.forms_feed import OFFERED_P1, feed
from tests.support.slack_harness import AMINA, AMINA_EMAIL, TYPED, SlackHarness, slack_harness
from tests.support.slack_text import block_text

HEADER = "How your 2026 Q4 check-in compares"
OFFER = "Reply *yes* to use it."


@pytest.fixture
async def slack(db_url: str) -> AsyncIterator[SlackHarness]:
    async with slack_harness(db_url) as harness:
        context = await harness.context()
        await feed(
            framework_for(context.programme),
            context.grantee.id,
            context.round.period,
            context.round.opened_at,
        )
        yield harness


async def answer_in_the_dm(slack: SlackHarness, own: Mapping[str, str]) -> dict[str, str]:
    """Answer every question in the DM: `own` where given, `yes` where figures are offered,
    a plain answer otherwise; then submit. What each offered question showed, by id."""
    status, _ = await slack.sender.command(slash_command(AMINA))
    assert status == 200
    await slack.wait_dm(AMINA, 1)
    offered = {}
    for _ in range(100):
        context = await slack.context()
        state = SessionState.from_json(context.checkin.state)
        if state.status is not Status.IN_PROGRESS or state.current is None:
            break
        asked = block_text(slack.dm(AMINA)[-1])
        q = framework_for(context.programme).question(state.current)
        if OFFER in asked:
            offered[q.id] = asked
        await slack.say(AMINA, own.get(q.id, "yes" if OFFER in asked else TYPED[q.kind]))
    else:
        raise AssertionError("the check-in never reached the review")
    await slack.say(AMINA, "submit")
    return offered


def summary_posts(slack: SlackHarness) -> list[Call]:
    return [p for p in slack.dm(AMINA) if p.params["text"].startswith(HEADER)]


async def stored(slack: SlackHarness) -> dict[str, storage.StoredAnswer]:
    context = await slack.context(AMINA_EMAIL)
    return {a.question_id: a for a in await storage.answers_for_checkin(context.checkin.id)}


async def test_forms_figures_are_offered_in_slack_accepted_and_reach_the_summary(
    slack: SlackHarness,
) -> None:
    offered = await answer_in_the_dm(slack, {})
    assert f"12 baseline forms stored for this period. {OFFER}" in offered["O8"]
    assert f"39 follow-up forms stored for this period. {OFFER}" in offered["O8F"]
    # the held flood (8 online forms from one address, all agreeing) is not in the figures
    assert f"{OFFERED_P1} {OFFER}" in offered["P1"]
    assert "was 7.0 (39 answers)" in offered["P7"]
    assert set(offered) == {"O8", "O8F", "P1", "P7N", "P7"}  # only what the forms answer
    answers = await stored(slack)
    assert answers["P1"].value == {"x": 33, "n": 39}
    assert answers["P1"].raw_text == f"accepted from forms: {OFFERED_P1}"
    assert answers["P1"].channel == "slack"
    assert (answers["O8"].value, answers["O8F"].value, answers["P7"].value) == (12, 39, 7.0)
    await slack.standin.wait_for(lambda: bool(summary_posts(slack)))
    (summary,) = summary_posts(slack)
    shown = block_text(summary)
    assert "*Change among your participants*" in shown
    assert (
        "Among the same 12 people (fewer than 30 people: indicative only): 12 better, 0 the "
        "same, 0 worse (better means moving into \u201cagree\u201d)." in shown
    )
    assert "on average up 1.5 points (95% interval +0.9 to +2.1), which is better." in shown
    assert "*The business case*" in shown and "Wellbeing: 7.2 WELLBYs" in shown
    assert "Change among your participants" in summary.params["text"]  # the fallback text


async def test_a_grantee_can_type_their_own_counts_in_slack_instead(slack: SlackHarness) -> None:
    offered = await answer_in_the_dm(slack, {"P1": "30 of 35", "P7": "6.5"})
    assert OFFERED_P1 in offered["P1"]
    answers = await stored(slack)
    assert answers["P1"].value == {"x": 30, "n": 35} and answers["P1"].raw_text == "30 of 35"
    assert answers["P7"].value == 6.5 and answers["P7"].raw_text == "6.5"
    assert answers["P7N"].raw_text.startswith("accepted from forms")
