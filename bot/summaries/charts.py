"""Small PNG charts for summaries and digests: a value, the peer range and the national mark."""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import TypeAlias

from PIL import Image, ImageDraw, ImageFont

# colours that stay distinguishable for the common colour-vision deficiencies
OWN = "#0072B2"
PEERS = "#BBBBBB"
MEDIAN = "#555555"
NATIONAL = "#D55E00"
INK = "#000000"  # axis, ticks and text

# Sizes in pixels at 100 dpi: the images keep the sizes emails and Slack lay out around
_DOT = 13  # the 9 pt marker
_DASH, _GAP = 8, 3  # a dashed 1.5 pt line: clearly not the solid median
_LEGEND_Y, _ROW_HEIGHT = 50, 95  # a stacked chart: 0.5 in for the legend, 0.95 in a row

_Font: TypeAlias = ImageFont.FreeTypeFont | ImageFont.ImageFont


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
    interval: tuple[float, float] | None = None  # 95% around `value`, drawn as a whisker
    better: str | None = None  # "higher" or "lower": which end of the axis is better


@dataclass(frozen=True)
class _Plot:
    """A row's axes area in pixels; values from 0 to axis_max run from left to right."""

    left: int
    right: int
    top: int
    bottom: int  # where the axis line is
    axis_max: float

    def x(self, value: float) -> int:
        """The pixel column holding the value, held to the axis so no mark leaves the chart."""
        share = min(max(value / self.axis_max, 0.0), 1.0)
        return self.left + int((self.right - self.left) * share)

    def shows(self, value: float) -> bool:
        return 0 <= value <= self.axis_max


@cache
def _font(size: int) -> _Font:
    # Pillow's built-in scalable font: no font file to ship or find on the server
    return ImageFont.load_default(size=size)


@lru_cache(maxsize=512)
def _text_mask(text: str, size: int, anchor: str) -> tuple[Image.Image, int, int]:
    """The text's coverage, and where its top left sits from the anchor point.

    Rendering glyphs is most of the drawing time, and the labels repeat from chart to chart.
    """
    left, top, right, bottom = map(round, _font(size).getbbox(text, anchor=anchor))
    mask = Image.new("L", (max(right - left, 1), max(bottom - top, 1)), 0)
    ImageDraw.Draw(mask).text((-left, -top), text, fill=255, font=_font(size), anchor=anchor)
    return mask, left, top


def draw_text(
    draw: ImageDraw.ImageDraw, x: float, y: float, text: str, size: int, anchor: str
) -> None:
    mask, left, top = _text_mask(text, size, anchor)
    draw.bitmap((round(x) + left, round(y) + top), mask, fill=INK)


@cache
def _dot_mask() -> Image.Image:
    # drawn four times larger and shrunk once, as ImageDraw's own ellipse has jagged edges
    big = Image.new("L", (4 * _DOT, 4 * _DOT), 0)
    ImageDraw.Draw(big).ellipse((0, 0, 4 * _DOT - 1, 4 * _DOT - 1), fill=255)
    return big.resize((_DOT, _DOT), Image.Resampling.BOX)


