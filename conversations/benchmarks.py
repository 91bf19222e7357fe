"""Pure statistics for summaries: peer quartiles, rank bands, pooled counts, disclosure rules."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from conversations import pooling
from conversations.uncertainty import wilson

__all__ = ["wilson"]

# Disclosure rules: docs/summaries.md gives the reason and the source of each threshold.
MIN_PEERS = 10  # peer quartiles need at least this many *other* grantees
MIN_RESPONSES = pooling.MIN_RESPONSES  # no percentage or mean from fewer responses
INDICATIVE_BELOW = pooling.INDICATIVE_BELOW  # fewer responses are flagged "indicative only"
QUANTILE_WINDOW = 3  # each quartile shown is the mean of this many neighbouring peer values
# Peer sets grow in whole blocks, so two summaries a grantee receives at different times use
# either the same peers or peer sets that differ by at least a block: one newly completed
# grantee can never be isolated by comparing the figures before and after.
PEER_BLOCK = 5


@dataclass(frozen=True)
class Observation:
    """One grantee's answer to one question version, reduced to a number.

    `value` is a percentage (proportions), a mean (means) or a count (outputs); `x` and `n`
    are the counts behind a proportion, `n` the respondents behind a mean.
    """

    grantee_id: int
    question_id: str
    version: int
    value: float
    n: int | None = None
    x: int | None = None
    # completion order (time, check-in id): fixes which peers fall in the published blocks
    order: tuple[str, int] = ("", 0)

    @property
    def qualifies(self) -> bool:
        """Enough responses to be shown or to count among peers (counts always qualify)."""
        return self.n is None or self.n >= MIN_RESPONSES


@dataclass(frozen=True)
class Withheld:
    """A figure left out, and why, in words a grantee or funder can read."""

    reason: str


BELOW, WITHIN, ABOVE = "below", "within", "above"


@dataclass(frozen=True)
class PeerFigure:
    """Peers' quartiles as shown (already rounded), and where the grantee's figure falls."""

    median: float
    q1: float
    q3: float
    grantees: int
    band: str | None  # BELOW, WITHIN or ABOVE the middle half, when the grantee has a value


def percent(x: int, n: int) -> float:
    if n <= 0:
        raise ValueError("a percentage needs at least one response")
    return 100.0 * x / n


def _half_up(value: float, places: int) -> float:
    exact = Decimal(repr(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return float(exact)


def quartiles(values: Sequence[float], places: int = 0) -> tuple[float, float, float]:
    """(lower quartile, median, upper quartile), each the mean of the QUANTILE_WINDOW ordered
    values nearest its position, rounded half up to `places` decimals.

    A plain order statistic of a small set is one peer's exact value; a mean of three
    neighbours, rounded, is no one's.
    """
    if len(values) < QUANTILE_WINDOW:
        raise ValueError(f"quartiles need at least {QUANTILE_WINDOW} values")
    ordered = sorted(values)
    last = len(ordered) - 1
    out = []
    for share in (0.25, 0.5, 0.75):
        centre = math.floor(last * share + 0.5)
        start = min(max(centre - QUANTILE_WINDOW // 2, 0), len(ordered) - QUANTILE_WINDOW)
        window = ordered[start : start + QUANTILE_WINDOW]
        out.append(_half_up(math.fsum(window) / QUANTILE_WINDOW, places))
    q1, median, q3 = out
    return q1, median, q3


def band(value: float, q1: float, q3: float, places: int = 0) -> str:
    """Where a figure, as shown, falls against the quartiles as shown: a function of what is
    published only, so sweeping one's own answer reveals nothing more than the quartiles."""
    shown = _half_up(value, places)
    if shown < q1:
        return BELOW
    if shown > q3:
        return ABOVE
    return WITHIN


def same_version(
    observations: Iterable[Observation], question_id: str, version: int
) -> list[Observation]:
    """Only answers to exactly this question version are ever combined."""
    return [o for o in observations if o.question_id == question_id and o.version == version]


def peer_set(observations: Sequence[Observation], exclude_grantee: int) -> list[Observation]:
    """The peers a grantee is compared with: others only, enough responses, whole blocks."""
    others = sorted(
        (o for o in observations if o.grantee_id != exclude_grantee and o.qualifies),
        key=lambda o: o.order,
    )
    usable = len(others) - len(others) % PEER_BLOCK
    return others[:usable]


def compare_with_peers(
    own: Observation | None,
    observations: Sequence[Observation],
    *,
    grantee_id: int,
    question_id: str,
    version: int,
    places: int = 0,
) -> PeerFigure | Withheld:
    """Peers' median and middle half, and which side of the middle half the grantee is on."""
    peers = peer_set(same_version(observations, question_id, version), grantee_id)
    if len(peers) < MIN_PEERS:
        return Withheld(
            f"not shown: fewer than {MIN_PEERS} other grantees have comparable answers yet"
        )
    q1, median, q3 = quartiles([o.value for o in peers], places)
    where = band(own.value, q1, q3, places) if own is not None and own.qualifies else None
    return PeerFigure(median=median, q1=q1, q3=q3, grantees=len(peers), band=where)


def pool_proportions(observations: Sequence[Observation]) -> pooling.Moments:
    """Numerators and denominators summed per grantee (never percentages averaged)."""
    keys = {(o.question_id, o.version) for o in observations}
    if len(keys) > 1:
        raise ValueError(f"refusing to pool different question versions: {sorted(keys)}")
    per_grantee: dict[int, tuple[int, int]] = {}
    for o in observations:
        x, n = per_grantee.get(o.grantee_id, (0, 0))
        per_grantee[o.grantee_id] = (x + (o.x or 0), n + (o.n or 0))
    return pooling.Moments.of(per_grantee.values())


def own_figure(obs: Observation) -> Withheld | None:
    """Why a grantee's own percentage or mean is not shown, or None when it can be."""
    if not obs.qualifies:
        return Withheld(f"fewer than {MIN_RESPONSES} responses, so no percentage is shown")
    return None


def rounded_count(count: int) -> str:
    """A count for funder digests, rounded at every size: 0; 'fewer than 5'; to the nearest 5
    below 1,000; to the nearest 10 below 10,000; to the nearest 100 above (halves up)."""
    if count < 0:
        raise ValueError("counts are never negative")
    if count == 0:
        return "0"
    if count < 5:
        return "fewer than 5"
    base = 5 if count < 1000 else 10 if count < 10_000 else 100
    return f"{base * ((2 * count + base) // (2 * base)):,}"
