"""Submissions that look automated: too many from one source in a short time, or all alike."""

from __future__ import annotations

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


def to_hold(arrivals: Sequence[Arrival], rule: BurstRule | None = None) -> frozenset[int]:
    """The responses to hold for the grantee to accept or discard; every one of a burst is held,
    not just those past the limit, since nothing tells the first automated form from the rest."""
    rule = rule or BurstRule()
    held: set[int] = set()
    by_source: dict[str, list[Arrival]] = defaultdict(list)
    by_answers: dict[str, list[Arrival]] = defaultdict(list)
    for arrival in arrivals:
        by_source[arrival.source].append(arrival)
        if arrival.answered >= rule.identical_min_answers:
            by_answers[arrival.signature].append(arrival)
    for group in by_source.values():
        held |= _bursts(group, rule.window, rule.per_source)
    for group in by_answers.values():
        held |= _bursts(group, rule.window, rule.identical)
    return frozenset(held)


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
