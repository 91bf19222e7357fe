"""Change from baseline to follow-up: paired by participant code, with its uncertainty."""

from __future__ import annotations

import math
import statistics
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
    by_item: dict[str, list[tuple[str, str]]] = {}
    for (item_id, _), kinds in latest.items():
        if "baseline" in kinds and "follow_up" in kinds:
            by_item.setdefault(item_id, []).append((kinds["baseline"], kinds["follow_up"]))
    return {item_id: _change(items[item_id], pairs) for item_id, pairs in by_item.items()}


def _change(item: ParticipantItem, pairs: list[tuple[str, str]]) -> PairedChange:
    if item.kind == "score":
        diffs = [int(after) - int(before) for before, after in pairs]
        better = sum(d > 0 for d in diffs)
        worse = sum(d < 0 for d in diffs)
        if item.lower_is_better:
            better, worse = worse, better
        mean = statistics.fmean(diffs)
        low = high = None
        if len(diffs) >= 2:
            half = t_critical(len(diffs) - 1) * statistics.stdev(diffs) / math.sqrt(len(diffs))
            low, high = mean - half, mean + half
        return PairedChange(
            item.id,
            len(diffs),
            better,
            len(diffs) - better - worse,
            worse,
            mean,
            low,
            high,
            float(sum(diffs)),
            float(sum(d * d for d in diffs)),
        )
    counted = set(item.counts)
    into = sum(before not in counted and after in counted for before, after in pairs)
    out = sum(before in counted and after not in counted for before, after in pairs)
    better, worse = (out, into) if item.lower_is_better else (into, out)
    return PairedChange(item.id, len(pairs), better, len(pairs) - better - worse, worse)


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
