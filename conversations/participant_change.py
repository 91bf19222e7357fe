"""Change from baseline to follow-up: paired by participant code, with its uncertainty."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from conversations.framework import Framework
from conversations.participant_figures import FormFigures
from conversations.participant_items import FormKind, ParticipantItem

# two-sided 95% critical values of Student's t by degrees of freedom; beyond the table the
# next smaller listed df is used, which errs towards a wider interval
_T95 = {
    1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262,
    10: 2.228, 11: 2.201, 12: 2.179, 13: 2.160, 14: 2.145, 15: 2.131, 16: 2.120, 17: 2.110,
    18: 2.101, 19: 2.093, 20: 2.086, 21: 2.080, 22: 2.074, 23: 2.069, 24: 2.064, 25: 2.060,
    26: 2.056, 27: 2.052, 28: 2.048, 29: 2.045, 30: 2.042, 40: 2.021, 60: 2.000, 120: 1.980,
}  # fmt: skip
_Z95 = 1.960


@dataclass(frozen=True)
class CodedAnswer:
    """One answer from a form that carried a pairing code (already hashed)."""

    pair_key: str
    kind: FormKind
    item_id: str
    value: str


@dataclass(frozen=True)
class PairedChange:
    """How the people who filled in both forms moved on one item."""

    item_id: str
    pairs: int
    better: int
    same: int
    worse: int
    mean_change: float | None = None  # scores only: follow-up minus baseline
    ci_low: float | None = None  # 95% confidence interval of the mean change
    ci_high: float | None = None
    total: float = 0.0  # scores only: the sum of the differences and of their squares, so that
    squares: float = 0.0  # grantees' changes pool by adding

    evidence = "paired: the same people before and after"


@dataclass(frozen=True)
class UnpairedChange:
    """Two different groups' levels set side by side: weaker evidence than a paired change."""

    item_id: str
    baseline: float  # percent counted, or mean score
    follow_up: float
    baseline_n: int
    follow_up_n: int
    unit: str  # "percent" or "mean"

    evidence = "unpaired: different people may have answered each time, so this is weaker evidence"


def t_critical(df: int) -> float:
    if df < 1:
        raise ValueError("a confidence interval needs at least two pairs")
    usable = [d for d in _T95 if d <= df]
    return _T95[max(usable)] if df <= 120 else _Z95


def paired_changes(framework: Framework, answers: Iterable[CodedAnswer]) -> dict[str, PairedChange]:
    """Pair each code's baseline and follow-up answers (the latest of each) item by item."""
    items = {i.id: i for i in framework.participant_items}
    latest: dict[tuple[str, str], dict[FormKind, str]] = {}
    for answer in answers:  # in the order received, so a later form replaces an earlier one
        if answer.item_id in items:
            latest.setdefault((answer.item_id, answer.pair_key), {})[answer.kind] = answer.value
    moves: Counter[tuple[str, str, str]] = Counter()
    for (item_id, _), kinds in latest.items():
        if "baseline" in kinds and "follow_up" in kinds:
            moves[item_id, kinds["baseline"], kinds["follow_up"]] += 1
    return changes_from_moves(framework, (Move(*key, people) for key, people in moves.items()))


@dataclass(frozen=True)
class Move:
    """How many people paired on an item went from one answer to another (a GROUP BY row)."""

    item_id: str
    before: str
    after: str
    people: int


def changes_from_moves(framework: Framework, moves: Iterable[Move]) -> dict[str, PairedChange]:
    """Each item's paired change from counts of people per (baseline, follow-up) answer: what
    pairing in SQL returns, so only a few rows per grantee and item leave the database."""
    items = {i.id: i for i in framework.participant_items}
    by_item: dict[str, list[Move]] = {}
    for move in moves:
        if move.item_id in items and move.people > 0:
            by_item.setdefault(move.item_id, []).append(move)
    return {item_id: _change(items[item_id], found) for item_id, found in by_item.items()}


def _change(item: ParticipantItem, moves: list[Move]) -> PairedChange:
    pairs = sum(m.people for m in moves)
    if item.kind == "score":
        diffs = [(int(m.after) - int(m.before), m.people) for m in moves]
        better = sum(w for d, w in diffs if d > 0)
        worse = sum(w for d, w in diffs if d < 0)
        if item.lower_is_better:
            better, worse = worse, better
        total = float(sum(d * w for d, w in diffs))
        squares = float(sum(d * d * w for d, w in diffs))
        mean = total / pairs
        low = high = None
        if pairs >= 2:
            spread = math.sqrt(max(squares - pairs * mean * mean, 0.0) / (pairs - 1))
            half = t_critical(pairs - 1) * spread / math.sqrt(pairs)
            low, high = mean - half, mean + half
        same = pairs - better - worse
        return PairedChange(item.id, pairs, better, same, worse, mean, low, high, total, squares)
    counted = set(item.counts)
    into = sum(m.people for m in moves if m.before not in counted and m.after in counted)
    out = sum(m.people for m in moves if m.before in counted and m.after not in counted)
    better, worse = (out, into) if item.lower_is_better else (into, out)
    return PairedChange(item.id, pairs, better, pairs - better - worse, worse)


def unpaired_changes(framework: Framework, figures: FormFigures) -> dict[str, UnpairedChange]:
    """Baseline and follow-up levels of every item both forms answered, labelled weaker."""
    out: dict[str, UnpairedChange] = {}
    for item in framework.participant_items:
        before, after = figures.baseline.get(item.id), figures.follow_up.get(item.id)
        if before is None or after is None or not before.respondents or not after.respondents:
            continue
        if item.kind == "score":
            assert before.mean is not None and after.mean is not None
            levels, unit = (before.mean, after.mean), "mean"
        else:
            levels = (
                100 * before.counted / before.respondents,
                100 * after.counted / after.respondents,
            )
            unit = "percent"
        out[item.id] = UnpairedChange(
            item.id, levels[0], levels[1], before.respondents, after.respondents, unit
        )
    return out
