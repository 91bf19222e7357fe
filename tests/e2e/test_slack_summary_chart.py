"""The summary in Slack: its text in the DM, then its chart uploaded as an image, via the outbox."""

from __future__ import annotations

import struct
from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime, timedelta

import pytest

import storage
from bot.channels.slack.channel import SlackChannel
from bot.conversation.outbox import Outbox
from bot.conversation.rendering import Renderer
from storage.records import OutboundMessage
from tests.e2e import summary_seed as seed
from tests.support.fake_slack import PNG_SIGNATURE, UPLOAD, Call, slash_command
from tests.support.slack_harness import (
    AMINA,
    AMINA_EMAIL,
    TYPED,
    SlackHarness,
    eventually,
    slack_harness,
)

HEADER = "How your 2026 Q4 check-in compares"
# Amina works in Bradford: England's figures (and the UK's) apply where one is published
NATIONAL_ROWS = "Belong to the neighbourhood, Often or always lonely, Average life satisfaction"
PEER_ROWS = f"Different backgrounds get on well, {NATIONAL_ROWS}"
# ten other grantees of the example programme: just enough for peer figures
PEERS = [
    "Belgrave Arts Collective",
    "Forest Gate Youth Forum",
    "Grangetown Cycle Club",
    "Govanhill Green Spaces",
    "Glodwick Neighbours Network",
    "Millfield Welcome Café",
    "Caldmore Faith Forum",
    "Bury Park Learning Circle",
    "Easton Together",
    "Audley Sports Hub",
]
# answers from too few participants for any of Amina's own figures to be shown
FEW = {**TYPED, "count": "5", "proportion": "3 of 5"}


@pytest.fixture
async def slack(db_url: str) -> AsyncIterator[SlackHarness]:
    async with slack_harness(db_url) as harness:
        yield harness


async def peers_complete(slack: SlackHarness) -> None:
    for minute, organisation in enumerate(PEERS):
        answers = {
            "O1": 10,
            "O3": 40,
            "O8F": 20,
            "P1": seed.proportion(10 + minute, 20),  # 50% to 95%
            "P2": seed.proportion(10, 20),
            "P7N": 20,
            "P7": 7.0,
        }
        await seed.complete(slack.programme, "2026 Q4", organisation, answers, minute=minute)


def summaries(slack: SlackHarness) -> list[Call]:
    return [p for p in slack.dm(AMINA) if p.params["text"].startswith(HEADER)]


async def submit(slack: SlackHarness, typed: Mapping[str, str] = TYPED) -> Call:
    """Amina answers everything in her DM and submits; the summary's text message."""
    status, _ = await slack.sender.command(slash_command(AMINA))
    assert status == 200
    await slack.wait_dm(AMINA, 1)
    await slack.answer_until(AMINA, AMINA_EMAIL, typed=typed)
    await slack.say(AMINA, "submit")
    await slack.standin.wait_for(lambda: bool(summaries(slack)))
    (summary,) = summaries(slack)
    return summary


def png_size(data: bytes) -> tuple[int, int]:
    width, height = struct.unpack(">II", data[16:24])  # IHDR is the first chunk
    return int(width), int(height)


def index_of(slack: SlackHarness, call: Call) -> int:
    return next(n for n, c in enumerate(slack.standin.calls) if c is call)


async def queued(kind: str) -> list[OutboundMessage]:
    later = datetime.now(UTC) + timedelta(days=1)
    return [
        m for m in await storage.pending_outbound("slack", now=later) if m.payload["kind"] == kind
    ]


async def all_sent() -> bool:
    return set(await storage.outbound_counts(channel="slack")) == {"sent"}


async def later(slack: SlackHarness, *, restarted: bool = False) -> int:
    """Let the outbox's retry time come (a minute on); with a fresh channel, as after a restart."""
    channels = dict(slack.service.channels)
    if restarted:
        running = slack.service.channels["slack"]
        assert isinstance(running, SlackChannel)
        channels["slack"] = SlackChannel(running.client, Renderer())
    outbox = Outbox(channels, clock=lambda: datetime.now(UTC) + timedelta(minutes=1))
    return await outbox.flush("slack")


async def test_the_summary_text_is_posted_then_its_chart_uploaded_in_the_dm(
    slack: SlackHarness,
) -> None:
    await peers_complete(slack)
    summary = await submit(slack)
    # quartiles as means of three neighbours: (55+60+65)/3, (70+75+80)/3, (80+85+90)/3
    assert "median 75%, middle half 60% to 85% (n = 10 grantees)" in summary.params["text"]
    chart = await slack.wait_chart(AMINA)
    # what Amina sees: one image in her DM, after the text, named and explained
    (complete,) = slack.standin.called("files.completeUploadExternal")
    assert index_of(slack, summary) < index_of(slack, complete)
    assert complete.params["channel_id"] == f"D{AMINA}"
    assert complete.params["files"] == [{"id": chart.id, "title": HEADER}]
    assert chart.title == HEADER and chart.filename == "checkin-summary-2026-q4.png"
    assert chart.initial_comment == (
        f"Your 2026 Q4 figures at a glance: {PEER_ROWS}. Your figure is the blue dot; the "
        "grey band is other grantees' middle half, the line their median; the dashed line is "
        "the national figure."
    )
    assert chart.alt_txt is not None and chart.alt_txt.startswith(
        "Different backgrounds get on well: you 80%, other grantees' median 75%, middle half "
        "60% to 85%; Belong to the neighbourhood: you 80%"
    )
    # the bytes are a PNG, a row per indicator charted, as announced and as received
    assert chart.data is not None and chart.data.startswith(PNG_SIGNATURE)
    width, height = png_size(chart.data)
    assert width == 640 and height == round(100 * (0.5 + 0.95 * 4))
    (announce,) = slack.standin.called("files.getUploadURLExternal")
    assert announce.params["filename"] == "checkin-summary-2026-q4.png"
    assert int(announce.params["length"]) == len(chart.data)
    (upload,) = slack.standin.called(UPLOAD)
    assert upload.params["length"] == len(chart.data)
    assert upload.params["content_type"] == "application/octet-stream"
    assert announce.response["upload_url"].startswith(f"http://127.0.0.1:{slack.standin.port}/")
    # once each, both through the outbox, and nothing is left to send
    await eventually(all_sent)
    assert len(summaries(slack)) == 1 and len(slack.charts(AMINA)) == 1
    assert await later(slack) == 0


