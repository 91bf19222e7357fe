"""Use cases: a grantee's benchmarked summary, a programme's funder digest, pooled evidence."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import datetime

import storage
from bot.admin.operations import AdminError, programme
from bot.conversation.frameworks import framework_for
from bot.summaries import digest_cells as dc
from bot.summaries import form_change as fc
from bot.summaries.round_observations import RoundObservations, observations
from conversations import benchmarks as b
from conversations import digests as d
from conversations import summaries as s
from conversations.digest_change import business_lines, with_change
from conversations.framework import Framework, Question, TextQuestion
from conversations.pooling import Cell
from storage.aggregates import (
    AnswerRow,
    Scope,
    answer_rows,
    completed_checkins,
    latest_round,
    programme_rounds,
    reminders_sent,
    reporting_grantees,
    text_answers,
)
from storage.records import CheckInContext, CheckInStatus, Programme, Round


def _summary_question_ids(framework: Framework) -> list[str]:
    questions: list[Question] = [*s.indicator_questions(framework), *s.output_questions(framework)]
    ids = [q.id for q in questions]
    ids += [c for q in questions if (c := s.respondents_question(framework, q)) is not None]
    return sorted(set(ids))


async def grantee_summary(
    context: CheckInContext, kept: RoundObservations | None = None
) -> s.GranteeSummary:
    """The grantee's latest answers for the round beside peers, national figures and last time.

    `kept` reuses what earlier summaries of the round read (a service's summaries on completion).
    """
    framework = framework_for(context.programme)
    ids = _summary_question_ids(framework)
    if kept is not None:
        round_observations = await kept.of_round(context.round.id, framework, ids)
    else:
        rows = await answer_rows(Scope(round_ids=[context.round.id]), ids)
        round_observations = observations(framework, rows)
    rounds = await programme_rounds(context.programme.id)
    earlier = [(rid, period) for rid, period, opened in rounds if opened < context.round.opened_at]
    mine = (
        await answer_rows(
            Scope(round_ids=[r for r, _ in earlier], grantee_id=context.grantee.id), ids
        )
        if earlier
        else []
    )
    previous: dict[str, tuple[str, b.Observation]] = {}
    for rid, period in earlier:  # oldest first, so the latest earlier answer wins
        for obs in observations(framework, [r for r in mine if r.round_id == rid]):
            previous[obs.question_id] = (period, obs)
    change = await fc.grantee_change(
        framework,
        context,
        fc.periods_so_far(rounds, context.round.id),
        fc.unique_participants(framework, round_observations, context.grantee.id),
    )
    summary = s.grantee_summary(
        framework,
        grantee_id=context.grantee.id,
        grantee_name=context.grantee.name,
        organisation=context.grantee.organisation,
        programme_name=context.programme.name,
        period=context.round.period,
        round_observations=round_observations,
        previous=previous,
        local_authority=context.grantee.local_authority,
    )
    return replace(summary, participants=change)


async def summary_for_grantee(
    email: str, programme_slug: str | None = None, period: str | None = None
) -> s.GranteeSummary:
    """`checkins summary`: the grantee's completed check-in (latest, or for a period)."""
    grantees = await storage.find_grantees_by_email(email)
    if programme_slug:
        target = await programme(programme_slug)
        grantees = [g for g in grantees if g.programme_id == target.id]
    if not grantees:
        raise AdminError(f"no grantee has the email {email!r}; check the spelling")
    candidates: list[CheckInContext] = []
    for grantee in grantees:
        candidates += await completed_checkins(grantee.id)
    if period:
        candidates = [c for c in candidates if c.round.period == period]
    if not candidates:
        which = f" for {period}" if period else ""
        raise AdminError(f"{email} has no completed check-in{which} yet, so there is no summary")
    latest = max(candidates, key=lambda c: (c.round.opened_at, c.round.id))
    return await grantee_summary(latest)


# ---- the funder digest -----------------------------------------------------------------------


async def _choose_round(target: Programme, period: str | None) -> Round:
    if period:
        found = await storage.get_round(target.id, period)
    else:
        found = await storage.current_round(target.id) or await latest_round(target.id)
    if found is None:
        which = f"no round for period {period!r}" if period else "no rounds yet"
        raise AdminError(f"{target.slug} has {which}; open one with `checkins round open`")
    return found


async def funder_digest(
    programme_slug: str, period: str | None, *, now: datetime
) -> d.FunderDigest:
    target = await programme(programme_slug)
    framework = framework_for(target)
    rnd = await _choose_round(target, period)
    statuses = await storage.round_status(rnd.id)
    today = now.date()
    completed: list[str] = []
    pooled_places: list[str] = []  # whose answers the pooled figures hold
    in_progress: list[str] = []
    not_started: list[str] = []
    stopped: list[str] = []
    late: list[str] = []
    away: list[str] = []
    for line in statuses:
        if not line.grantee.active:
            continue
        name = line.grantee.organisation
        status = line.checkin.status if line.checkin else CheckInStatus.NOT_STARTED
        if status == CheckInStatus.COMPLETED:
            completed.append(name)
            pooled_places.append(line.grantee.local_authority)
            continue
        if status == CheckInStatus.STOPPED:
            stopped.append(name)
            continue
        if line.grantee.away_until is not None and line.grantee.away_until >= today:
            away.append(name)
        elif rnd.due_at is not None and now > rnd.due_at:
            late.append(name)
        (not_started if status == CheckInStatus.NOT_STARTED else in_progress).append(name)
    response = d.Response(
        active=sum(1 for line in statuses if line.grantee.active),
        completed=tuple(completed),
        in_progress=tuple(in_progress),
        not_started=tuple(not_started),
        stopped=tuple(stopped),
        late=tuple(late),
        away=tuple(away),
        reminders=await reminders_sent(rnd.id),
    )
    ids = _summary_question_ids(framework) + [q.id for q in s.outcome_questions(framework)]
    ids += [
        cid for q in s.outcome_questions(framework) if (cid := s.respondents_question(framework, q))
    ]
    rounds = [r for r in await programme_rounds(target.id) if r[2] <= rnd.opened_at]
    rows = await answer_rows(Scope(round_ids=[r[0] for r in rounds]), sorted(set(ids)))
    rows_of: dict[int, list[AnswerRow]] = defaultdict(list)
    for row in rows:
        rows_of[row.round_id].append(row)
    per_round = {rid: dc.in_blocks(observations(framework, rows_of[rid])) for rid, _, _ in rounds}
    current = per_round.get(rnd.id, [])
    response = replace(response, in_figures=dc.checkins_of(current))
    outputs = []
    for q in s.output_questions(framework):
        counted = [o for o in current if o.question_id == q.id and o.version == q.version]
        if counted:
            total = int(sum(o.value for o in counted))
            outputs.append(d.OutputTotal(q.short, b.rounded_count(total), len(counted)))
    funder = target.funder_name
    activity_of = {line.grantee.id: line.grantee.activity_type for line in statuses}
    by_type: dict[str, list[b.Observation]] = defaultdict(list)
    for o in current:
        by_type[str(activity_of.get(o.grantee_id))].append(o)
    by_activity: dict[str, dict[str, Cell]] = defaultdict(dict)
    for activity, group in by_type.items():
        for qid, cell in dc.cells(framework, group, funder).items():
            by_activity[qid][activity] = cell
    indicators = d.outcome_indicators(
        framework,
        overall=dc.cells(framework, current, funder),
        trend=[
            (period_label, dc.cells(framework, per_round[rid], funder))
            for rid, period_label, _ in rounds
        ],
        by_activity=by_activity,
        funnels=dc.funnel_points(framework, current),
        local_authorities=pooled_places,
    )
    in_figures = {o.grantee_id: str(activity_of.get(o.grantee_id)) for o in current}
    periods = [period_label for _, period_label, _ in rounds]
    forms = await fc.digest_cells(framework, funder, in_figures, rnd.period, periods)
    indicators = with_change(framework, indicators, forms)
    grants = {line.grantee.id: line.grantee.grant_amount for line in statuses}
    grants = {gid: grants.get(gid) for gid in in_figures}
    cost = fc.cost_cell(framework, current, grants, funder)
    texts = [q for q in framework.questions if isinstance(q, TextQuestion)]
    answers = await text_answers(rnd.id, [q.id for q in texts])
    flagged = {q.id for q in texts if q.flags_incident}
    return d.FunderDigest(
        funder_name=target.funder_name,
        programme_name=target.name,
        period=rnd.period,
        incidents=tuple(
            d.Quote(a.organisation, a.text) for a in answers if a.question_id in flagged
        ),
        response=response,
        outputs=tuple(outputs),
        indicators=indicators,
        stories=tuple(
            d.Quote(a.organisation, a.text) for a in answers if a.question_id not in flagged
        ),
        business=tuple(business_lines(framework, indicators, cost)),
    )


# ---- pooled evidence -------------------------------------------------------------------------


async def pooled_evidence() -> d.PooledEvidence:
    """Every programme on this instance, pooled per framework and question version.

    Programmes are grouped by framework (its id and version); only answers to the framework's
    current question versions are combined, and each cell is checked against every funder
    taking away its own grantees.
    """
    programmes = await storage.list_programmes()
    groups: dict[tuple[str, int], tuple[Framework, dict[int, str]]] = {}
    places: dict[tuple[str, int], list[str]] = defaultdict(list)  # grantees' councils
    funder_of: dict[int, str] = {}  # grantee id -> its programme's funder
    activity_of: dict[int, str] = {}
    for p in programmes:
        framework = framework_for(p)
        key = (framework.id, framework.version)
        groups.setdefault(key, (framework, {}))[1][p.id] = p.funder_name
        for g in await storage.list_grantees(p.id, active_only=False):
            places[key].append(g.local_authority)
            funder_of[g.id], activity_of[g.id] = p.funder_name, g.activity_type
    indicators: list[d.Indicator] = []
    business: list[str] = []
    for key, (framework, funders) in groups.items():
        by_activity, by_period, overall, periods = await dc.evidence_cells(framework, funders)
        found = d.outcome_indicators(
            framework,
            overall=overall,
            trend=[
                (label, {qid: cells[label] for qid, cells in by_period.items() if label in cells})
                for label in periods
            ],
            by_activity=by_activity,
            trend_is_breakdown=True,
            local_authorities=places[key],
        )
        forms = await fc.evidence_cells(framework, sorted(funders), funder_of, activity_of)
        found = with_change(framework, found, forms)
        business += business_lines(framework, found)
        if len(groups) > 1:
            found = tuple(
                replace(i, title=f"{i.title} ({framework.title}, version {framework.version})")
                for i in found
            )
        indicators += found
    grantees = await reporting_grantees()
    return d.PooledEvidence(
        programmes=len(programmes),
        grantees=grantees,
        indicators=tuple(indicators),
        business=tuple(business),
    )
