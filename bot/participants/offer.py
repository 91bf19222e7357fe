"""The figures a grantee's participant forms supply, offered when the check-in asks for them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace

from bot.conversation.frameworks import framework_for
from conversations import engine
from conversations.framework import Framework
from conversations.participant_figures import FormFigures, figures_from_counts
from conversations.state import Ask, EngineOptions, SessionState, Suggestion, Transition
from storage import participants
from storage.records import CheckInContext


async def figures_for(context: CheckInContext) -> FormFigures | None:
    """The grantee's form figures for the check-in's period; None if its framework has no form."""
    framework = framework_for(context.programme)
    if not framework.participant_items:
        return None
    counts = await participants.form_counts(context.grantee.id, context.round.period)
    return figures_from_counts(framework, counts.answers, counts.forms, counts.held)


async def form_suggestions(context: CheckInContext) -> Mapping[str, Suggestion]:
    """Answers to offer, by question id: none once the check-in is settled, or without forms."""
    if not context.round.is_open:
        return {}  # nothing can be answered or changed any more
    figures = await figures_for(context)
    if figures is None or not any(figures.forms.values()):
        return {}
    return figures.suggested_answers(framework_for(context.programme))


Step = Callable[[Framework, SessionState, EngineOptions], Transition]
Source = Callable[[CheckInContext], Awaitable[Mapping[str, Suggestion]]]


def fillable(framework: Framework) -> frozenset[str]:
    """The grantee questions participants' forms can answer."""
    form = framework.participant_form
    if form is None:
        return frozenset()
    ids = {form.baseline_count, form.follow_up_count}
    for item in framework.participant_items:
        ids.add(item.fills)
        if item.fills_count is not None:
            ids.add(item.fills_count)
    return frozenset(ids)


async def step_with_offers(
    step: Step,
    framework: Framework,
    state: SessionState,
    options: EngineOptions,
    context: CheckInContext,
    source: Source,
) -> Transition:
    """Run a step, offering the forms' figures when it asks (or answers) a question they fill.

    The figures are read only then: most steps ask something else, and a read between loading
    a check-in and saving it would widen the window in which another instance can change it.
    """
    transition = step(framework, state, options)
    wanted = fillable(framework)
    asked = {p.question_id for p in transition.prompts if isinstance(p, Ask)}
    if state.current not in wanted and not asked & wanted:
        return transition
    offered = replace(options, suggestions=await source(context))
    if not offered.suggestions:
        return transition
    return engine.offer(step(framework, state, offered), offered)
