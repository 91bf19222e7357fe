"""The App Home tab: open check-ins and progress, the latest completed one, what is due next."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from bot.channels.slack.blocks import ACTION_PREFIX, Block, context, escape, round_tag, section
from bot.conversation.rendering import ConversationView
from bot.conversation.standing import (
    programmes_of_slack_user,
    response_rates_for_contact,
    standing_of_slack_user,
)
from bot.summaries.build import grantee_summary
from bot.summaries.render import SummaryRenderer, summary_blocks
from conversations import engine
from conversations.answers import format_answer
from conversations.framework import Framework
from conversations.schedule import Schedule, rounds_between
from conversations.state import Ask, Paused, Review, SessionState, Welcome
from storage.records import CheckInContext, Programme

log = logging.getLogger(__name__)
ViewFor = Callable[[CheckInContext], ConversationView]
STATUS_WORDS = {
    "not_started": "not started",
    "in_progress": "in progress",
    "paused": "paused",
    "reviewing": "ready to submit",
    "completed": "submitted",
    "stopped": "stopped",
}


def _state(ctx: CheckInContext, framework: Framework) -> SessionState:
    return (
        SessionState.from_json(ctx.checkin.state)
        if ctx.checkin.state
        else engine.new_state(framework)
    )


def progress(framework: Framework, state: SessionState) -> tuple[int, int]:
    """(answered, questions that apply) as the engine counts them."""
    for prompt in engine.where(framework, state):
        if isinstance(prompt, (Ask, Paused)):
            return prompt.answered, prompt.total
        if isinstance(prompt, Review):
            answered = [i for i in prompt.items if not i.skipped]
            return len(answered), len(prompt.items)
    for prompt in engine.start(framework, state).prompts:
        if isinstance(prompt, Welcome):
            return 0, prompt.total
    return len(state.answers), len(framework.questions)


def status_line(ctx: CheckInContext, view: ConversationView) -> str:
    """'*Bridges Community Fund*, 2026 Q4: 3 of 22 answered, in progress, due Monday ...'."""
    answered, total = progress(view.framework, _state(ctx, view.framework))
    status = STATUS_WORDS.get(ctx.checkin.status, ctx.checkin.status)
    due = f", due {view.due}" if view.due and ctx.checkin.status != "completed" else ""
    return (
        f"*{escape(ctx.programme.name)}*, {escape(ctx.round.period)}: "
        f"{answered} of {total} answered, {status}{due}"
    )


def next_opening(programme: Programme, today: date) -> date | None:
    """When the programme's schedule opens its next round, if it has a usable schedule."""
    try:
        schedule = Schedule.model_validate(dict(programme.schedule))
    except ValidationError:
        return None
    upcoming = rounds_between(schedule, today + timedelta(days=1), today + timedelta(days=400))
    return upcoming[0].opens_on if upcoming else None


async def next_openings(user_id: str, today: date) -> str:
    """'Bridges Community Fund: Thursday 1 January 2027' for each of the user's programmes."""
    openings = []
    for programme in await programmes_of_slack_user(user_id):
        day = next_opening(programme, today)
        if day is not None:
            openings.append(f"{programme.name}: {day:%A} {day.day} {day:%B %Y}")
    return "; ".join(openings)


def headline_answers(ctx: CheckInContext, framework: Framework) -> list[str]:
    """The framework's headline questions as answered in this check-in."""
    answers = _state(ctx, framework).answers
    return [
        f"{q.short}: {format_answer(q, answers[q.id])}"
        for q in framework.questions
        if q.headline and q.id in answers
    ]


def _local_day(moment: datetime | None, zone: str) -> str:
    if moment is None:
        return ""
    local = moment.astimezone(ZoneInfo(zone or "UTC"))
    return f"{local:%A} {local.day} {local:%B %Y}"


