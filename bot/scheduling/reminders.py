"""Scheduled words that are not conversation steps: reminders to grantees, notices to contacts."""

from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

import storage
from bot.conversation.dispatcher import Dispatcher
from bot.conversation.frameworks import framework_for
from bot.conversation.rendering import ConversationView
from conversations import engine
from conversations.state import Ask, Prompt, Reminder, SessionState, Status, Unanswered
from storage.records import OutboundWrite, Round

log = logging.getLogger(__name__)


def in_words(moment: datetime | None, zone: ZoneInfo) -> str | None:
    if moment is None:
        return None
    local = moment.astimezone(zone)
    return f"{local:%A} {local.day} {local:%B %Y}"


class Reminders:
    def __init__(self, dispatcher: Dispatcher) -> None:
        self.dispatcher = dispatcher

    async def remind(
        self, checkin_id: int, channel_name: str, number: int, *, now: datetime
    ) -> int:
        """Queue and send reminder `number`, once (its key is its number); how many queued."""
        context = await storage.load_checkin_context(checkin_id)
        framework = framework_for(context.programme)
        state = (
            SessionState.from_json(context.checkin.state)
            if context.checkin.state
            else engine.new_state(framework)
        )
        where = engine.where(framework, state)
        asking = next((p for p in where if isinstance(p, Ask)), None)
        answered = asking.answered if asking else len(state.answers)
        total = asking.total if asking else len(framework.questions)
        zone = ZoneInfo(context.grantee.timezone)
        due = context.round.due_at
        prompts: list[Prompt] = [
            Reminder(
                number=number,
                status=state.status,
                answered=answered,
                total=max(total, answered),
                overdue=due is not None and now > due,
                closes=in_words(context.round.closes_at, zone),
            )
        ]
        if state.status in (Status.IN_PROGRESS, Status.REVIEWING):
            prompts.extend(where)  # the question it stopped at, or the review to submit
        channel = self.dispatcher.channels[channel_name]
        payload = channel.render(prompts, await self.dispatcher.linked_view(context, channel_name))
        key = f"{channel_name}:reminder:{checkin_id}:{number}"
        write = OutboundWrite(key, channel_name, channel.recipient(context), payload)
        ids = await storage.enqueue_outbound([write], checkin_id=checkin_id, now=now)
        await self.dispatcher.outbox.send_now(ids)
        return len(ids)

    async def tell_contacts(self, rnd: Round, *, now: datetime, zone: ZoneInfo) -> int:
        """Tell each contact (email) and the programme's Slack channel who has not answered."""
        programme = next(p for p in await storage.list_programmes() if p.id == rnd.programme_id)
        rows = [r for r in await storage.round_status(rnd.id) if r.checkin is not None]
        due_day = rnd.due_at.astimezone(zone).date() if rnd.due_at else None
        missing: list[str] = []
        away: list[str] = []
        completed = 0
        for row in rows:
            assert row.checkin is not None
            if row.checkin.status == "completed":
                completed += 1
                continue
            grantee = row.grantee
            progress = f"{row.answered} answered" if row.answered else "no answers yet"
            if row.checkin.status == "stopped":
                progress += ", stopped"
            line = f"{grantee.name}, {grantee.organisation} ({progress})"
            back = grantee.away_until
            # away over the due date: not missing (people on leave are not chased)
            is_away = back is not None and due_day is not None and back > due_day
            (away if is_away else missing).append(line)
        prompt = Unanswered(
            missing=tuple(missing),
            away=tuple(away),
            completed=completed,
            total=len(rows),
            closes=in_words(rnd.closes_at, zone),
        )
        view = ConversationView(
            framework=framework_for(programme),
            grantee_name="",
            programme_name=programme.name,
            period=rnd.period,
            due=in_words(rnd.due_at, zone),
            contact_hint=self.dispatcher.contact_hint,
        )
        writes: list[OutboundWrite] = []
        channels = self.dispatcher.channels
        if "email" in channels:
            payload = channels["email"].render([prompt], view)
            writes += [
                OutboundWrite(f"email:due-notice:{rnd.id}:{c.email}", "email", c.email, payload)
                for c in programme.contacts
                if c.email
            ]
        if "slack" in channels and programme.digest_slack_channel:
            target = programme.digest_slack_channel
            payload = channels["slack"].render([prompt], view)
            writes.append(OutboundWrite(f"slack:due-notice:{rnd.id}", "slack", target, payload))
        if not writes:
            log.warning("round %s: no contact can be reached with the channels set up", rnd.period)
            return 0
        ids = await storage.enqueue_outbound(writes, now=now)
        await self.dispatcher.outbox.send_now(ids)
        return len(ids)
