"""What the scheduler runs: open due rounds, send first messages and reminders, tell, close."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import storage
from bot.admin.operations import AdminError
from bot.conversation.dispatcher import Dispatcher
from bot.conversation.frameworks import framework_for
from bot.scheduling.reminders import Reminders
from bot.scheduling.sends_due import BATCH, SendsDue, TickReport
from bot.summaries.delivery import send_digest
from conversations import engine
from conversations.schedule import (
    EARLIEST_ZONE,
    RoundSlot,
    Schedule,
    latest_round,
    round_created_at,
    schedule_problems,
    send_plan,
)
from conversations.schedule import deadline as end_of_day
from storage.records import CheckInContext, OpenedRound, Programme, Round

log = logging.getLogger(__name__)
# a round is created about a day before its first local send; it may still open this late
OPENING_SLACK = timedelta(days=1)


class ScheduleError(AdminError):
    """A programme's [schedule] cannot be used; the message says which key and what to write."""


def read_schedule(programme: Programme) -> Schedule | None:
    """The programme's schedule, or None when it has none (rounds are then opened by hand)."""
    if not programme.schedule:
        return None
    problems = schedule_problems(programme.schedule)
    if problems:
        raise ScheduleError(
            f"programme {programme.slug}: {'; '.join(problems)}. "
            "Fix the programme file and load it again"
        )
    return Schedule.model_validate(dict(programme.schedule))


