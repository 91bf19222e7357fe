"""A funnel plot: each grantee's percentage against its responses, within limits around the
pooled figure that widen for small samples (drawn with Pillow, like the other charts)."""

from __future__ import annotations

from collections.abc import Sequence

from PIL import Image, ImageDraw

from bot.summaries.charts import INK, MEDIAN, PEERS, dashed_line, dot, draw_text, png_bytes
from conversations.pooling import Z998, funnel_limits
from conversations.uncertainty import Z95

_W, _H = 480, 250
_LEFT, _RIGHT, _TOP, _BOTTOM = 46, 466, 30, 200


def funnel_chart(
    points: Sequence[tuple[int, float]],
    pooled: float,
    *,
    national: float | None = None,
    better: str | None = None,
) -> bytes:
    """Dots at (responses, percentage); the pooled line; 95% and 99.8% limits; national mark."""
    if not points:
        raise ValueError("a funnel plot needs at least one grantee")
    image = Image.new("RGB", (_W, _H), "white")
    draw = ImageDraw.Draw(image)
    most = max(n for n, _ in points)
    n_max = max(20, int(most * 1.1) + 1)
    lowest_n = 5

    def x(n: float) -> int:
        return _LEFT + round((_RIGHT - _LEFT) * n / n_max)

    def y(percent: float) -> int:
        share = min(max(percent / 100.0, 0.0), 1.0)
        return _BOTTOM - round((_BOTTOM - _TOP) * share)

    for z, colour in ((Z998, MEDIAN), (Z95, PEERS)):
        for side in (0, 1):
            line = [
                (x(n), y(funnel_limits(pooled, n, z)[side])) for n in range(lowest_n, n_max + 1)
            ]
            draw.line(line, fill=colour, width=2)
    draw.line(((x(0), y(pooled)), (x(n_max), y(pooled))), fill=INK, width=1)
    if national is not None:
        dashed_line(draw, y(national), _LEFT, _RIGHT, vertical=False)
    for n, value in points:
        dot(draw, x(n), y(value))
    # axes
    draw.line(((_LEFT, _BOTTOM), (_RIGHT, _BOTTOM)), fill=INK)
    draw.line(((_LEFT, _TOP), (_LEFT, _BOTTOM)), fill=INK)
    for tick in (0, 25, 50, 75, 100):
        draw_text(draw, _LEFT - 4, y(tick), f"{tick}%", 10, "rm")
    step = max(1, round(n_max / 5, -1) or 1)
    for tick in range(0, n_max + 1, int(step)):
        draw_text(draw, x(tick), _BOTTOM + 5, str(tick), 10, "mt")
    draw_text(draw, (_LEFT + _RIGHT) / 2, _BOTTOM + 20, "responses from the grantee", 10, "mt")
    key = "dots: grantees; black line: pooled; grey: 95% limits; dark: 99.8% limits"
    if national is not None:
        key += "; dashed: national"
    draw_text(draw, _W / 2, 12, key, 10, "mm")
    if better is not None:  # below the axis title, so it never meets the key
        draw_text(draw, _LEFT, _BOTTOM + 34, f"{better} is better", 10, "lt")
    return png_bytes(image)