def dot(draw: ImageDraw.ImageDraw, x: int, y: int) -> None:
    draw.bitmap((x - _DOT // 2, y - _DOT // 2), _dot_mask(), fill=OWN)


def dashed_line(
    draw: ImageDraw.ImageDraw, at: int, start: int, stop: int, *, vertical: bool
) -> None:
    """The national mark's 2 px wide dashed line along column (or row) `at`, start to stop."""
    for a in range(start, stop, _DASH + _GAP):
        b = min(a + _DASH, stop) - 1
        draw.rectangle((at - 1, a, at, b) if vertical else (a, at - 1, b, at), fill=NATIONAL)


def _ticks(axis_max: float) -> list[float]:
    """Ticks at the first round step (1, 2, 2.5 or 5 times a power of ten) giving at most six
    intervals: few enough to read, round enough to read off."""
    magnitude = 10 ** math.floor(math.log10(axis_max / 6))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if axis_max / (m * magnitude) <= 6)
    return [i * step for i in range(math.floor(axis_max / step + 1e-9) + 1)]


def _axis(draw: ImageDraw.ImageDraw, plot: _Plot, *, percent: bool) -> None:
    draw.line(((plot.left, plot.bottom), (plot.right, plot.bottom)), fill=INK)
    for tick in _ticks(plot.axis_max):
        x = plot.x(tick)
        draw.line(((x, plot.bottom), (x, plot.bottom + 4)), fill=INK)
        label = f"{tick:g}%" if percent else f"{tick:g}"
        draw_text(draw, x + 0.5, plot.bottom + 7, label, 11, "mt")


def _draw_row(draw: ImageDraw.ImageDraw, row: RangeRow, plot: _Plot) -> None:
    """One row's band, median, national mark and dot (its title is the caller's to draw)."""
    centre = (plot.top + plot.bottom) // 2
    half = round((plot.bottom - plot.top) * 5 / 24)  # the old 0.5-high bar on a 1.2-high axis
    if row.low is not None and row.high is not None:
        left, right = plot.x(row.low), plot.x(row.high) - 1
        if right >= left:  # Pillow refuses a rectangle drawn backwards
            draw.rectangle((left, centre - half, right, centre + half), fill=PEERS)
    if row.median is not None and plot.shows(row.median):
        x = plot.x(row.median)
        draw.rectangle((x - 1, centre - half, x + 1, centre + half), fill=MEDIAN)
    if row.national is not None and plot.shows(row.national):
        dashed_line(draw, plot.x(row.national), plot.top, plot.bottom, vertical=True)
    if row.value is not None and row.interval is not None:
        low, high = plot.x(row.interval[0]), plot.x(row.interval[1])
        draw.rectangle((low, centre - 1, max(high, low), centre), fill=OWN)
        for end in (low, high):
            draw.rectangle((end, centre - 5, end, centre + 5), fill=OWN)
    if row.value is not None and plot.shows(row.value):
        dot(draw, plot.x(row.value), centre)
    if row.better is not None:
        # which end is better, so a dot further right is not read as good for loneliness
        if row.better == "higher":
            draw_text(draw, plot.right, plot.top - 2, "higher is better ->", 10, "rb")
        else:
            draw_text(draw, plot.left, plot.top - 2, "<- lower is better", 10, "lb")
    _axis(draw, plot, percent=row.percent)


def _labels(value_label: str, group: str) -> dict[str, str]:
    """Each mark's legend label, in legend order."""
    return {
        "value": value_label,
        "band": f"{group}, middle half",
        "median": f"{group}, median",
        "national": "national",
    }


def _marks(row: RangeRow) -> set[str]:
    """The marks the row has figures for; the legend names them even when off the axis."""
    figures = {
        "value": row.value,
        "band": None if row.low is None else row.high,
        "median": row.median,
        "national": row.national,
    }
    return {mark for mark, figure in figures.items() if figure is not None}


def _sample(draw: ImageDraw.ImageDraw, mark: str, left: int, y: int, length: int) -> None:
    """A legend's small drawing of one mark, `length` pixels wide."""
    if mark == "value":
        dot(draw, left + length // 2, y)
    elif mark == "band":
        draw.rectangle((left, y - 3, left + length - 1, y + 3), fill=PEERS)
    elif mark == "median":
        draw.rectangle((left, y - 1, left + length - 1, y + 1), fill=MEDIAN)
    else:
        dashed_line(draw, y, left, left + length, vertical=False)


def _legend(
    draw: ImageDraw.ImageDraw,
    width: int,
    marks: set[str],
    labels: Mapping[str, str],
    *,
    y: int,
    size: int,
) -> None:
    """The marks present, each drawn beside its label, in one line centred across the image."""
    font = _font(size)
    shown = [mark for mark in labels if mark in marks]
    # in font sizes: a sample 2 wide, 0.8 to its label, 2 between entries
    sample, gap, spacing = 2 * size, round(0.8 * size), 2 * size
    widths = [sample + gap + font.getlength(labels[mark]) for mark in shown]
    x = (width - sum(widths) - spacing * (len(shown) - 1)) / 2
    for mark, item in zip(shown, widths, strict=True):
        _sample(draw, mark, round(x), y, sample)
        draw_text(draw, x + sample + gap, y, labels[mark], size, "lm")
        x += item + spacing


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    # zlib's fast levels: 6 (its default) takes a third longer for files a tenth smaller
    image.save(buffer, format="PNG", optimize=False, compress_level=3)
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
    interval: tuple[float, float] | None = None,
    better: str | None = None,
) -> bytes:
    """A one-line chart: a grey band (peer middle half), a dot (the value) with its 95%
    interval, a national tick, and which end is better."""
    image = Image.new("RGB", (480, 110), "white")
    draw = ImageDraw.Draw(image)
    row = RangeRow(  # title unused
        "", value, low, high, median, national, axis_max, percent, interval, better
    )
    _draw_row(draw, row, _Plot(14, 466, 33, 77, axis_max))
    _legend(draw, image.width, _marks(row), _labels(value_label, group), y=13, size=10)
    return png_bytes(image)


def stacked_range_chart(
    rows: Sequence[RangeRow], *, value_label: str = "you", group: str = "others"
) -> bytes:
    """Several one-line charts in one image, each under its title, with one shared legend.

    For places that show a single image (a Slack DM) rather than a chart beside each sentence.
    """
    if not rows:
        raise ValueError("a stacked chart needs at least one row")
    image = Image.new("RGB", (640, _LEGEND_Y + _ROW_HEIGHT * len(rows)), "white")
    draw = ImageDraw.Draw(image)
    marks: set[str] = set()
    for i, row in enumerate(rows):
        top = _LEGEND_Y + _ROW_HEIGHT * i
        draw_text(draw, 19, top + 18, row.title, 12, "ls")
        _draw_row(draw, row, _Plot(19, 608, top + 24, top + 68, row.axis_max))
        marks |= _marks(row)  # rows lack different marks; the legend has all
    _legend(draw, image.width, marks, _labels(value_label, group), y=16, size=11)
    return png_bytes(image)
