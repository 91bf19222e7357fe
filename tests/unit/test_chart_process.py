"""Summaries drawn in the chart process: the same payload as drawn here, and a worker that dies,
is closed or outlives the service never loses a summary or lingers."""

from __future__ import annotations

import asyncio
import base64
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from bot.summaries.chart_process import ChartProcess
from bot.summaries.render import SummaryRenderer, drawn_for_channel
from tests.unit.test_slack_chart import indicator, summary

SUMMARY = summary(
    indicator(1, value=72.0, peers=True, national=True), indicator(2, value=40.0, peers=True)
)
ROOT = Path(__file__).resolve().parents[2]


def pngs(payload: dict[str, object]) -> list[bytes]:
    images = payload["images"]
    assert isinstance(images, dict) and images
    return [base64.b64decode(data) for data in images.values()]


def worker_pid(charts: ChartProcess) -> int:
    assert charts._worker is not None
    return charts._worker.process.pid


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a child that has ended but is not yet reaped counts as gone
    state = Path(f"/proc/{pid}/stat")
    return not state.exists() or state.read_text().split(")")[-1].split()[0] != "Z"


async def test_a_summary_is_drawn_in_another_process_as_it_would_be_here() -> None:
    charts = ChartProcess()
    try:
        drawn = await asyncio.gather(*(charts.draw(SUMMARY, "email") for _ in range(3)))
        here, no_chart = drawn_for_channel(SUMMARY, SummaryRenderer(), "email")
        assert worker_pid(charts) != os.getpid()
    finally:
        await charts.close()
    for payload, chart in drawn:  # three at once, each answered with its own
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
        first = worker_pid(charts)
        os.kill(first, signal.SIGKILL)
        payload, _ = await charts.draw(SUMMARY, "email")
        assert "Indicator 1" in str(payload["text"]) and pngs(payload)
        await charts.draw(SUMMARY, "email")
        assert worker_pid(charts) not in (first, os.getpid())
    finally:
        await charts.close()


async def test_closing_ends_the_worker_and_later_summaries_are_drawn_here() -> None:
    charts = ChartProcess()
    await charts.draw(SUMMARY, "email")
    worker = worker_pid(charts)
    await charts.close()
    assert not alive(worker)
    payload, _ = await charts.draw(SUMMARY, "email")
    assert pngs(payload)
    assert worker_pid(charts) == worker  # no new worker was started


SERVICE_KILLED = """
import asyncio, os, signal, sys
from bot.summaries.chart_process import ChartProcess
from tests.unit.test_chart_process import SUMMARY

async def main() -> None:
    charts = ChartProcess()
    await charts.draw(SUMMARY, "email")
    print(charts._worker.process.pid, flush=True)
    os.kill(os.getpid(), signal.SIGKILL)

asyncio.run(main())
"""


def test_the_worker_ends_when_the_service_is_killed() -> None:
    run = subprocess.run(
        [sys.executable, "-c", SERVICE_KILLED],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == -signal.SIGKILL, run.stderr
    worker = int(run.stdout.split()[0])
    deadline = time.monotonic() + 10
    while alive(worker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(worker)