class Jobs(SendsDue):
    """The schedule's use cases; each is safe to run twice, and from two instances at once."""

    def __init__(
        self,
        dispatcher: Dispatcher,
        *,
        timezone: str = "Europe/London",
        catch_up: timedelta = timedelta(hours=24),
        batch: int = BATCH,
        lease: timedelta = timedelta(minutes=5),
    ) -> None:
        self.dispatcher = dispatcher
        self.zone = ZoneInfo(timezone)
        self.catch_up = catch_up
        self.batch = batch
        self.lease = lease
        self.reminders = Reminders(dispatcher)
        self._reported: set[str] = set()  # missed rounds already logged by this process

    @property
    def clock(self) -> datetime:
        return self.dispatcher.clock()

    async def tick(self, now: datetime | None = None) -> TickReport:
        now = now or self.clock
        report = TickReport()
        await self.open_due_rounds(now, report)
        await self.send_due(now, report)
        await self.notify_contacts(now, report)
        await self.send_digests(now, report)
        await self.close_rounds(now, report)
        return report

    async def checkin_completed(self, context: CheckInContext, channel: str) -> None:
        """A Dispatcher completion hook: a completed check-in gets no more reminders."""
        await storage.stop_checkin_schedule(context.checkin.id, outcome="completed")

    # ---- rounds ---------------------------------------------------------------------------

    async def open_due_rounds(self, now: datetime, report: TickReport | None = None) -> None:
        """Open each programme's latest scheduled round if it is not there yet."""
        report = report or TickReport()
        for programme in await storage.list_programmes():
            try:
                schedule = read_schedule(programme)
            except ScheduleError as exc:
                log.error("%s", exc)
                continue
            if schedule is None:
                continue
            today_somewhere = now.astimezone(EARLIEST_ZONE).date()
            slot = latest_round(schedule, today_somewhere)
            if slot is None or await storage.get_round(programme.id, slot.period) is not None:
                continue
            label = f"{programme.slug} {slot.period}"
            if now > end_of_day(slot.closes_on, self.zone):
                continue  # long over (a programme loaded mid-year): nothing to catch up on
            if now - round_created_at(slot) > self.catch_up + OPENING_SLACK:
                # reported, not opened: its sends would all be older than the catch-up window
                if label not in self._reported:
                    self._reported.add(label)
                    log.warning(
                        "round %s was due to open on %s and was missed; open it with "
                        "`checkins round open --programme %s --period '%s'`",
                        label,
                        slot.opens_on,
                        programme.slug,
                        slot.period,
                    )
                report.missed_rounds.append(label)
                continue
            opened = await self.open_round(programme, schedule, slot, now=now)
            log.info("opened %s: %s check-in(s)", label, opened.created)
            report.opened.append(label)

    async def open_round(
        self, programme: Programme, schedule: Schedule, slot: RoundSlot, *, now: datetime
    ) -> OpenedRound:
        opened = await storage.open_round(
            programme.id,
            slot.period,
            now=now,
            initial_state=engine.new_state(framework_for(programme)).to_json(),
            due_at=end_of_day(slot.due_on, self.zone),
            closes_at=end_of_day(slot.closes_on, self.zone),
        )
        await self.schedule_round(programme, opened.round, schedule=schedule, slot=slot)
        return opened

    async def schedule_round(
        self,
        programme: Programme,
        rnd: Round,
        *,
        schedule: Schedule | None = None,
        slot: RoundSlot | None = None,
        first_at: datetime | None = None,
    ) -> int:
        """Plan each check-in's sends; `first_at` sends the first messages then, not locally."""
        schedule = schedule or read_schedule(programme) or Schedule()
        slot = slot or self._slot_of(rnd)
        plans: dict[str, list[datetime]] = {}
        for zone in await storage.grantee_timezones(programme.id):
            times = [send.at for send in send_plan(schedule, slot, ZoneInfo(zone))]
            if first_at is not None:
                times = [first_at, *(t for t in times[1:] if t > first_at)]
            plans[zone] = times
        return await storage.add_schedules(rnd.id, plans)

    def _slot_of(self, rnd: Round) -> RoundSlot:
        def day(moment: datetime | None) -> datetime:
            return (moment or rnd.opened_at).astimezone(self.zone)

        return RoundSlot(
            rnd.period, day(rnd.opened_at).date(), day(rnd.due_at).date(), day(rnd.closes_at).date()
        )

    async def close_rounds(self, now: datetime, report: TickReport | None = None) -> None:
        """Close rounds past their grace period; answers given stay as partial check-ins."""
        report = report or TickReport()
        for rnd in await storage.rounds_past("closes_at", now):
            await self.close(rnd, now=now)
            report.closed.append(rnd.period)

    async def close(self, rnd: Round, *, now: datetime) -> Round:
        closed = await storage.close_round(rnd.id, now=now)
        stopped = await storage.stop_round_schedules(rnd.id, outcome="round closed")
        await storage.claim_round_event(rnd.id, "closed", now=now, detail=f"{stopped} stopped")
        log.info("closed round %s (%s scheduled sends stopped)", rnd.period, stopped)
        await self._digest_at_close(closed, now=now)
        return closed

    async def send_digests(self, now: datetime, report: TickReport | None = None) -> None:
        """Weekly or monthly funder digests of the open round, where a programme asks for them."""
        report = report or TickReport()
        today = now.astimezone(self.zone).date()
        for programme in await storage.list_programmes():
            try:
                schedule = read_schedule(programme)
            except ScheduleError:
                continue  # already reported by open_due_rounds
            day = schedule.last_digest_day(today) if schedule else None
            if schedule is None or day is None:
                continue
            due = datetime.combine(day, schedule.send_time, tzinfo=self.zone)
            rnd = await storage.current_round(programme.id)
            if rnd is None or now < due or now - due > self.catch_up:
                continue
            kind = f"digest-{day.isoformat()}"
            if kind in await storage.round_events(rnd.id):
                continue
            # queued first (idempotently, by key), then recorded: a crash in between resends none
            if await self._queue_digest(programme.slug, rnd.period, kind, now):
                await storage.claim_round_event(rnd.id, kind, now=now)
                report.digests.append(f"{programme.slug} {rnd.period}")

    async def _digest_at_close(self, rnd: Round, *, now: datetime) -> None:
        """The funder digest goes to the programme's contacts (and Slack channel) at close."""
        programme = await storage.get_programme_by_id(rnd.programme_id)
        if programme is not None:
            # the occasion makes a second close (or a second instance) queue nothing new
            await self._queue_digest(programme.slug, rnd.period, "round-close", now)

    async def _queue_digest(self, slug: str, period: str, occasion: str, now: datetime) -> bool:
        try:
            await send_digest(slug, period, occasion=occasion, clock=lambda: now)
        except Exception:  # rounds and reminders go on; a digest fault is logged, not fatal
            log.exception("the %s digest for %s %s could not be queued", occasion, slug, period)
            return False
        self.dispatcher.outbox.wake()
        return True

    async def notify_contacts(self, now: datetime, report: TickReport | None = None) -> None:
        """Once per round, after its due date: tell the contacts who has not answered."""
        report = report or TickReport()
        for rnd in await storage.rounds_past("due_at", now):
            if "due_notice" in await storage.round_events(rnd.id):
                continue
            # queued first (idempotently, by key), then recorded: a crash in between resends none
            await self.reminders.tell_contacts(rnd, now=now, zone=self.zone)
            if await storage.claim_round_event(rnd.id, "due_notice", now=now):
                report.notified.append(rnd.period)