def open_blocks(contexts: Sequence[CheckInContext], view_for: ViewFor) -> list[Block]:
    blocks: list[Block] = [section("*Your check-ins*")]
    for ctx in contexts:
        view = view_for(ctx)
        line: Block = section(status_line(ctx, view))
        if ctx.checkin.status not in ("completed", "stopped"):
            word = "Start" if ctx.checkin.status == "not_started" else "Continue"
            line["accessory"] = {
                "type": "button",
                "action_id": f"{ACTION_PREFIX}home",
                "text": {"type": "plain_text", "text": f"{word} in Messages"},
                "value": json.dumps({"t": "resume"}),
            }
            line["block_id"] = f"ci:{round_tag(view.programme_name, view.period)}:home"
        blocks.append(line)
    return blocks


async def latest_blocks(ctx: CheckInContext, view: ConversationView) -> list[Block]:
    """The latest completed check-in: when, its headline answers, and its benchmarked summary."""
    submitted = _local_day(ctx.checkin.completed_at, ctx.grantee.timezone)
    lines = "\n".join(f"• {escape(line)}" for line in headline_answers(ctx, view.framework))
    blocks = [
        section(
            f"*Your latest completed check-in*\n{escape(ctx.programme.name)}, "
            f"{escape(ctx.round.period)}, submitted {submitted}"
        ),
        *([section(lines)] if lines else []),
    ]
    try:
        summary = await grantee_summary(ctx)
    except Exception:  # the home tab still shows the answers if the summary cannot be made
        log.exception("summary for check-in %s failed", ctx.checkin.id)
        return blocks
    renderer = SummaryRenderer()
    summary_part = summary_blocks(summary, renderer.summary_text(summary))
    return blocks + [b for b in summary_part if b.get("type") != "header"]


async def response_rate_blocks(user_id: str) -> list[Block]:
    """For programme contacts: how many grantees have completed the open round."""
    blocks: list[Block] = []
    for rate in await response_rates_for_contact(user_id):
        name = escape(rate.programme.name)
        if rate.period is None:
            blocks.append(section(f"*{name}*: no round is open."))
            continue
        share = f" ({round(100 * rate.completed / rate.invited)}%)" if rate.invited else ""
        blocks.append(
            section(
                f"*{name}*, {escape(rate.period)}: {rate.completed} of {rate.invited} "
                f"grantees have completed{share}; {rate.in_progress} in progress."
            )
        )
    if blocks:
        blocks.insert(0, section("*Response rates for your programmes*"))
    return blocks


async def build_home(user_id: str, view_for: ViewFor, *, now: datetime) -> dict[str, Any]:
    """The whole Home tab for one Slack user, from what is stored now."""
    blocks: list[Block] = []
    standing = await standing_of_slack_user(user_id)
    contexts, grantees = standing.open, standing.grantees
    if contexts:
        blocks += open_blocks(contexts, view_for)
        due = [c for c in contexts if c.round.due_at and c.checkin.status != "completed"]
        if due:
            first = min(due, key=lambda c: c.round.due_at or now)
            day = _local_day(first.round.due_at, first.grantee.timezone)
            blocks.append(context(f"Next due: *{day}*"))
    elif grantees:
        blocks.append(section("*Your check-ins*\nYou have no open check-in right now."))
    latest = standing.latest_completed
    if latest:
        blocks += [{"type": "divider"}, *await latest_blocks(latest[0], view_for(latest[0]))]
    if grantees and not any(c.checkin.status != "completed" for c in contexts):
        opens = await next_openings(user_id, now.date())
        if opens:
            blocks.append(context(f"Next check-in opens: {escape(opens)}"))
    rates = await response_rate_blocks(user_id)
    if rates:
        blocks += [{"type": "divider"}, *rates]
    if not blocks:
        blocks.append(
            section(
                "I collect check-ins from grantees of the programmes I serve. I couldn't find "
                "you among them; if you should be, ask your programme officer to add you."
            )
        )
    return {"type": "home", "blocks": blocks[:100]}