@pytest.mark.parametrize(
    ("method", "error", "status"),
    [
        ("files.getUploadURLExternal", "internal_error", 200),
        (UPLOAD, "upload refused", 500),
        ("files.completeUploadExternal", "internal_error", 200),
    ],
)
async def test_a_failed_upload_keeps_the_text_and_is_retried_alone(
    slack: SlackHarness, method: str, error: str, status: int
) -> None:
    slack.standin.fail(method, error, status=status)
    summary = await submit(slack)
    await slack.standin.wait_for(
        lambda: any(not c.response["ok"] for c in slack.standin.called(method))
    )
    # the text is in the DM; the chart is not, and waits in the outbox with the reason
    assert summary.response["ok"] and slack.charts(AMINA) == []

    async def recorded() -> bool:
        # the failed attempt has been written back to the row, not merely made
        return any(m.attempts for m in await queued("summary_chart"))

    await eventually(recorded)
    (waiting,) = await queued("summary_chart")
    assert waiting.attempts == 1 and waiting.last_error
    assert error in waiting.last_error
    # when its retry time comes, the chart goes, once; the text is not sent again
    assert await later(slack, restarted=True) == 1
    (chart,) = slack.charts(AMINA)
    assert chart.data is not None and chart.data.startswith(PNG_SIGNATURE)
    assert chart.initial_comment is not None and NATIONAL_ROWS in chart.initial_comment
    assert len(summaries(slack)) == 1
    assert await all_sent()
    assert await later(slack) == 0  # and nothing more to send


async def test_the_chart_waits_for_a_summary_text_that_failed(slack: SlackHarness) -> None:
    def fail_the_summary(call: Call) -> None:
        # the post after the completion message is the summary's text
        if call.method == "chat.postMessage" and "your check-in is complete" in str(
            call.params.get("text")
        ):
            slack.standin.fail("chat.postMessage", "internal_error")

    slack.standin.on_call = fail_the_summary
    status, _ = await slack.sender.command(slash_command(AMINA))
    assert status == 200
    await slack.wait_dm(AMINA, 1)
    await slack.answer_until(AMINA, AMINA_EMAIL)
    await slack.say(AMINA, "submit")

    async def both_waiting() -> bool:
        # the chart's row has been tried once and put back, not merely stored
        charts = await queued("summary_chart")
        return bool(await queued("summary")) and any(m.last_error for m in charts)

    await eventually(both_waiting)
    (chart_row,) = await queued("summary_chart")
    checkin = (await slack.context()).checkin
    key = f"slack:summary:{checkin.id}:{checkin.version}"
    assert chart_row.last_error == f"waiting for {key} to be posted first"
    assert summaries(slack) == [] and slack.standin.called("files.getUploadURLExternal") == []
    # a minute on, after a restart: the text first, then the chart, once each
    assert await later(slack, restarted=True) == 2
    (summary,) = summaries(slack)
    (complete,) = slack.standin.called("files.completeUploadExternal")
    assert index_of(slack, summary) < index_of(slack, complete)
    assert len(slack.charts(AMINA)) == 1


async def test_without_peers_the_chart_sets_her_against_national_figures(
    slack: SlackHarness,
) -> None:
    summary = await submit(slack)
    assert "Other grantees: not shown: fewer than 10 other grantees" in summary.params["text"]
    chart = await slack.wait_chart(AMINA)
    assert chart.initial_comment == (
        f"Your 2026 Q4 figures at a glance: {NATIONAL_ROWS}. Your figure is the blue dot; the "
        "dashed line is the national figure."
    )
    assert chart.data is not None and chart.data.startswith(PNG_SIGNATURE)


async def test_nothing_to_compare_sends_the_text_and_no_chart(slack: SlackHarness) -> None:
    summary = await submit(slack, FEW)
    shown = summary.params["text"]
    assert "5 participants answered: fewer than 10 responses, so no percentage is shown." in shown
    assert "Other grantees: not shown: fewer than 10 other grantees" in shown
    await eventually(all_sent)
    assert await queued("summary_chart") == []
    assert slack.standin.called("files.getUploadURLExternal") == []
    assert slack.charts(AMINA) == []
