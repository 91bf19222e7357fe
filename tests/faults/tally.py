"""Counts of fault and attack cases tried and lost, kept for the session and printed at its end."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

from hypothesis import HealthCheck, settings
from hypothesis.errors import UnsatisfiedAssumption

# Deeper runs (nightly, before a release) raise this; the default keeps the suite well under
# two minutes on two shared cores.
SCALE = float(os.environ.get("CHECKINS_FAULTS_SCALE", "1"))


def examples(count: int) -> int:
    return max(1, round(count * SCALE))


def pure(count: int) -> settings:
    """Settings for a property of pure code: no deadline, because CI machines stall."""
    return settings(max_examples=examples(count), deadline=None)


def io(count: int) -> settings:
    """Settings for a property that talks to the database or a socket.

    The service and its database are made once per test (function-scoped fixtures) and reused
    by every example; each example checks only what it changed.
    """
    return settings(
        max_examples=examples(count),
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


class Tally:
    """Cases tried and lost per suite ("properties answers", "attacks email", ...)."""

    def __init__(self) -> None:
        self.tried: Counter[str] = Counter()
        self.lost: Counter[str] = Counter()

    @contextmanager
    def case(self, suite: str) -> Iterator[None]:
        """One case: counted as tried, and as lost if a check fails or anything crashes."""
        self.tried[suite] += 1
        try:
            yield
        except UnsatisfiedAssumption:  # hypothesis discarding an example is not a failure
            self.tried[suite] -= 1
            raise
        except Exception:
            self.lost[suite] += 1
            raise

    def lines(self) -> list[str]:
        rows = [
            f"faults: {suite}: {self.tried[suite]} cases tried, {self.lost[suite]} lost"
            for suite in sorted(self.tried)
        ]
        if rows:
            total, lost = sum(self.tried.values()), sum(self.lost.values())
            rows.append(f"faults: total: {total} cases tried, {lost} lost")
        return rows


TALLY = Tally()
