"""Summaries drawn in a process of their own, so that drawing charts never holds up replies."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import functools
import logging
import os
import pickle
import struct
import sys
from typing import Any

from bot.errors import BotError
from bot.summaries.render import SummaryRenderer, drawn_for_channel
from conversations.summaries import GranteeSummary

log = logging.getLogger(__name__)

Drawn = tuple[dict[str, Any], dict[str, Any] | None]
# each message between the service and the chart process: its length, then a pickle
FRAME_LENGTH = struct.Struct(">Q")
_STOP_SECONDS = 30.0  # for the summaries still being drawn when the service stops


class ChartProcessGone(BotError):
    """The chart process ended before it answered."""


class ChartProcess:
    """One worker process (`python -m bot.summaries.chart_worker`) that draws summaries,
    started on the first one; `close` lets it finish and stop.

    Drawn in a thread, a summary's charts (about 10 ms of CPU, half of it Python between Pillow
    calls) held the interpreter's lock against the event loop in 5 ms turns, which was most of
    the slowest replies' wait; in a process of their own they use the machine's other core. It
    talks over its stdin and stdout, so it ends by itself when the service does, however the
    service ends. If it dies, the summaries it had are drawn in a thread and the next summary
    starts a new one. After `close`, summaries are drawn in a thread.
    """

    def __init__(self) -> None:
        self._worker: _Worker | None = None
        self._starting = asyncio.Lock()
        self._closed = False

    async def draw(self, summary: GranteeSummary, channel_name: str) -> Drawn:
        if not self._closed:
            with contextlib.suppress(ChartProcessGone, OSError):
                return await (await self._running()).draw(summary, channel_name)
            if not self._closed:
                log.warning("the chart process ended; drawing this summary here")
        return await asyncio.to_thread(drawn_here, summary, channel_name)

    async def _running(self) -> _Worker:
        async with self._starting:
            if self._worker is None or self._worker.ended:
                self._worker = await _Worker.start()
            return self._worker

    async def close(self) -> None:
        """Let the worker draw what it was given, then end it."""
        self._closed = True
        if self._worker is not None:
            await self._worker.close()


class _Worker:
    """One run of the chart process, with the answers it still owes, in the order asked."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.waiting: collections.deque[asyncio.Future[Drawn]] = collections.deque()
        self.reading = asyncio.create_task(self._read())

    @classmethod
    async def start(cls) -> _Worker:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.summaries.chart_worker",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            # it imports what this process imports, however this one was started
            env={**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)},
        )
        return cls(process)

    @property
    def ended(self) -> bool:
        return self.reading.done()

    async def draw(self, summary: GranteeSummary, channel_name: str) -> Drawn:
        if self.ended:
            raise ChartProcessGone("the chart process has ended")
        stdin = self.process.stdin
        assert stdin is not None
        request = pickle.dumps((summary, channel_name), protocol=pickle.HIGHEST_PROTOCOL)
        answer: asyncio.Future[Drawn] = asyncio.get_running_loop().create_future()
        self.waiting.append(answer)
        stdin.write(FRAME_LENGTH.pack(len(request)) + request)
        await stdin.drain()
        return await answer

    async def _read(self) -> None:
        stdout = self.process.stdout
        assert stdout is not None
        try:
            while True:
                length = FRAME_LENGTH.unpack(await stdout.readexactly(FRAME_LENGTH.size))[0]
                ok, result = pickle.loads(await stdout.readexactly(length))
                answer = self.waiting.popleft()
                if answer.done():  # its summary was cancelled meanwhile
                    continue
                if ok:
                    answer.set_result(result)
                else:
                    answer.set_exception(RuntimeError(f"drawing the summary failed: {result}"))
        except (asyncio.IncompleteReadError, ConnectionError):
            pass  # it ended: what it had not answered is drawn in the service
        finally:
            await self.process.wait()
            while self.waiting:
                answer = self.waiting.popleft()
                if not answer.done():
                    answer.set_exception(ChartProcessGone(f"exit {self.process.returncode}"))

    async def close(self) -> None:
        stdin = self.process.stdin
        assert stdin is not None
        stdin.close()  # it ends once it has answered everything asked before this
        try:
            await asyncio.wait_for(asyncio.shield(self.reading), _STOP_SECONDS)
        except TimeoutError:
            self.process.kill()
            await self.reading


def drawn_here(summary: GranteeSummary, channel_name: str) -> Drawn:
    """The summary's payload and chart for the channel, drawn in this process."""
    return drawn_for_channel(summary, _renderer(), channel_name)


@functools.cache
def _renderer() -> SummaryRenderer:
    return SummaryRenderer()  # one per process: its templates are read once
