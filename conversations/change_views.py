"""What a grantee's participants' forms say about change: the view-models a summary carries."""

from __future__ import annotations

from dataclasses import dataclass

from conversations import uncertainty as u

PAIRED_NOTE = (
    "Paired change compares the same people's baseline and follow-up forms, matched by the "
    "participant code they chose; it is the stronger evidence of change."
)
UNPAIRED_NOTE = (
    "Unpaired comparisons set baseline forms beside follow-up forms that may come from "
    "different people, so they are weaker evidence of change than paired forms."
)


@dataclass(frozen=True)
class ItemChange:
    """One outcome's paired change among the grantee's own participants."""

    question_id: str  # the grantee question the participant item fills
    title: str
    pairs: int
    shown: bool  # enough people paired to show the change
    better: int
    same: int
    worse: int
    mean_change: float | None  # scores only
    interval: u.Interval | None  # 95%, around the mean change
    indicative: bool
    sentence: str


@dataclass(frozen=True)
class ItemLevels:
    """One outcome's baseline and follow-up levels from possibly different people."""

    question_id: str
    title: str
    sentence: str


@dataclass(frozen=True)
class ParticipantChange:
    paired: tuple[ItemChange, ...]
    unpaired: tuple[ItemLevels, ...]
    business: tuple[str, ...]
    held: str | None  # forms held as a burst: never counted
    paired_note: str = PAIRED_NOTE
    unpaired_note: str = UNPAIRED_NOTE
