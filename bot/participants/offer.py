"""The figures a grantee's participant forms supply, offered when the check-in asks for them."""

from __future__ import annotations

from collections.abc import Mapping

from bot.frameworks import framework_for
from conversations.participant_figures import FormFigures, figures_from_counts
from conversations.state import Suggestion
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
