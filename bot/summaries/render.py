"""Summaries, digests and evidence as text, HTML (with charts) and Slack Block Kit."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

from bot.conversation.rendering import Renderer
from bot.summaries.charts import RangeRow, range_chart, stacked_range_chart
from bot.summaries.funnel_chart import funnel_chart
from conversations.digests import FunderDigest, Indicator, Pooled, PooledEvidence
from conversations.summaries import GranteeSummary, IndicatorSummary, fmt, published

Images = Mapping[str, str]  # question id -> img src (cid:... in email, data: URI in files)
# rows in the one chart a Slack DM shows; beyond this the image gets too tall to read at a glance
SLACK_CHART_ROWS = 6
_ALT_TEXT_LIMIT = 1000  # files.getUploadURLExternal's alt_txt
SECTION_LIMIT = 3000  # characters in a Block Kit section's text


class SummaryRenderer:
    def __init__(self, renderer: Renderer | None = None) -> None:
        self.env = (renderer or Renderer()).env

    def summary_text(self, summary: GranteeSummary) -> str:
        return self.env.get_template("summary/summary.txt.j2").render(s=summary).strip()

    def summary_html(self, summary: GranteeSummary, images: Images) -> str:
        return self.env.get_template("summary/summary.html.j2").render(s=summary, images=images)

    def digest_text(self, digest: FunderDigest) -> str:
        return self.env.get_template("digest/digest.txt.j2").render(d=digest).strip()

    def digest_html(self, digest: FunderDigest, images: Images) -> str:
        return self.env.get_template("digest/digest.html.j2").render(d=digest, images=images)

    def evidence_html(self, evidence: PooledEvidence, images: Images) -> str:
        return self.env.get_template("digest/evidence.html.j2").render(e=evidence, images=images)


def indicator_chart(indicator: IndicatorSummary) -> bytes:
    """The grantee's value with its interval, the peers' middle half and median, the national
    figure, and which end is better."""
    peers = indicator.peers
    interval = indicator.interval
    return range_chart(
        value=indicator.value,
        value_label="you (bar: 95% interval)" if interval else "you",
        low=peers.q1 if peers else None,
        high=peers.q3 if peers else None,
        median=peers.median if peers else None,
        national=indicator.national.value if indicator.national else None,
        axis_max=100.0 if indicator.unit == "percent" else (indicator.scale_max or 10.0),
        percent=indicator.unit == "percent",
        interval=(interval.low, interval.high) if interval else None,
        better=indicator.better,
    )


def pooled_chart(indicator: Indicator) -> bytes | None:
    """A funnel plot for a share; the pooled mean with its interval for a mean."""
    overall = indicator.overall.figure
    if not isinstance(overall, Pooled):
        return None
    national = indicator.national.value if indicator.national else None
    if indicator.funnel is not None:
        return funnel_chart(
            [(p.n, p.value) for p in indicator.funnel.points],
            indicator.funnel.pooled,
            national=national,
            better=indicator.better,
        )
    return range_chart(
        value=overall.value,
        value_label="pooled (bar: 95% interval)",
        low=None,
        high=None,
        median=None,
        national=national,
        axis_max=100.0 if indicator.unit == "percent" else (indicator.scale_max or 10.0),
        percent=indicator.unit == "percent",
        interval=(overall.interval.low, overall.interval.high),
        better=indicator.better,
    )


def summary_charts(summary: GranteeSummary) -> dict[str, bytes]:
    """A chart for each indicator that has something to draw."""
    return {
        i.question_id: indicator_chart(i)
        for i in summary.indicators
        if i.value is not None or i.peers is not None
    }


def digest_charts(indicators: tuple[Indicator, ...]) -> dict[str, bytes]:
    charts = {i.question_id: pooled_chart(i) for i in indicators}
    return {qid: png for qid, png in charts.items() if png is not None}


def data_uris(charts: Mapping[str, bytes]) -> dict[str, str]:
    """Charts embedded in a standalone HTML file."""
    return {
        qid: "data:image/png;base64," + base64.b64encode(png).decode("ascii")
        for qid, png in charts.items()
    }


def content_ids(charts: Mapping[str, bytes], prefix: str) -> dict[str, str]:
    """Charts referenced from email HTML as inline MIME parts (Content-ID)."""
    return {qid: f"cid:{prefix}-{qid.lower()}" for qid in charts}


def summary_blocks(summary: GranteeSummary, text: str) -> list[dict[str, Any]]:
    """Block Kit for Slack: a header, a section per indicator, the outputs and the caveat."""
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": f"How your {summary.period} check-in compares"},
        }
    ]
    for i in summary.indicators:
        lines = [f"*{i.title}*", i.sentence]
        if i.change_sentence:
            lines.append(i.change_sentence)
        lines.append(i.peer_sentence)
        if i.national:
            source = f" <{i.national.source_url}|Source>" if i.national.source_url else ""
            lines.append(f"{i.national.sentence}{source}")
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)}})
    blocks += participant_blocks(summary)
    outputs = "\n".join(f"• {o.sentence}" for o in summary.outputs)
    blocks.append(
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*Your activity*\n{outputs}"}}
    )
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": summary.caveat}]})
    # Slack allows 50 blocks and 3,000 characters a section; summaries stay well inside both
    return blocks[:50]


def participant_blocks(summary: GranteeSummary) -> list[dict[str, Any]]:
    """Sections for the change among the grantee's participants and the business case."""
    pc = summary.participants
    if pc is None:
        return []
    sections = []
    if pc.paired:
        lines = [f"• *{c.title}*: {c.sentence}" for c in pc.paired]
        sections.append(["*Change among your participants*", *lines, f"_{pc.paired_note}_"])
    if pc.unpaired:
        lines = [f"• *{c.title}*: {c.sentence}" for c in pc.unpaired]
        sections.append(
            ["*Unpaired comparisons (weaker evidence)*", *lines, f"_{pc.unpaired_note}_"]
        )
    if pc.held:
        sections.append([pc.held])
    if pc.business:
        sections.append(["*The business case*", *pc.business])
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)[:SECTION_LIMIT]}}
        for lines in sections
    ]


