"""APScheduler wiring only: one job that ticks the schedule; the database holds what is due."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.scheduling.jobs import Jobs

log = logging.getLogger(__name__)


class Scheduler:
    """A service component: ticks `jobs` every `tick_seconds`, the first time straight away.

    Start it after the database (Service.start does): jobs run as tasks that copy the
    context they are created in, and tortoise keeps its connections in a ContextVar.
    """

    name = "scheduler"

    def __init__(self, jobs: Jobs, *, tick_seconds: float) -> None:
        self.jobs = jobs
        self.tick_seconds = tick_seconds
        self.ticks = 0
        self._scheduler: AsyncIOScheduler | None = None
        self._running: asyncio.Task[object] | None = None

    async def start(self) -> None:
        scheduler = AsyncIOScheduler(
            timezone=UTC,
            # APScheduler's default misfire grace is 1 s: a tick delayed by a busy loop would be
            # dropped. Ticks are idempotent, so a late one always runs, and a backlog runs once.
            job_defaults={"misfire_grace_time": None, "coalesce": True, "max_instances": 1},
        )
        scheduler.add_job(
            self.tick,
            IntervalTrigger(seconds=self.tick_seconds, timezone=UTC),
            id="checkins-tick",
            replace_existing=True,
            next_run_time=datetime.now(UTC),  # catch up on anything missed while down
        )
        scheduler.start()
        self._scheduler = scheduler

    async def tick(self) -> None:
        self._running = asyncio.current_task()
        try:
            report = await self.jobs.tick()
        except Exception:  # the next tick tries again: every job is idempotent
            log.exception("scheduler tick failed")
            return
        finally:
            self.ticks += 1
            self._running = None
        if report.opened or report.sent or report.closed or report.notified:
            log.info(
                "tick: opened %s, sent %s, told contacts of %s, closed %s, skipped %s",
                report.opened,
                report.sent,
                report.notified,
                report.closed,
                report.skipped,
            )

    async def stop(self) -> None:
        if self._scheduler is None:
            return
        self._scheduler.pause()  # no new tick from here on
        running = self._running
        if running is not None and not running.done():
            # let the tick in flight finish its current sends, so claims are released cleanly;
            # before shutdown, which cancels the job's task
            await asyncio.wait({running}, timeout=30)
        self._scheduler.shutdown(wait=False)
        self._scheduler = None
