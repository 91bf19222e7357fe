"""Summaries drawn in a process of their own, so that drawing charts never holds up replies."""

from __future__ import annotations

import asyncio
import functools
import logging
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from bot.summary_render import SummaryRenderer, drawn_for_channel
from conversations.summaries import GranteeSummary

log = logging.getLogger(__name__)

Drawn = tuple[dict[str, Any], dict[str, Any] | None]


class ChartProcess:
    """One worker process that draws summaries; started on first use, stopped by `close`.

    Drawn in a thread, a summary's charts (about 10 ms of CPU each) held the interpreter's
    lock against the event loop in 5 ms turns, which was most of the slowest replies' wait;
    in a process of their own they use the machine's other core instead. If the worker dies
    (killed, out of memory), that summary is drawn in a thread and the next one starts a new
    worker. After `close`, summaries are drawn in a thread.
    """

    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = None
        self._closed = False

    async def draw(self, summary: GranteeSummary, channel_name: str) -> Drawn:
        loop = asyncio.get_running_loop()
        if self._closed:
            return await asyncio.to_thread(_drawn, summary, channel_name)
        if self._pool is None:
            # spawned, not forked: the service has threads, which a fork would copy mid-step
            self._pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
        try:
            return await loop.run_in_executor(self._pool, _drawn, summary, channel_name)
        except BrokenProcessPool:
            log.warning("the chart process stopped; drawing this summary here, and starting anew")
            self._pool.shutdown(wait=False)
            self._pool = None
            return await asyncio.to_thread(_drawn, summary, channel_name)

    async def close(self) -> None:
        """Stop the worker once what it was given is drawn."""
        self._closed = True
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await asyncio.to_thread(pool.shutdown, wait=True)


@functools.cache
def _renderer() -> SummaryRenderer:
    return SummaryRenderer()  # one per process: its templates are read once


def _drawn(summary: GranteeSummary, channel_name: str) -> Drawn:
    return drawn_for_channel(summary, _renderer(), channel_name)
