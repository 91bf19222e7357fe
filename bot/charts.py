"""Small PNG charts for summaries and digests: a value, the peer range and the national mark."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")  # no display on servers; must precede any pyplot import anywhere

from matplotlib.figure import Figure

# colours that stay distinguishable for the common colour-vision deficiencies
OWN = "#0072B2"
PEERS = "#BBBBBB"
MEDIAN = "#555555"
NATIONAL = "#D55E00"


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
    if low is not None and high is not None:
        ax.barh(0, high - low, left=low, height=0.5, color=PEERS, label=f"{group}, middle half")
    if median is not None:
        ax.plot(
            [median, median], [-0.25, 0.25], color=MEDIAN, linewidth=2, label=f"{group}, median"
        )
    if national is not None:
        ax.axvline(national, color=NATIONAL, linestyle="--", linewidth=1.5, label="national")
    if value is not None:
        ax.plot(value, 0, "o", color=OWN, markersize=9, label=value_label)
    ax.set_xlim(0, axis_max)
    ax.set_ylim(-0.6, 0.6)
    ax.set_yticks([])
    if percent:
        ax.xaxis.set_major_formatter(lambda v, _pos: f"{v:.0f}%")
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    ax.tick_params(axis="x", labelsize=8)
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
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()
