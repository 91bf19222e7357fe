"""App Home and Slack profiles end to end: summaries, response rates, timezones from Slack."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

import storage
from bot.channels.slack.home import next_opening
from storage.records import GranteeSpec
from tests.support.fake_slack import SlackUser, home_opened_event, slash_command
from tests.support.slack_harness import AMINA, AMINA_EMAIL, PRIYA, SlackHarness, slack_harness


@pytest.fixture
async def slack(db_url: str) -> AsyncIterator[SlackHarness]:
    async with slack_harness(db_url) as harness:
        yield harness


async def home_of(slack: SlackHarness, user: str) -> str:
    before = len(slack.standin.called("views.publish"))
    status, _ = await slack.sender.event(home_opened_event(user))
    assert status == 200
    publishes = await slack.standin.wait_for_calls("views.publish", before + 1)
    (mine,) = [c for c in publishes[before:] if c.params["user_id"] == user]
    view = mine.params["view"]
    assert view["type"] == "home"
    return json.dumps(view, ensure_ascii=False)


async def test_home_shows_the_latest_completed_check_in_and_next_opening(
    slack: SlackHarness,
) -> None:
    await slack.sender.command(slash_command(AMINA))
    await slack.wait_dm(AMINA, 1)
    await slack.answer_until(AMINA, AMINA_EMAIL)
    await slack.say(AMINA, "submit")
    context = await slack.context()
    assert context.checkin.status == "completed" and context.checkin.completed_at
    home = await home_of(slack, AMINA)
    submitted = context.checkin.completed_at.astimezone(ZoneInfo("Europe/London"))
    assert (
        "Your latest completed check-in*\\nBridges Community Fund, 2026 Q4, submitted "
        f"{submitted:%A} {submitted.day} {submitted:%B %Y}" in home
    )
    assert "Sessions run: 10 sessions" in home  # a headline answer
    assert "Unique participants: 10 participants" in home
    assert "*Your activity*" in home  # the benchmarked summary's part on outputs
    assert "Continue in Messages" not in home  # nothing left open
    today = datetime.now(ZoneInfo("Europe/London")).date()
    opens = next_opening(slack.programme, today)
    assert opens is not None
    assert f"Next check-in opens: Bridges Community Fund: {opens:%A} {opens.day}" in home


async def test_programme_contact_sees_response_rates(slack: SlackHarness) -> None:
    await slack.sender.command(slash_command(AMINA))
    await slack.wait_dm(AMINA, 1)
    await slack.answer_until(AMINA, AMINA_EMAIL)
    await slack.say(AMINA, "submit")
    home = await home_of(slack, PRIYA)
    assert "Response rates for your programmes" in home
    assert "Bridges Community Fund*, 2026 Q4: 1 of 12 grantees have completed (8%)" in home


async def test_grantee_without_timezone_takes_the_slack_profile_one(slack: SlackHarness) -> None:
    slack.standin.users["U0NEWTZ001"] = SlackUser("U0NEWTZ001", "kim@new.example.org", "Asia/Tokyo")
    await storage.upsert_grantees(
        slack.programme.id,
        [GranteeSpec("Kim Lee", "New Org", "kim@new.example.org", None, "", "arts", "Leeds")],
    )
    await storage.open_round(
        slack.programme.id, "2026 Q4", now=datetime.now(ZoneInfo("UTC")), initial_state={}
    )
    await slack.say("U0NEWTZ001", "hello")
    assert "Hello Kim Lee" in slack.dm("U0NEWTZ001")[-1].params["text"]
    (kim,) = await storage.grantees_for_slack_user("U0NEWTZ001")
    assert kim.timezone == "Asia/Tokyo" and kim.email == "kim@new.example.org"
