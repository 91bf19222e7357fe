"""Headless Debian Chromium through chromedriver, and the service running beside it in a thread."""

from __future__ import annotations

import asyncio
import re
import shutil
import threading
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service as DriverService

from tests.support.web_harness import WebWorld, web_world

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ARTIFACTS = Path(__file__).resolve().parents[2] / "var" / "test-artifacts" / "browser"
T = TypeVar("T")


class RunningService:
    """The service in its own thread and event loop, so that the browser can block this one.

    Work for the database runs inside the task that connected it (tortoise's context is that
    task's), sent there through a queue.
    """

    def __init__(self, db_url: str, tmp_path: Path) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()
        self._queue: asyncio.Queue[tuple[Any, Future[Any]] | None] | None = None
        self._ready: Future[WebWorld] = Future()
        self._done = asyncio.run_coroutine_threadsafe(self._main(db_url, tmp_path), self.loop)
        self.world = self._ready.result(timeout=60)

    async def _main(self, db_url: str, tmp_path: Path) -> None:
        self._queue = asyncio.Queue()
        try:
            async with web_world(db_url, tmp_path) as world:
                self._ready.set_result(world)
                while (item := await self._queue.get()) is not None:
                    work, result = item
                    try:
                        result.set_result(await work(world))
                    except BaseException as exc:
                        result.set_exception(exc)
        except BaseException as exc:
            if not self._ready.done():
                self._ready.set_exception(exc)
            raise

    def call(self, work: Callable[[WebWorld], Awaitable[T]]) -> T:
        """Run `work(world)` in the service's task; its result."""
        result: Future[T] = Future()
        assert self._queue is not None
        self.loop.call_soon_threadsafe(self._queue.put_nowait, (work, result))
        return result.result(timeout=60)

    def close(self) -> None:
        assert self._queue is not None
        self.loop.call_soon_threadsafe(self._queue.put_nowait, None)
        self._done.result(timeout=60)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=15)
        self.loop.close()


@pytest.fixture
def service(sqlite_url: str, tmp_path: Path) -> Iterator[RunningService]:
    running = RunningService(sqlite_url, tmp_path)
    yield running
    running.close()


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[webdriver.Chrome]:
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        pytest.skip(
            "Debian's chromium and chromium-driver are not installed (.ci/run installs them)"
        )
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1024,900",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=DriverService(str(CHROMEDRIVER)))
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def artifacts(request: pytest.FixtureRequest) -> Path:
    """A folder for this test's screenshots (var/ is not committed)."""
    folder = ARTIFACTS / re.sub(r"[^A-Za-z0-9_.-]", "_", request.node.name)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder
