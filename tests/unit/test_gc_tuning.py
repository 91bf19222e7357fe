"""The service's garbage-collector settings: start-up's heap frozen, young objects less often."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from bot.gc_tuning import YOUNG_THRESHOLD, tune_for_serving


@pytest.fixture
def restored_gc() -> Iterator[None]:
    before = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*before)


class Cycle:
    def __init__(self) -> None:
        self.me = self


def test_start_up_objects_are_frozen_and_young_ones_collected_less_often(
    restored_gc: None,
) -> None:
    loaded = Cycle()  # stands for what start-up made and keeps
    _, middle, oldest = gc.get_threshold()
    tune_for_serving()
    assert gc.get_threshold() == (YOUNG_THRESHOLD, middle, oldest)
    assert gc.get_freeze_count() > 0
    assert not any(o is loaded for o in gc.get_objects())  # frozen: never scanned again


def test_garbage_made_while_serving_is_still_collected(restored_gc: None) -> None:
    tune_for_serving()
    collected: list[str] = []
    garbage = Cycle()
    weak = weakref.finalize(garbage, collected.append, "freed")
    del garbage
    gc.collect()
    assert collected == ["freed"] and not weak.alive
