"""Submissions that look automated: too many from one source in a short time, or all alike."""

from __future__ import annotations

import enum
import hashlib
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Arrival:
    """One submission as burst detection sees it: when, from where, and its answers."""

    response_id: int
    received_at: datetime
    source: str  # the hashed address, or the form (grantee and period) for the form-wide limit
    signature: str  # answers_signature of its answers
    answered: int  # how many questions it answers


def answers_signature(answers: Mapping[str, str]) -> str:
    """A digest equal for two forms exactly when their answers are."""
    text = "\x1f".join(f"{k}={v}" for k, v in sorted(answers.items()))
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class BurstRule:
    window: timedelta = timedelta(minutes=10)
    per_source: int = 5  # more than this many from one address in the window look automated
    identical: int = 5  # more than this many identical forms in the window look automated
    # forms with fewer answers are alike by chance (everyone agrees), so only fuller ones compare
    identical_min_answers: int = 3

    @property
    def per_form(self) -> int:
        """More than this many to one grantee's form in the window look automated, from
        wherever they come."""
        return self.per_source * 10


class HoldReason(enum.StrEnum):
    """Which rule a held form's burst broke, most telling first."""

    ONE_SOURCE = "one_source"  # too many from one address
    IDENTICAL = "identical"  # too many with the same answers
    PER_FORM = "per_form"  # too many to the grantee's form at once
    BURST = "burst"  # part of a burst whose other forms have since been accepted or discarded


def to_hold(arrivals: Sequence[Arrival], rule: BurstRule | None = None) -> frozenset[int]:
    """The responses to hold for the grantee to accept or discard; every one of a burst is held,
    not just those past the limit, since nothing tells the first automated form from the rest."""
    rule = rule or BurstRule()
    held: set[int] = set()
    by_source, by_answers = _grouped(arrivals, rule)
    for group in by_source.values():
        held |= _bursts(group, rule.window, rule.per_source)
    for group in by_answers.values():
        held |= _bursts(group, rule.window, rule.identical)
    return frozenset(held)


def hold_reasons(held: Sequence[Arrival], rule: BurstRule | None = None) -> dict[int, HoldReason]:
    """Why each of a grantee's held forms was held, worked out again from the held forms alone
    (every form of a burst is held, so a burst is still there to see until some are released)."""
    rule = rule or BurstRule()
    reasons = dict.fromkeys((a.response_id for a in held), HoldReason.BURST)
    by_source, by_answers = _grouped(held, rule)
    found = [
        (_bursts(list(held), rule.window, rule.per_form), HoldReason.PER_FORM),
        *(
            (_bursts(g, rule.window, rule.identical), HoldReason.IDENTICAL)
            for g in by_answers.values()
        ),
        *(
            (_bursts(g, rule.window, rule.per_source), HoldReason.ONE_SOURCE)
            for g in by_source.values()
        ),
    ]
    for ids, reason in found:  # later rules are the more telling, so they win
        reasons.update(dict.fromkeys(ids, reason))
    return reasons


def _grouped(
    arrivals: Sequence[Arrival], rule: BurstRule
) -> tuple[dict[str, list[Arrival]], dict[str, list[Arrival]]]:
    """Arrivals by source, and the fuller ones by their answers."""
    by_source: dict[str, list[Arrival]] = defaultdict(list)
    by_answers: dict[str, list[Arrival]] = defaultdict(list)
    for arrival in arrivals:
        by_source[arrival.source].append(arrival)
        if arrival.answered >= rule.identical_min_answers:
            by_answers[arrival.signature].append(arrival)
    return by_source, by_answers


def _bursts(group: list[Arrival], window: timedelta, limit: int) -> set[int]:
    """Ids of arrivals in any window holding more than `limit` of the group (two pointers)."""
    ordered = sorted(group, key=lambda a: a.received_at)
    held: set[int] = set()
    start = 0
    for end, arrival in enumerate(ordered):
        while arrival.received_at - ordered[start].received_at > window:
            start += 1
        if end - start + 1 > limit:
            held.update(a.response_id for a in ordered[start : end + 1])
    return held
