"""A round's completed check-ins as observations, kept per check-in version between summaries."""

from __future__ import annotations

from collections import OrderedDict, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial

from conversations import benchmarks as b
from conversations import summaries as s
from conversations.framework import CountQuestion, Framework, ProportionQuestion
from storage.aggregates import AnswerRow, Scope, answer_rows, completed_versions


def observations(framework: Framework, rows: Iterable[AnswerRow]) -> list[b.Observation]:
    """Answers as numbers per grantee; a mean takes its respondents from its count question."""
    by_checkin: dict[int, dict[str, AnswerRow]] = defaultdict(dict)
    for row in rows:
        by_checkin[row.checkin_id][row.question_id] = row
    found: list[b.Observation] = []
    for checkin_id, answers in by_checkin.items():
        first = next(iter(answers.values()))  # a check-in's rows share its completion time
        order = (first.completed_at.isoformat() if first.completed_at else "", checkin_id)
        for row in answers.values():
            q = framework.by_id.get(row.question_id)
            if q is None:
                continue
            make = partial(b.Observation, row.grantee_id, row.question_id, row.version, order=order)
            if isinstance(q, ProportionQuestion):
                if row.x is not None and row.n:
                    found.append(make(b.percent(row.x, row.n), n=row.n, x=row.x))
            elif isinstance(q, CountQuestion):
                if row.number is not None:
                    found.append(make(row.number))
            elif (count_id := s.respondents_question(framework, q)) is not None:
                respondents = answers.get(count_id)
                if row.number is not None and respondents and respondents.number:
                    found.append(make(row.number, n=int(respondents.number)))
    return found


@dataclass
class _Round:
    framework: Framework
    # check-in id -> (its version when read, its observations)
    checkins: dict[int, tuple[int, tuple[b.Observation, ...]]] = field(default_factory=dict)


class RoundObservations:
    """Every completed check-in's observations in a round, read once per check-in version.

    A summary compares one grantee with every other completed check-in of its round. Reading
    and converting all of their answers for each summary made each completion cost more than
    the one before. The versions are read from the database every time (a saved step bumps
    its check-in's version), so an edit, or a check-in completed through another instance, is
    read afresh; only what the same version already gave is reused.
    """

    def __init__(self, rounds: int = 8) -> None:
        self._rounds: OrderedDict[int, _Round] = OrderedDict()
        self._limit = rounds

    async def of_round(
        self, round_id: int, framework: Framework, question_ids: Sequence[str]
    ) -> list[b.Observation]:
        versions = await completed_versions(round_id)
        kept = self._rounds.pop(round_id, None)
        if kept is None or kept.framework is not framework:
            kept = _Round(framework)
        self._rounds[round_id] = kept  # the most recently used round is kept longest
        while len(self._rounds) > self._limit:
            self._rounds.popitem(last=False)
        stale = [
            c for c, v in versions.items() if c not in kept.checkins or kept.checkins[c][0] != v
        ]
        if stale:
            rows: defaultdict[int, list[AnswerRow]] = defaultdict(list)
            for row in await answer_rows(Scope(checkin_ids=stale), question_ids):
                rows[row.checkin_id].append(row)
            # A check-in saved again between the two reads is stored under the older version
            # it was read with, so the next summary reads it again.
            for checkin_id in stale:
                found = tuple(observations(framework, rows[checkin_id]))
                kept.checkins[checkin_id] = (versions[checkin_id], found)
        for checkin_id in [c for c in kept.checkins if c not in versions]:
            del kept.checkins[checkin_id]  # reopened or gone
        return [o for c in sorted(versions) for o in kept.checkins[c][1]]
