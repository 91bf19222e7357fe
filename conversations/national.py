"""Which official figure, if any, a grantee's or a programme's answers stand beside."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from conversations.framework import NationalBenchmark, Question
from conversations.nations import NATIONS, Nation, normalised, place_of


@dataclass(frozen=True)
class NoFigure:
    """No figure is comparable, and why, in words a grantee or funder can read."""

    reason: str


Choice = NationalBenchmark | NoFigure | None


def for_grantee(q: Question, local_authority: str | None) -> Choice:
    """The figure for the grantee's own council area, else their nation's, else the UK's.

    None when the question has no national figure anywhere (nothing is said); NoFigure when
    figures exist but none covers where the grantee works.
    """
    if not q.national:
        return None
    place = place_of(local_authority) if local_authority else None
    if place is None:
        where = f"'{local_authority}'" if local_authority else "your local authority"
        return NoFigure(
            f"No national figure is shown: {where} is not a UK council area we recognise, "
            "so we can't tell which nation's figures apply. Ask your funder to correct it."
        )
    if place.district is not None:
        mine = normalised(place.district)
        for bench in q.national:
            if bench.local_authority and normalised(bench.local_authority) == mine:
                return bench
    return _for_nation(q, place.nation)


def for_group(q: Question, local_authorities: Iterable[str]) -> Choice:
    """The figure for a group of grantees (a programme, pooled evidence): one that covers every
    grantee's nation, so a pooled figure is never set against another nation's survey."""
    if not q.national:
        return None
    nations = {place.nation if (place := place_of(la)) else None for la in local_authorities}
    if not nations:
        return None
    if None in nations:
        return NoFigure(
            "No national figure is shown: some grantees' local authorities are not UK council "
            "areas we recognise, so we can't tell which nations' figures apply."
        )
    known = sorted((n for n in nations if n is not None), key=NATIONS.index)
    if len(known) == 1:
        return _for_nation(q, known[0])
    uk = _national(q, "UK")
    if uk is not None:
        return uk
    return NoFigure(
        f"No single national figure: grantees work in {_listed(known)}, and the official "
        f"figure for this question covers {_listed(_covered(q))} only."
    )


def _for_nation(q: Question, nation: Nation) -> Choice:
    found = _national(q, nation) or _national(q, "UK")
    if found is not None:
        return found
    return NoFigure(
        f"No comparable national figure for {nation}: the official figure for this question "
        f"covers {_listed(_covered(q))} only, and {nation}'s own surveys do not publish one "
        "with the same wording and answers."
    )


def _national(q: Question, coverage: str) -> NationalBenchmark | None:
    return next((b for b in q.national if b.nation == coverage and b.local_authority is None), None)


def _covered(q: Question) -> list[str]:
    return sorted({b.nation for b in q.national}, key=lambda n: (n == "UK", n))


def _listed(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def context(bench: NationalBenchmark) -> str:
    """What a reader needs to weigh the figure: its table, who was asked, and how."""
    how = (
        "self-completed online or on paper, like participants' forms"
        if bench.mode == "self_completion"
        else "asked by an interviewer, while participants fill in their forms themselves, "
        "which can give different answers"
    )
    where = "the UK" if bench.geography == "UK" else bench.geography
    return f"Table: {bench.table}. Asked of {bench.population} in {where}; {how}."
