"""Participants' forms read for summaries and digests: a grantee's change, pooled cells."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from conversations import benchmarks as b
from conversations.change_summary import participant_change
from conversations.change_views import ParticipantChange
from conversations.digest_change import FormCells, change_cells, level_cells, needing_levels
from conversations.framework import Framework
from conversations.participant_change import changes_from_moves
from conversations.participant_figures import figures_from_counts
from conversations.pooling import Cell, Moments
from storage import participants
from storage.participant_pools import FormScope, answer_counts_by_grantee, moves_by_grantee
from storage.records import CheckInContext

NO_FORMS = FormCells({}, {}, {}, {})


def periods_so_far(rounds: Iterable[tuple[int, str, object]], round_id: int) -> list[str]:
    """The periods of the programme's rounds up to and including this one (in opening order):
    where a follow-up form's baseline may have been filled in."""
    ordered = list(rounds)
    ids = [rid for rid, _, _ in ordered]
    upto = ids.index(round_id) + 1 if round_id in ids else len(ordered)
    return [period for _, period, _ in ordered[:upto]]


def participants_by_grantee(
    framework: Framework, observations: Iterable[b.Observation]
) -> dict[int, int]:
    """The unique participants each grantee reported in its check-in (cost per participant)."""
    form = framework.participant_form
    if form is None or form.unique_participants is None:
        return {}
    return {
        o.grantee_id: int(o.value)
        for o in observations
        if o.question_id == form.unique_participants
    }


def unique_participants(
    framework: Framework, observations: Iterable[b.Observation], grantee_id: int
) -> int | None:
    """The unique participants one grantee reported in its check-in."""
    return participants_by_grantee(framework, observations).get(grantee_id)


async def grantee_change(
    framework: Framework,
    context: CheckInContext,
    baseline_periods: Sequence[str],
    participants_count: int | None,
) -> ParticipantChange | None:
    """The grantee's own paired change for the check-in's period, unpaired levels where no
    paired change is shown, and its business case. Held forms are never counted."""
    if framework.participant_form is None:
        return None
    grantee, period = context.grantee, context.round.period
    counts = await participants.form_counts(grantee.id, period)
    has_forms = any(counts.forms.values()) or counts.held
    figures = (
        figures_from_counts(framework, counts.answers, counts.forms, counts.held)
        if has_forms
        else None
    )
    paired = {}
    if counts.forms.get("follow_up"):  # a pair needs a follow-up form in this period
        scope = FormScope(
            grantee_ids=[grantee.id], follow_up_period=period, baseline_periods=baseline_periods
        )
        moves = await moves_by_grantee(framework.key, scope)
        paired = changes_from_moves(framework, moves.get(grantee.id, []))
    return participant_change(
        framework,
        paired,
        figures,
        grant_amount=grantee.grant_amount,
        participants=participants_count,
    )


async def digest_cells(
    framework: Framework,
    funder: str,
    activity_of: Mapping[int, str],
    period: str,
    baseline_periods: Sequence[str],
) -> FormCells:
    """Pooled cells of the forms of the grantees in a digest's figures (`activity_of`'s keys)."""
    if not framework.participant_items:
        return NO_FORMS
    ids = sorted(activity_of)
    scope = FormScope(grantee_ids=ids, follow_up_period=period, baseline_periods=baseline_periods)
    return await _cells(framework, scope, period, dict.fromkeys(ids, funder), activity_of)


async def evidence_cells(
    framework: Framework,
    programme_ids: Sequence[int],
    funder_of: Mapping[int, str],
    activity_of: Mapping[int, str],
) -> FormCells:
    """Pooled cells of the forms of these programmes' grantees (`funder_of`: grantee id to
    funder), over every period: each person's latest baseline and latest follow-up."""
    if not framework.participant_items:
        return NO_FORMS
    scope = FormScope(programme_ids=programme_ids)
    return await _cells(framework, scope, None, funder_of, activity_of)


async def _cells(
    framework: Framework,
    scope: FormScope,
    period: str | None,
    funder_of: Mapping[int, str],
    activity_of: Mapping[int, str],
) -> FormCells:
    moves = await moves_by_grantee(framework.key, scope)
    change, by_activity = change_cells(framework, moves, funder_of, activity_of)
    baseline: Mapping[str, Cell] = {}
    follow_up: Mapping[str, Cell] = {}
    items = needing_levels(framework, change)
    if items:  # levels only where no paired change is shown: they are the weaker evidence
        where = FormScope(scope.grantee_ids, scope.programme_ids)
        counts = await answer_counts_by_grantee(where, period, items)
        baseline, follow_up = level_cells(framework, counts, funder_of)
    return FormCells(change, by_activity, baseline, follow_up)


def cost_cell(
    framework: Framework,
    observations: Iterable[b.Observation],
    grants: Mapping[int, float | None],
    funder: str,
) -> Cell | None:
    """Grants over unique participants, each grantee a cluster (y its grant, n its people)."""
    people = participants_by_grantee(framework, observations)
    clusters = [
        (grant, people[gid])
        for gid, grant in sorted(grants.items())
        if grant is not None and people.get(gid)
    ]
    return {funder: Moments.of(clusters)} if clusters else None
