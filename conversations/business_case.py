"""Cost per participant and the wellbeing change in WELLBYs, with every assumption stated."""

from __future__ import annotations

from dataclasses import dataclass

from conversations.participant_change import PairedChange

# A money value per WELLBY is shown only once its figure and price year are confirmed from HM
# Treasury's own Green Book wellbeing guidance; until then the WELLBYs are shown without money.
WELLBY_VALUE_GBP: float | None = None
WELLBY_VALUE_WHY_NOT = (
    "No money value is shown: the value of one WELLBY in HM Treasury's Green Book wellbeing "
    "guidance could not be confirmed from the guidance itself, so the change is given in "
    "WELLBYs (one point of life satisfaction for one person for one year)."
)


@dataclass(frozen=True)
class Assumptions:
    """What the valuation assumes, shown beside the figure (Green Book terms)."""

    attribution: float = 0.5  # share of the change the project can claim
    deadweight: float = 0.2  # share that would have happened anyway
    duration_years: float = 1.0  # how long the change lasts, undiscounted within a year

    def describe(self) -> str:
        return (
            f"Assumes {self.attribution:.0%} of the change is due to the project (attribution), "
            f"{self.deadweight:.0%} would have happened anyway (deadweight), and the change lasts "
            f"{self.duration_years:g} year{'s' if self.duration_years != 1 else ''} (duration)."
        )


@dataclass(frozen=True)
class WellbeingValue:
    wellbys: float  # for the people paired, after the assumptions
    per_person: float
    people: int
    assumptions: str
    money: float | None  # None while the value per WELLBY is unconfirmed
    money_note: str


def cost_per_participant(grant_amount: float | None, participants: int | None) -> float | None:
    """The grant divided by unique participants, when both are known and there were some."""
    if grant_amount is None or not participants:
        return None
    return grant_amount / participants


def wellbeing_value(
    change: PairedChange, assumptions: Assumptions | None = None
) -> WellbeingValue | None:
    """WELLBYs from a paired life satisfaction change; None without a paired mean change."""
    if change.mean_change is None or change.pairs < 2:
        return None
    a = assumptions or Assumptions()
    per_person = change.mean_change * a.attribution * (1 - a.deadweight) * a.duration_years
    wellbys = per_person * change.pairs
    money = None if WELLBY_VALUE_GBP is None else wellbys * WELLBY_VALUE_GBP
    return WellbeingValue(
        wellbys,
        per_person,
        change.pairs,
        a.describe(),
        money,
        WELLBY_VALUE_WHY_NOT if money is None else "",
    )
