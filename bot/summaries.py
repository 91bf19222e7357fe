"""Use cases: a grantee's benchmarked summary, a programme's funder digest, pooled evidence."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime

import storage
from bot.admin import AdminError, programme
from bot.frameworks import framework_for
from bot.round_observations import RoundObservations, observations
from conversations import benchmarks as b
from conversations import digests as d
from conversations import summaries as s
from conversations.framework import (
    Framework,
    ProportionQuestion,
    Question,
    TextQuestion,
)
from storage.aggregates import (
    PooledRow,
    Scope,
    answer_rows,
    completed_checkins,
    grantees_by_activity,
    latest_round,
    pooled_means,
    pooled_rows,
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
    return s.grantee_summary(
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


def _counts(rows: Iterable[PooledRow], framework: Framework) -> dict[str, d.Counts]:
    """Rows keyed by question id, keeping only the framework's current version of each."""
    versions = {q.id: q.version for q in framework.questions}
    return {
        r.question_id: d.Counts(r.question_id, r.version, r.grantees, r.x, r.n, r.total)
        for r in rows
        if versions.get(r.question_id) == r.version
    }


async def _outcome_rows(
    scope: Scope,
    framework: Framework,
    *,
    by_round: bool = False,
    by_period: bool = False,
    by_activity: bool = False,
) -> list[PooledRow]:
    outcomes = s.outcome_questions(framework)
    rows = await pooled_rows(
        scope,
        [q.id for q in outcomes if isinstance(q, ProportionQuestion)],
        by_round=by_round,
        by_period=by_period,
        by_activity=by_activity,
    )
    for q in outcomes:
        count_id = s.respondents_question(framework, q)
        if count_id is not None:
            rows += await pooled_means(
                scope,
                q.id,
                count_id,
                by_round=by_round,
                by_period=by_period,
                by_activity=by_activity,
            )
    return rows


def _grouped(
    rows: Iterable[PooledRow], framework: Framework, key: str
) -> dict[str, dict[str, d.Counts]]:
    """question id -> group label -> counts, for a breakdown by activity type."""
    out: dict[str, dict[str, d.Counts]] = defaultdict(dict)
    by_label: dict[str, list[PooledRow]] = defaultdict(list)
    for row in rows:
        by_label[str(getattr(row, key))].append(row)
    for label, group in by_label.items():
        for qid, counts in _counts(group, framework).items():
            out[qid][label] = counts
    return out


def _merged(rows: Iterable[PooledRow]) -> list[PooledRow]:
    """Add rows up into one per question version. The grantee counts add up only across groups
    that share no grantee (activity types); callers replace them otherwise."""
    sums: dict[tuple[str, int], PooledRow] = {}
    for row in rows:
        key = (row.question_id, row.version)
        seen = sums.get(key)
        sums[key] = (
            row
            if seen is None
            else replace(
                seen,
                grantees=seen.grantees + row.grantees,
                checkins=seen.checkins + row.checkins,
                x=seen.x + row.x,
                n=seen.n + row.n,
                total=seen.total + row.total,
            )
        )
    return list(sums.values())


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
    scope = Scope(round_ids=[rnd.id])
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
    outputs_q = s.output_questions(framework)
    output_counts = _counts(
        await pooled_rows(scope, [q.id for q in outputs_q], numbers=True), framework
    )
    outputs = tuple(
        d.OutputTotal(q.short, b.rounded_count(int(c.total)), c.grantees)
        for q in outputs_q
        if (c := output_counts.get(q.id)) is not None
    )
    rounds = await programme_rounds(target.id)
    trend_rows = await _outcome_rows(Scope(programme_id=target.id), framework, by_round=True)
    trend = [
        (period_label, _counts([r for r in trend_rows if r.round_id == rid], framework))
        for rid, period_label, opened in rounds
        if opened <= rnd.opened_at
    ]
    ids = _summary_question_ids(framework) + [q.id for q in s.outcome_questions(framework)]
    ids += [
        cid for q in s.outcome_questions(framework) if (cid := s.respondents_question(framework, q))
    ]
    spread_obs = observations(framework, await answer_rows(scope, sorted(set(ids))))
    indicators = d.outcome_indicators(
        framework,
        overall=_counts(await _outcome_rows(scope, framework), framework),
        trend=trend,
        by_activity=_grouped(
            await _outcome_rows(scope, framework, by_activity=True), framework, "activity_type"
        ),
        observations=spread_obs,
        local_authorities=pooled_places,
    )
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
        outputs=outputs,
        indicators=indicators,
        stories=tuple(
            d.Quote(a.organisation, a.text) for a in answers if a.question_id not in flagged
        ),
    )


# ---- pooled evidence -------------------------------------------------------------------------


async def pooled_evidence() -> d.PooledEvidence:
    """Every programme on this instance, pooled by question version; thresholds applied."""
    programmes = await storage.list_programmes()
    seen: set[tuple[str, int]] = set()
    indicators: list[d.Indicator] = []
    frameworks: dict[str, Framework] = {}
    places: dict[str, list[str]] = defaultdict(list)  # framework text -> grantees' councils
    for p in programmes:
        frameworks.setdefault(p.framework_toml, framework_for(p))
        places[p.framework_toml] += [
            g.local_authority for g in await storage.list_grantees(p.id, active_only=False)
        ]
    everything = Scope()
    for text, framework in frameworks.items():
        # One scan sums per (period, activity type). Sums add up across periods; grantees
        # don't (the same grantee reports in many periods), so the all-time count per activity
        # comes from a cheap distinct count. A grantee has one activity type, so activity
        # groups never share a grantee and the overall figure is their sum, counts included.
        period_activity_rows = await _outcome_rows(
            everything, framework, by_period=True, by_activity=True
        )
        distinct = await grantees_by_activity(
            everything, [q.id for q in s.outcome_questions(framework)]
        )
        by_activity_rows = [
            replace(row, grantees=distinct.get((str(activity), row.question_id, row.version), 0))
            for activity in sorted({str(r.activity_type) for r in period_activity_rows})
            for row in _merged(r for r in period_activity_rows if r.activity_type == activity)
        ]
        overall = _counts(_merged(by_activity_rows), framework)
        by_activity = _grouped(by_activity_rows, framework, "activity_type")
        periods = sorted({str(r.period) for r in period_activity_rows})
        trend = [
            (
                label,
                _counts(_merged(r for r in period_activity_rows if r.period == label), framework),
            )
            for label in periods
        ]
        for ind in d.outcome_indicators(
            framework,
            overall=overall,
            trend=trend,
            by_activity=by_activity,
            with_spread=False,
            local_authorities=places[text],
        ):
            key = (ind.question_id, framework.question(ind.question_id).version)
            if key not in seen:
                seen.add(key)
                indicators.append(ind)
    grantees = await reporting_grantees()
    return d.PooledEvidence(
        programmes=len(programmes), grantees=grantees, indicators=tuple(indicators)
    )
