"""Queue summaries and digests for sending: a grantee's summary on completion, funder digests."""

from __future__ import annotations

import asyncio
import base64
import logging
import threading
from datetime import datetime
from typing import Any

import storage
from bot.clock import Clock, utc_now
from bot.dispatcher import Dispatcher
from bot.summaries import funder_digest, grantee_summary
from bot.summary_render import (
    SummaryRenderer,
    content_ids,
    digest_charts,
    summary_payload,
)
from conversations.digests import FunderDigest
from conversations.summaries import GranteeSummary
from storage.records import CheckInContext, OutboundWrite

log = logging.getLogger(__name__)
TEXT_ONLY_CHANNELS = frozenset({"console"})


class SummaryOnCompletion:
    """A Dispatcher on_completed hook: the grantee's benchmarked summary, in the same channel."""

    def __init__(self, dispatcher: Dispatcher, renderer: SummaryRenderer | None = None) -> None:
        self.dispatcher = dispatcher
        self.renderer = renderer or SummaryRenderer()

    async def __call__(self, context: CheckInContext, channel_name: str) -> None:
        channel = self.dispatcher.channels[channel_name]
        summary = await grantee_summary(context)
        # drawing charts takes long enough to stall every other reply if done on the loop
        payload = await asyncio.to_thread(
            _drawn, summary, self.renderer, channel_name not in TEXT_ONLY_CHANNELS
        )
        # one summary per saved version: an edit after completion sends an updated summary,
        # and a redelivered completion does not send a second one
        key = f"{channel_name}:summary:{context.checkin.id}:{context.checkin.version}"
        ids = await storage.enqueue_outbound(
            [OutboundWrite(key, channel_name, channel.recipient(context), payload)],
            checkin_id=context.checkin.id,
            now=self.dispatcher.clock(),
        )
        await self.dispatcher.outbox.send_now(ids)


_DRAWING = threading.Lock()  # matplotlib's shared caches are not safe to fill from two threads


def _drawn(summary: GranteeSummary, renderer: SummaryRenderer, charts: bool) -> dict[str, Any]:
    with _DRAWING:
        return summary_payload(summary, renderer, charts=charts)


def register(dispatcher: Dispatcher) -> None:
    """Send summaries on completion through this dispatcher."""
    dispatcher.on_completed.append(SummaryOnCompletion(dispatcher))


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
    slack = {
        "kind": "digest",
        "text": text,
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": subject[:150]}},
            {"type": "section", "text": {"type": "mrkdwn", "text": headline}},
            {"type": "section", "text": {"type": "mrkdwn", "text": f"```{text[:2900]}```"}},
        ],
    }
    return email, slack


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
