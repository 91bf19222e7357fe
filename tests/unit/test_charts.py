"""The chart PNGs, decoded: their size, and each mark drawn where its figure puts it."""

from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise

import pytest
from PIL import Image, ImageColor

from bot.summaries.charts import (
    MEDIAN,
    NATIONAL,
    OWN,
    PEERS,
    RangeRow,
    range_chart,
    stacked_range_chart,
)

RGB = tuple[int, ...]
OWN_RGB, PEERS_RGB, MEDIAN_RGB, NATIONAL_RGB = (
    ImageColor.getrgb(colour)[:3] for colour in (OWN, PEERS, MEDIAN, NATIONAL)
)


def decode(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    return image.convert("RGB")


def axes(image: Image.Image) -> list[tuple[int, int, int]]:
    """(y, left, right) of each row's axis: the pixel rows mostly drawn in black."""
    grey = image.convert("L").tobytes()
    rows = (grey[y * image.width : (y + 1) * image.width] for y in range(image.height))
    return [
        (y, row.find(0), row.rfind(0))
        for y, row in enumerate(rows)
        if row.count(0) > image.width // 2
    ]


def column(left: int, right: int, value: float, axis_max: float) -> int:
    return round(left + (right - left) * value / axis_max)


def colour_at(image: Image.Image, x: int, y: int) -> RGB:
    pixel = image.getpixel((x, y))
    assert isinstance(pixel, tuple)
    return pixel


def columns_of(image: Image.Image, colour: RGB, y: int) -> list[int]:
    return [x for x in range(image.width) if colour_at(image, x, y) == colour]


def rows_of(image: Image.Image, colour: RGB, x: int, top: int, bottom: int) -> list[int]:
    return [y for y in range(top, bottom) if colour_at(image, x, y) == colour]


def count(image: Image.Image, colour: RGB, box: tuple[int, int, int, int] | None = None) -> int:
    region = image.crop(box) if box else image
    colours = region.getcolors(region.width * region.height) or []
    return sum(n for n, c in colours if c == colour)


def check_row(image: Image.Image, axis: tuple[int, int, int], row: RangeRow) -> None:
    """The row's band, median, national line and dot, each at its figure's column."""
    y, left, right = axis
    assert row.low is not None and row.high is not None and row.value is not None
    low, high = (column(left, right, v, row.axis_max) for v in (row.low, row.high))
    # the band's middle row is the row's centre line
    band_rows = rows_of(image, PEERS_RGB, low + 3, y - 40, y)  # below the title
    assert band_rows, "no band"
    centre = (band_rows[0] + band_rows[-1]) // 2
    grey = columns_of(image, PEERS_RGB, centre)
    assert low - 1 <= min(grey) <= low + 1 and high - 2 <= max(grey) <= high + 1
    assert colour_at(image, column(left, right, row.value, row.axis_max), centre) == OWN_RGB
    if row.median is not None:
        median = column(left, right, row.median, row.axis_max)
        assert MEDIAN_RGB in {colour_at(image, median + d, centre) for d in (-1, 0, 1)}
    if row.national is not None:
        national = column(left, right, row.national, row.axis_max)
        strip = [
            x
            for x in range(image.width)
            if rows_of(image, NATIONAL_RGB, x, centre - 20, y)  # the axes area, not the legend
        ]
        assert strip and national - 2 <= min(strip) and max(strip) <= national + 2


def test_range_chart_draws_each_mark_at_its_figure() -> None:
    row = RangeRow("", 6.5, 4.0, 7.5, 5.5, 8.0, 10.0, False)
    png = range_chart(
        value=6.5,
        value_label="you",
        low=4.0,
        high=7.5,
        median=5.5,
        national=8.0,
        axis_max=10.0,
        percent=False,
    )
    image = decode(png)
    assert image.size == (480, 110)
    (axis,) = axes(image)
    check_row(image, axis, row)


def band_only(median: float | None) -> bytes:
    """Other grantees' middle half from 40% to 70%, and no figure of the grantee's own."""
    return range_chart(
        value=None,
        value_label="you",
        low=40.0,
        high=70.0,
        median=median,
        national=None,
        axis_max=100.0,
        percent=True,
    )


def test_the_band_stays_between_low_and_high() -> None:
    image = decode(band_only(median=None))
    ((y, left, right),) = axes(image)
    low, high = column(left, right, 40, 100), column(left, right, 70, 100)
    grey = [x for x in range(image.width) if rows_of(image, PEERS_RGB, x, y - 40, y)]
    assert low - 1 <= min(grey) <= low + 1 and high - 2 <= max(grey) <= high + 1
    assert len(grey) == max(grey) - min(grey) + 1  # one unbroken band


def test_no_value_draws_no_dot_and_the_legend_names_only_what_is_drawn() -> None:
    image = decode(band_only(median=55.0))
    assert count(image, OWN_RGB) == 0
    assert count(image, NATIONAL_RGB) == 0
    legend = (0, 0, image.width, 25)
    assert count(image, PEERS_RGB, legend) > 0 and count(image, MEDIAN_RGB, legend) > 0


def test_ticks_run_evenly_from_zero_to_the_axis_end() -> None:
    for axis_max in (10.0, 100.0, 5.0):
        image = decode(
            range_chart(
                value=None,
                value_label="you",
                low=None,
                high=None,
                median=None,
                national=None,
                axis_max=axis_max,
                percent=axis_max == 100,
            )
        )
        ((y, left, right),) = axes(image)
        ticks = [x for x in range(image.width) if colour_at(image, x, y + 2) == (0, 0, 0)]
        assert len(ticks) == 6  # 0, 2 … 10; 0%, 20% … 100%; 0, 1 … 5
        assert ticks[0] == left and ticks[-1] == right
        gaps = {b - a for a, b in pairwise(ticks)}
        assert max(gaps) - min(gaps) <= 1


def test_stacked_chart_has_a_row_under_each_title_and_one_legend() -> None:
    rows = [
        RangeRow("Belonging", 20.0, 40.0, 70.0, 55.0, 83.0, 100.0, True),
        RangeRow("Trust", None, 30.0, 60.0, 45.0, 50.0, 100.0, True),
        RangeRow("Mixing", 8.0, 4.0, 7.0, 5.0, None, 10.0, False),
    ]
    image = decode(stacked_range_chart(rows))
    assert image.size == (640, round(100 * (0.5 + 0.95 * len(rows))))
    found = axes(image)
    assert len(found) == len(rows)
    check_row(image, found[0], rows[0])
    check_row(image, found[2], rows[2])
    # the second row has no value of its own: nothing blue between the first axis and its own
    assert count(image, OWN_RGB, (0, found[0][0] + 1, image.width, found[1][0])) == 0
    legend = (0, 0, image.width, 30)
    for colour in (OWN_RGB, PEERS_RGB, MEDIAN_RGB, NATIONAL_RGB):
        assert count(image, colour, legend) > 0


def test_stacked_chart_without_values_draws_no_dot() -> None:
    rows = [RangeRow(f"Row {n}", None, 40.0, 70.0, 55.0, None, 100.0, True) for n in range(2)]
    image = decode(stacked_range_chart(rows, value_label="pooled", group="grantees"))
    assert count(image, OWN_RGB) == 0 and count(image, NATIONAL_RGB) == 0
    assert count(image, PEERS_RGB) > 0


def test_a_stacked_chart_needs_rows() -> None:
    with pytest.raises(ValueError):
        stacked_range_chart([])


def test_charts_drawn_in_threads_match_charts_drawn_one_by_one() -> None:
    rows = [
        RangeRow(f"Indicator {n}", 10.0 * n, 30.0, 60.0, 45.0, 50.0, 100.0, True) for n in range(6)
    ]
    expected = [stacked_range_chart(rows[: n + 1]) for n in range(6)]
    with ThreadPoolExecutor(max_workers=3) as pool:
        drawn = list(pool.map(lambda n: stacked_range_chart(rows[: n + 1]), range(6)))
    assert drawn == expected
