"""Slack links in storage: linking by email, timezones from profiles, finding sent questions."""

from __future__ import annotations

import storage
from storage.records import Grantee, GranteeSpec, OpenedRound, OutboundWrite, Programme
from tests.storage.factories import NOW, grantee_spec, later, programme_spec


async def test_link_by_email_sets_only_grantees_without_a_slack_user(
    programme: Programme, grantees: list[Grantee]
) -> None:
    other = await storage.upsert_programme(programme_spec("south"))
    await storage.upsert_grantees(other.id, [grantee_spec("BEA@birch.org", "Birch South")])
    linked = await storage.link_slack_user("Bea@Birch.org", "UBEA")
    assert sorted(g.programme_id for g in linked) == sorted([programme.id, other.id])
    assert all(g.slack_user_id == "UBEA" for g in linked)
    # an email match never moves a grantee already linked to someone else
    assert await storage.link_slack_user("amir@alder.org", "UINTRUDER") == []
    (amir,) = await storage.grantees_for_slack_user("UAMIR")
    assert amir.email == "amir@alder.org"


async def test_missing_timezone_is_filled_and_a_set_one_kept(programme: Programme) -> None:
    await storage.upsert_grantees(
        programme.id,
        [
            GranteeSpec("Kim", "Kestrel", "kim@k.org", "UKIM", "", "sport", "Leeds"),
            grantee_spec("lee@l.org", "Larch", slack_user_id="ULEE"),
        ],
    )
    assert await storage.set_missing_timezone("UKIM", "Asia/Tokyo") == 1
    assert await storage.set_missing_timezone("ULEE", "Asia/Tokyo") == 0
    (kim,) = await storage.grantees_for_slack_user("UKIM")
    (lee,) = await storage.grantees_for_slack_user("ULEE")
    assert (kim.timezone, lee.timezone) == ("Asia/Tokyo", "Europe/London")


async def test_question_message_is_the_latest_sent_one_asking_it(opened: OpenedRound) -> None:
    (context,) = await storage.open_checkins_for_slack_user("UCARA")
    checkin_id = context.checkin.id
    ids = await storage.enqueue_outbound(
        [
            OutboundWrite("k1", "slack", "UCARA", {"text": "q1", "ask": "Q1"}),
            OutboundWrite("k2", "slack", "UCARA", {"text": "q1 again", "ask": "Q1"}),
            OutboundWrite("k3", "slack", "UCARA", {"text": "q2", "ask": "Q2"}),
        ],
        checkin_id=checkin_id,
        now=NOW,
    )
    await storage.mark_outbound_sent(ids[0], now=later(1), external_id="D1:1.1")
    await storage.mark_outbound_sent(ids[1], now=later(2), external_id="D1:2.2")
    assert await storage.question_message("slack", "UCARA", "Q1") == "D1:2.2"
    assert await storage.question_message("slack", "UCARA", "Q2") is None  # not sent yet
    assert await storage.question_message("slack", "UAMIR", "Q1") is None
    assert await storage.question_message("email", "UCARA", "Q1") is None


async def test_programmes_and_completed_checkins_for_a_slack_user(
    programme: Programme, opened: OpenedRound
) -> None:
    (found,) = await storage.programmes_for_slack_user("UCARA")
    assert found.slug == programme.slug
    assert await storage.completed_checkins_for_slack_user("UCARA") == []
    (context,) = await storage.open_checkins_for_slack_user("UCARA")
    await storage.save_step(
        context.checkin.id,
        expected_version=context.checkin.version,
        state={"status": "completed"},
        status="completed",
        answers=[],
        channel="slack",
        actor="slack:UCARA",
        now=later(5),
    )
    (done,) = await storage.completed_checkins_for_slack_user("UCARA")
    assert done.checkin.id == context.checkin.id and done.checkin.completed_at == later(5)
