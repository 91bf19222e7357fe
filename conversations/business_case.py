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
    low: float | None = None  # the 95% interval of `wellbys`, from that of the mean change
    high: float | None = None


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
    interval = None
    if change.ci_low is not None and change.ci_high is not None:
        interval = (change.ci_low, change.ci_high)
    return wellbys_for(change.mean_change, change.pairs, interval, assumptions)


def wellbys_for(
    mean_change: float,
    people: int,
    interval: tuple[float, float] | None = None,
    assumptions: Assumptions | None = None,
) -> WellbeingValue:
    """WELLBYs for `people` whose life satisfaction changed by `mean_change` on average (and
    its 95% interval, when known): the same arithmetic for one grantee or a pooled figure."""
    a = assumptions or Assumptions()
    share = a.attribution * (1 - a.deadweight) * a.duration_years
    per_person = mean_change * share
    wellbys = per_person * people
    money = None if WELLBY_VALUE_GBP is None else wellbys * WELLBY_VALUE_GBP
    low, high = (
        (None, None)
        if interval is None
        else (interval[0] * share * people, interval[1] * share * people)
    )
    return WellbeingValue(
        wellbys,
        per_person,
        people,
        a.describe(),
        money,
        WELLBY_VALUE_WHY_NOT if money is None else "",
        low,
        high,
    )
