"""Python's garbage collector set for a long-running service rather than for a script."""

from __future__ import annotations

import gc

# allocations between collections of the youngest generation (Python's default is 700)
YOUNG_THRESHOLD = 10_000


def tune_for_serving() -> None:
    """Freeze what start-up made, and collect young objects less often.

    The service keeps a large heap for as long as it runs (the ORM, bolt, templates, parsed
    frameworks) and makes many short-lived objects for every message. With Python's defaults
    the collector keeps scanning that permanent heap (a full collection took 70 ms here, and
    every request waits for it) and scans the young objects every 700 allocations, mostly
    finding the objects of requests still in flight: together about a tenth of the service's
    CPU under load (bench/bench_slack.py). Frozen objects are never collected, which is right
    for what lives as long as the process; everything made later is collected as usual.
    """
    gc.collect()
    gc.freeze()
    _, middle, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, oldest)
