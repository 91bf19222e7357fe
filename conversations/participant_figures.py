"""A grantee's outcome figures from its participants' forms: counts per answer in, 'x of n' out."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from conversations.answers import AnswerValue
from conversations.framework import Framework
from conversations.participant_items import FormKind, ParticipantItem
from conversations.state import Suggestion


@dataclass(frozen=True)
class AnswerCount:
    """How many counted forms of one kind gave one answer to one item (a row of GROUP BY)."""

    kind: FormKind
    item_id: str
    value: str
    forms: int


@dataclass(frozen=True)
class ItemFigure:
    """One item's figure: x of n for a choice, n and the mean for a score."""

    item_id: str
    fills: str
    respondents: int
    counted: int = 0  # a choice's x
    total: int = 0  # a score's sum, so means pool by adding
    counted_label: str = ""

    @property
    def mean(self) -> float | None:
        return self.total / self.respondents if self.respondents else None


@dataclass(frozen=True)
class FormFigures:
    """Everything one grantee's forms of one period say, ready to offer as answers."""

    forms: Mapping[FormKind, int]  # counted forms (held ones excluded) by kind
    held: int  # forms held for review: never counted until accepted
    follow_up: Mapping[str, ItemFigure]  # by item id
    baseline: Mapping[str, ItemFigure]

    def suggested_answers(self, framework: Framework) -> dict[str, Suggestion]:
        """The grantee questions these figures can answer, with the sentence that says where
        each came from ('From your 39 follow-up forms: 33 agree that ...')."""
        form = framework.participant_form
        if form is None:
            return {}
        follow_ups = self.forms.get("follow_up", 0)
        out: dict[str, Suggestion] = {}
        out[form.baseline_count] = Suggestion(
            self.forms.get("baseline", 0),
            f"{_forms(self.forms.get('baseline', 0), 'baseline')} stored for this period.",
        )
        out[form.follow_up_count] = Suggestion(
            follow_ups, f"{_forms(follow_ups, 'follow-up')} stored for this period."
        )
        if not follow_ups:
            return out
        where = f"From your {_forms(follow_ups, 'follow-up')}"
        for item in framework.participant_items:
            fig = self.follow_up.get(item.id)
            if fig is None or not fig.respondents:
                continue
            if item.kind == "choice":
                value: AnswerValue = {"x": fig.counted, "n": fig.respondents}
                said = f"{fig.counted} of {fig.respondents} {fig.counted_label}"
                out[item.fills] = Suggestion(value, f"{where}: {said}.")
            elif item.fills_count is not None and fig.mean is not None:
                mean = round(fig.mean, 1)
                out[item.fills_count] = Suggestion(
                    fig.respondents,
                    f"{where}: {fig.respondents} answered \u201c{item.wording}\u201d",
                )
                out[item.fills] = Suggestion(
                    mean,
                    f"{where}: the {fig.counted_label} was {mean:.1f} ({fig.respondents} answers).",
                )
        return out


def _forms(n: int, kind: str) -> str:
    return f"{n} {kind} form" + ("" if n == 1 else "s")


def figures_from_counts(
    framework: Framework, counts: Iterable[AnswerCount], forms: Mapping[FormKind, int], held: int
) -> FormFigures:
    """Fold grouped answer counts (one row per kind, item and answer) into figures, in one pass."""
    items = {i.id: i for i in framework.participant_items}
    tallies: dict[FormKind, dict[str, list[int]]] = {"baseline": {}, "follow_up": {}}
    for row in counts:
        item = items.get(row.item_id)
        if item is None:
            continue  # an item since removed from the framework: its answers are not comparable
        tally = tallies[row.kind].setdefault(row.item_id, [0, 0, 0])
        tally[0] += row.forms
        if item.kind == "choice":
            tally[1] += row.forms if row.value in item.counts else 0
        else:
            tally[2] += int(row.value) * row.forms
    return FormFigures(
        forms=dict(forms),
        held=held,
        follow_up=_figures(items, tallies["follow_up"]),
        baseline=_figures(items, tallies["baseline"]),
    )


def _figures(
    items: Mapping[str, ParticipantItem], tallies: Mapping[str, list[int]]
) -> dict[str, ItemFigure]:
    return {
        item_id: ItemFigure(
            item_id, items[item_id].fills, n, counted, total, items[item_id].counted_label
        )
        for item_id, (n, counted, total) in tallies.items()
    }
