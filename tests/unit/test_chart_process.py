"""Summaries drawn in the chart process: the same payload as drawn here, and a worker that dies
or is closed never loses a summary."""

from __future__ import annotations

import asyncio
import base64
import multiprocessing
import os
import signal

from bot.chart_process import ChartProcess
from bot.summary_render import SummaryRenderer, drawn_for_channel
from tests.unit.test_slack_chart import indicator, summary

SUMMARY = summary(
    indicator(1, value=72.0, peers=True, national=True), indicator(2, value=40.0, peers=True)
)


def pngs(payload: dict[str, object]) -> list[bytes]:
    images = payload["images"]
    assert isinstance(images, dict) and images
    return [base64.b64decode(data) for data in images.values()]


async def worker_pid(charts: ChartProcess) -> int:
    assert charts._pool is not None
    return await asyncio.get_running_loop().run_in_executor(charts._pool, os.getpid)


async def test_a_summary_is_drawn_in_another_process_as_it_would_be_here() -> None:
    charts = ChartProcess()
    try:
        payload, chart = await charts.draw(SUMMARY, "email")
        here, no_chart = drawn_for_channel(SUMMARY, SummaryRenderer(), "email")
        assert await worker_pid(charts) != os.getpid()
    finally:
        await charts.close()
    assert chart is None and no_chart is None
    assert payload["text"] == here["text"] and "Indicator 1" in str(payload["text"])
    assert pngs(payload) == pngs(here)
    slack, upload = await charts.draw(SUMMARY, "slack")  # closed by now: drawn here
    assert upload is not None and upload["upload"]["png"]
    assert "images" not in slack


async def test_a_killed_worker_loses_no_summary_and_the_next_gets_a_new_one() -> None:
    charts = ChartProcess()
    try:
        await charts.draw(SUMMARY, "email")
        first = await worker_pid(charts)
        os.kill(first, signal.SIGKILL)
        payload, _ = await charts.draw(SUMMARY, "email")  # the pool finds its worker gone
        assert "Indicator 1" in str(payload["text"]) and pngs(payload)
        await charts.draw(SUMMARY, "email")
        assert await worker_pid(charts) not in (first, os.getpid())
    finally:
        await charts.close()


async def test_closing_ends_the_worker_and_later_summaries_are_drawn_here() -> None:
    charts = ChartProcess()
    await charts.draw(SUMMARY, "email")
    worker = await worker_pid(charts)
    await charts.close()
    assert worker not in [child.pid for child in multiprocessing.active_children()]
    payload, _ = await charts.draw(SUMMARY, "email")
    assert pngs(payload) and charts._pool is None