def summary_payload(
    summary: GranteeSummary, renderer: SummaryRenderer, *, charts: bool
) -> dict[str, Any]:
    """What a summary message stores in the outbox: every channel finds the part it sends.

    `text` always (console, email plain part, Slack fallback); `subject`, `html` and
    `images` (base64 PNG by Content-ID) for email; `blocks` for Slack.
    """
    text = renderer.summary_text(summary)
    payload: dict[str, Any] = {
        "kind": "summary",
        "subject": f"{summary.programme_name}: how your {summary.period} check-in compares",
        "text": text,
        "blocks": summary_blocks(summary, text),
    }
    if charts:
        pngs = summary_charts(summary)
        cids = content_ids(pngs, "summary")
        payload["html"] = renderer.summary_html(summary, cids)
        payload["images"] = {
            cids[qid].removeprefix("cid:"): base64.b64encode(png).decode("ascii")
            for qid, png in pngs.items()
        }
    return payload


TEXT_ONLY_CHANNELS = frozenset({"console"})
# channels that show one uploaded chart image after the text, rather than HTML with inline charts
CHART_UPLOAD_CHANNELS = frozenset({"slack"})


def drawn_for_channel(
    summary: GranteeSummary, renderer: SummaryRenderer, channel_name: str
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The summary's payload for this channel, and the chart to upload after it, if any."""
    uploads = channel_name in CHART_UPLOAD_CHANNELS
    inline = channel_name not in TEXT_ONLY_CHANNELS and not uploads
    payload = summary_payload(summary, renderer, charts=inline)
    return payload, slack_chart(summary) if uploads else None


def compared(indicator: IndicatorSummary) -> bool:
    """The grantee's own figure can be set against something: other grantees or a national one."""
    return indicator.value is not None and (
        indicator.peers is not None or _national_value(indicator) is not None
    )


def _national_value(indicator: IndicatorSummary) -> float | None:
    """The national figure to draw, None also where there is no comparable one."""
    return indicator.national.value if indicator.national else None


def _alt_text(indicator: IndicatorSummary) -> str:
    assert indicator.value is not None  # only compared indicators are charted
    parts = [f"you {fmt(indicator.value, indicator.unit)}"]
    if indicator.peers:
        peers = indicator.peers
        parts.append(
            f"other grantees' median {fmt(peers.median, indicator.unit)}, middle half "
            f"{fmt(peers.q1, indicator.unit)} to {fmt(peers.q3, indicator.unit)}"
        )
    national = _national_value(indicator)
    if national is not None:
        parts.append(f"national {published(national, indicator.unit)}")
    return f"{indicator.title}: {', '.join(parts)}"


def slack_chart(summary: GranteeSummary) -> dict[str, Any] | None:
    """One image for the Slack DM: a row per headline indicator that has a comparison.

    None when nothing qualifies (too few responses, no peers and no national figure): an
    image of lone dots on empty axes would say less than the text already does.
    """
    charted = [i for i in summary.indicators if compared(i)]
    if not charted:
        return None
    shown = charted[:SLACK_CHART_ROWS]
    png = stacked_range_chart(
        [
            RangeRow(
                title=i.title,
                value=i.value,
                low=i.peers.q1 if i.peers else None,
                high=i.peers.q3 if i.peers else None,
                median=i.peers.median if i.peers else None,
                national=i.national.value if i.national else None,
                axis_max=100.0 if i.unit == "percent" else (i.scale_max or 10.0),
                percent=i.unit == "percent",
                interval=(i.interval.low, i.interval.high) if i.interval else None,
                better=i.better,
            )
            for i in shown
        ]
    )
    key = ["Your figure is the blue dot"]
    if any(i.peers for i in shown):
        key.append("the grey band is other grantees' middle half, the line their median")
    if any(_national_value(i) is not None for i in shown):
        key.append("the dashed line is the national figure")
    comment = (
        f"Your {summary.period} figures at a glance: {', '.join(i.title for i in shown)}. "
        f"{'; '.join(key)}."
    )
    if len(charted) > len(shown):
        left = len(charted) - len(shown)
        comment += f" {left} more indicator{'s are' if left > 1 else ' is'} in the summary above."
    period = "".join(c if c.isalnum() else "-" for c in summary.period.lower())
    return {
        "kind": "summary_chart",
        "text": comment,
        "indicators": [i.question_id for i in shown],
        "upload": {
            "filename": f"checkin-summary-{period}.png",
            "title": f"How your {summary.period} check-in compares",
            "initial_comment": comment,
            "alt_txt": "; ".join(_alt_text(i) for i in shown)[:_ALT_TEXT_LIMIT],
            "png": base64.b64encode(png).decode("ascii"),
        },
    }
