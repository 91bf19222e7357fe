"""The scheduler as the service runs it: APScheduler ticks the jobs, inside the database context."""

from __future__ import annotations

import asyncio
from pathlib import Path

import storage
from bot.scheduling.scheduler import Scheduler
from bot.service import build_service
from bot.settings import Settings
from storage.db import database
from tests.e2e.scheduling_helpers import make_world, utc


async def test_scheduler_ticks_at_once_and_again(sqlite_url: str, tmp_path: Path) -> None:
    async with database(sqlite_url):
        world = await make_world(tmp_path, start=utc(2026, 3, 2, 10))
        scheduler = Scheduler(world.jobs, tick_seconds=0.05)
        await scheduler.start()  # after the database: its tasks see tortoise's context
        try:
            for _ in range(200):
                if scheduler.ticks >= 3:
                    break
                await asyncio.sleep(0.02)
        finally:
            await scheduler.stop()
        assert scheduler.ticks >= 3
        rnd = await storage.get_round(world.programme.id, "2026 Q1")
        assert rnd is not None  # opened by the first tick, at start-up
        first = {s.recipient for s in world.sent if "this is your Bridges Fund check-in" in s.text}
        # due by 10:00 UTC on 2 March: London, Kolkata and Auckland; New York at 15:00
        assert first == {"U0AMINA001", "arjun@kolkata.example", "U0MERE0001"}
        assert len(world.sent) == 3  # later ticks sent nothing twice


def test_the_service_registers_the_scheduler(tmp_path: Path) -> None:
    settings = Settings.model_validate(
        {"database": {"url": f"sqlite://{tmp_path}/x.db"}, "schedule": {"tick_seconds": 7}}
    )
    service = build_service(settings)
    (scheduler,) = [c for c in service.components if isinstance(c, Scheduler)]
    assert scheduler.tick_seconds == 7
    assert service.components[-1] is scheduler  # started last, after the channels
    assert scheduler.jobs.checkin_completed in service.dispatcher.on_completed
