"""Small PNG charts for summaries and digests: a value, the peer range and the national mark."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")  # no display on servers; must precede any pyplot import anywhere

from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure

# colours that stay distinguishable for the common colour-vision deficiencies
OWN = "#0072B2"
PEERS = "#BBBBBB"
MEDIAN = "#555555"
NATIONAL = "#D55E00"


@dataclass(frozen=True)
class RangeRow:
    """One indicator's row of a stacked chart, with its title above it."""

    title: str
    value: float | None
    low: float | None
    high: float | None
    median: float | None
    national: float | None
    axis_max: float
    percent: bool


def _draw_range(ax: Axes, row: RangeRow, *, value_label: str, group: str) -> None:
    """One row's band, median, national mark and dot (its title is the caller's to set)."""
    low, high, median = row.low, row.high, row.median
    if low is not None and high is not None:
        ax.barh(0, high - low, left=low, height=0.5, color=PEERS, label=f"{group}, middle half")
    if median is not None:
        ax.plot(
            [median, median], [-0.25, 0.25], color=MEDIAN, linewidth=2, label=f"{group}, median"
        )
    if row.national is not None:
        ax.axvline(row.national, color=NATIONAL, linestyle="--", linewidth=1.5, label="national")
    if row.value is not None:
        ax.plot(row.value, 0, "o", color=OWN, markersize=9, label=value_label)
    ax.set_xlim(0, row.axis_max)
    ax.set_ylim(-0.6, 0.6)
    ax.set_yticks([])
    if row.percent:
        ax.xaxis.set_major_formatter(lambda v, _pos: f"{v:.0f}%")
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    ax.tick_params(axis="x", labelsize=8)


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def range_chart(
    *,
    value: float | None,
    value_label: str,
    low: float | None,
    high: float | None,
    median: float | None,
    national: float | None,
    axis_max: float,
    percent: bool,
    group: str = "others",
) -> bytes:
    """A one-line chart: a grey band (peer middle half), a dot (the value), a national tick."""
    fig = Figure(figsize=(4.8, 1.1), dpi=100)
    ax = fig.add_subplot()
    row = RangeRow("", value, low, high, median, national, axis_max, percent)  # title unused
    _draw_range(ax, row, value_label=value_label, group=group)
    handles, _ = ax.get_legend_handles_labels()
    if handles:
        ax.legend(
            loc="upper center",
            bbox_to_anchor=(0.5, 1.45),
            ncol=len(handles),
            fontsize=7,
            frameon=False,
        )
    fig.subplots_adjust(left=0.03, right=0.97, bottom=0.3, top=0.7)
    return _png(fig)


def stacked_range_chart(
    rows: Sequence[RangeRow], *, value_label: str = "you", group: str = "others"
) -> bytes:
    """Several one-line charts in one image, each under its title, with one shared legend.

    For places that show a single image (a Slack DM) rather than a chart beside each sentence.
    """
    if not rows:
        raise ValueError("a stacked chart needs at least one row")
    row_inches, legend_inches = 0.95, 0.5
    height = legend_inches + row_inches * len(rows)
    fig = Figure(figsize=(6.4, height), dpi=100)
    axes = fig.subplots(len(rows), 1, squeeze=False)[:, 0]
    labels: dict[str, Artist] = {}
    for ax, row in zip(axes, rows, strict=True):
        _draw_range(ax, row, value_label=value_label, group=group)
        ax.set_title(row.title, loc="left", fontsize=9)
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            labels.setdefault(label, handle)  # rows lack different marks; the legend has all
    order = [value_label, f"{group}, middle half", f"{group}, median", "national"]
    shown = [label for label in order if label in labels]
    if shown:
        fig.legend(
            [labels[label] for label in shown],
            shown,
            loc="upper center",
            ncol=len(shown),
            fontsize=8,
            frameon=False,
        )
    top = 1 - legend_inches / height
    fig.subplots_adjust(left=0.03, right=0.95, bottom=0.35 / height, top=top, hspace=1.1)
    return _png(fig)
