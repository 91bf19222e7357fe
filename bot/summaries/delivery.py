"""Queue summaries and digests for sending: a grantee's summary on completion, funder digests."""

from __future__ import annotations

import asyncio
import base64
import logging
from datetime import datetime
from typing import Any

import storage
from bot.channels.slack.blocks import escape
from bot.clock import Clock, utc_now
from bot.conversation.dispatcher import Dispatcher
from bot.summaries.build import funder_digest, grantee_summary
from bot.summaries.chart_process import ChartProcess, drawn_here
from bot.summaries.render import (
    TEXT_ONLY_CHANNELS,
    SummaryRenderer,
    content_ids,
    digest_charts,
    drawn_for_channel,
)
from bot.summaries.round_observations import RoundObservations
from conversations.digests import FunderDigest
from storage.records import CheckInContext, OutboundWrite

log = logging.getLogger(__name__)


class SummaryOnCompletion:
    """A Dispatcher on_completed hook: the grantee's benchmarked summary, in the same channel."""

    def __init__(
        self,
        dispatcher: Dispatcher,
        renderer: SummaryRenderer | None = None,
        charts: ChartProcess | None = None,
    ) -> None:
        self.dispatcher = dispatcher
        self.renderer = renderer  # None: the templates as installed, drawn by `charts`
        self.charts = charts or ChartProcess()
        # peers' observations, read once per check-in version rather than once per summary
        self.kept = RoundObservations()

    async def __call__(self, context: CheckInContext, channel_name: str) -> None:
        channel = self.dispatcher.channels[channel_name]
        if not getattr(channel, "queues_messages", True):
            return  # the web shows the summary on the page after submitting
        summary = await grantee_summary(context, self.kept)
        if self.renderer is not None:  # its own templates: drawn here, off the loop
            payload, chart = await asyncio.to_thread(
                drawn_for_channel, summary, self.renderer, channel_name
            )
        elif channel_name in TEXT_ONLY_CHANNELS:  # no charts: quick, and no process to start
            payload, chart = drawn_here(summary, channel_name)
        else:
            payload, chart = await self.charts.draw(summary, channel_name)
        # one summary per saved version: an edit after completion sends an updated summary,
        # and a redelivered completion does not send a second one
        version = f"{context.checkin.id}:{context.checkin.version}"
        key = f"{channel_name}:summary:{version}"
        recipient = channel.recipient(context)
        writes = [OutboundWrite(key, channel_name, recipient, payload)]
        if chart is not None:
            # The chart is a row of its own, queued with the text and after it: a failed upload
            # is retried alone and never holds back or repeats the text. The text is posted
            # under its key (as a question is) so the chart can wait until the text is out.
            payload["ask"] = key
            chart["upload"]["after"] = key
            writes.append(
                OutboundWrite(
                    f"{channel_name}:summary-chart:{version}", channel_name, recipient, chart
                )
            )
        outbox = self.dispatcher.outbox
        claimed = await storage.enqueue_claimed(
            writes,
            checkin_id=context.checkin.id,
            now=self.dispatcher.clock(),
            claim_for=outbox.lease,
        )
        await outbox.deliver_claimed(claimed)


def register(dispatcher: Dispatcher) -> ChartProcess:
    """Send summaries on completion through this dispatcher; the process that draws them, for
    the service to close once the last summaries are queued."""
    hook = SummaryOnCompletion(dispatcher)
    dispatcher.on_completed.append(hook)
    return hook.charts


def digest_payloads(
    digest: FunderDigest, renderer: SummaryRenderer
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(email payload, Slack payload) for a digest."""
    text = renderer.digest_text(digest)
    pngs = digest_charts(digest.indicators)
    cids = content_ids(pngs, "digest")
    subject = f"{digest.programme_name}: digest for {digest.period}"
    email = {
        "kind": "digest",
        "subject": subject,
        "text": text,
        "html": renderer.digest_html(digest, cids),
        "images": {
            cids[qid].removeprefix("cid:"): base64.b64encode(png).decode("ascii")
            for qid, png in pngs.items()
        },
    }
    headline = digest.response.rate_text
    if digest.incidents:
        headline += f" {len(digest.incidents)} tension or incident report(s) need attention."
    # mrkdwn, code block included: grantees' stories are escaped, so "<!channel>" notifies no one
    slack = {
        "kind": "digest",
        "text": escape(text),
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": subject[:150]}},
            {"type": "section", "text": {"type": "mrkdwn", "text": escape(headline)}},
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": f"```{_escaped(text, 2900)}```"},
            },
        ],
    }
    return email, slack


def _escaped(text: str, limit: int) -> str:
    """Text escaped for mrkdwn, then cut to `limit` characters but never inside an entity."""
    shown = escape(text)[:limit]
    cut = shown.rfind("&")
    return shown[:cut] if cut != -1 and ";" not in shown[cut:] else shown


async def send_digest(
    programme_slug: str,
    period: str | None,
    *,
    occasion: str,
    clock: Clock = utc_now,
    renderer: SummaryRenderer | None = None,
) -> tuple[FunderDigest, tuple[int, ...]]:
    """Queue the digest to every programme contact by email, and to its Slack channel if set.

    `occasion` ("round-close", "schedule-2026-03-01") makes a second call for the same
    occasion queue nothing. The outbox sends the messages.
    """
    now: datetime = clock()
    renderer = renderer or SummaryRenderer()
    digest = await funder_digest(programme_slug, period, now=now)
    target = await storage.get_programme(programme_slug)
    assert target is not None  # funder_digest found it
    email, slack = digest_payloads(digest, renderer)
    writes = [
        OutboundWrite(
            f"email:digest:{target.slug}:{digest.period}:{occasion}:{c.email}",
            "email",
            c.email,
            email,
        )
        for c in target.contacts
        if c.email
    ]
    if target.digest_slack_channel:
        writes.append(
            OutboundWrite(
                f"slack:digest:{target.slug}:{digest.period}:{occasion}",
                "slack",
                target.digest_slack_channel,
                slack,
            )
        )
    ids = await storage.enqueue_outbound(writes, now=now)
    return digest, ids
