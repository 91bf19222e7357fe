"""The one chart a Slack DM shows: which indicators it draws, what its comment and alt text say."""

from __future__ import annotations

import base64
import struct
from dataclasses import replace

from bot.summaries.render import SLACK_CHART_ROWS, slack_chart
from conversations.benchmarks import PeerFigure
from conversations.summaries import GranteeSummary, IndicatorSummary, NationalFigure
from tests.support.fake_slack import PNG_SIGNATURE

NATIONAL = NationalFigure(
    value=83.0,
    unit="percent",
    measure="agree",
    year="2020/21",
    geography="England",
    source_title="Community Life Survey",
    source_url="https://example.org/cls",
    sentence="National figure: 83% agree.",
)


def indicator(
    n: int, *, value: float | None, peers: bool = False, national: bool = False
) -> IndicatorSummary:
    return IndicatorSummary(
        question_id=f"Q{n}",
        version=1,
        title=f"Indicator {n}",
        unit="percent",
        scale_max=None,
        value=value,
        n=40 if value is not None else 6,
        x=None,
        indicative=False,
        interval=None,
        better=None,
        sentence="",
        change_sentence=None,
        peers=PeerFigure(60.0, 50.0, 70.0, 10, "above") if peers else None,
        peer_sentence="",
        national=NATIONAL if national else None,
    )


def summary(*indicators: IndicatorSummary) -> GranteeSummary:
    return GranteeSummary("Amina", "Unity", "Bridges", "2026 Q4", tuple(indicators), ())


def rows_drawn(png: bytes) -> int:
    assert png.startswith(PNG_SIGNATURE)
    _, height = struct.unpack(">II", png[16:24])
    return round((int(height) / 100 - 0.5) / 0.95)


def test_only_figures_with_something_to_compare_against_are_drawn() -> None:
    chart = slack_chart(
        summary(
            indicator(1, value=75.0, peers=True),
            indicator(2, value=None, peers=True),  # too few responses of her own
            indicator(3, value=80.0),  # nothing to set it against
            indicator(4, value=70.0, national=True),
        )
    )
    assert chart is not None
    assert chart["indicators"] == ["Q1", "Q4"]
    upload = chart["upload"]
    assert rows_drawn(base64.b64decode(upload["png"])) == 2
    assert upload["initial_comment"].startswith(
        "Your 2026 Q4 figures at a glance: Indicator 1, Indicator 4. Your figure is the blue dot"
    )
    assert upload["alt_txt"] == (
        "Indicator 1: you 75%, other grantees' median 60%, middle half 50% to 70%; "
        "Indicator 4: you 70%, national 83%"
    )
    assert chart["text"] == upload["initial_comment"]


def test_a_long_framework_is_capped_and_says_what_is_left_out() -> None:
    many = [indicator(n, value=50.0 + n, peers=True) for n in range(1, SLACK_CHART_ROWS + 3)]
    chart = slack_chart(summary(*many))
    assert chart is not None
    assert len(chart["indicators"]) == SLACK_CHART_ROWS
    assert rows_drawn(base64.b64decode(chart["upload"]["png"])) == SLACK_CHART_ROWS
    assert chart["upload"]["initial_comment"].endswith(
        " 2 more indicators are in the summary above."
    )
    assert "national" not in chart["upload"]["initial_comment"]


def test_nothing_to_compare_gives_no_chart() -> None:
    assert slack_chart(summary(indicator(1, value=None), indicator(2, value=80.0))) is None
    assert slack_chart(summary()) is None


def test_alt_text_gives_a_national_figure_as_published_and_ours_rounded_half_up() -> None:
    lonely = replace(indicator(1, value=12.5, national=True), national=replace(NATIONAL, value=6.6))
    chart = slack_chart(summary(lonely))
    assert chart is not None
    assert chart["upload"]["alt_txt"] == "Indicator 1: you 13%, national 6.6%"
