"""Participants' forms sent over HTTP to the real service's web app (used by bench_participants).

The service runs in a child process of its own, as deployed: `python bench/bench_web.py serve
DB_URL`, which is `build_service` with the shipped defaults (scheduler and access log included,
the participants' secret made on first use). Each simulated participant opens the form (GET
/p/<token>), then sends it (POST, and the thank-you page it is sent on to). Participants come
through a proxy on this machine, which the shipped `web.trusted_proxies` believes: each has an
address of its own in X-Forwarded-For, as people on their own phones do. Forms that the burst
rules hold are counted and reported, never hidden.
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import aiohttp

from bot.participants.online import register_form
from bot.participants.secret import participant_secret
from bot.settings import Settings
from storage import models as m
from storage.db import database

ROOT = Path(__file__).resolve().parent.parent
FORM_KEY = re.compile(r'<input type="hidden" name="form_key" value="([^"]+)">')
# the child runs from ROOT with settings that name no file: its secret is made here
SECRET_FILE = ROOT / "var" / "participant_link_secret"


@dataclass
class HttpRun:
    name: str
    forms: int
    seconds: float
    opens: list[float]  # GET of the form
    sends: list[float]  # POST, and the thank-you page it leads to
    stored: int
    held: int
    cpu: float  # seconds of CPU the service used serving them (its start-up left out)

    @property
    def cpu_per_form(self) -> float:
        return self.cpu / self.forms * 1000

    def p(self, times: list[float], q: int) -> float:
        return statistics.quantiles(times, n=100)[q - 1] * 1000

    @property
    def pages(self) -> list[float]:
        return self.opens + self.sends


async def register(url: str, grantee_ids: list[int], period: str) -> list[str]:
    """Each grantee's follow-up form, made as a poster makes it; its path."""
    settings = Settings.model_validate({"participants": {"link_secret_file": str(SECRET_FILE)}})
    secret = participant_secret(settings)
    now = datetime.now(UTC)
    async with database(url):
        return [
            f"/p/{await register_form(g, period, 'follow_up', secret=secret, now=now)}"
            for g in grantee_ids
        ]


async def _participant(
    session: aiohttp.ClientSession, base: str, path: str, address: str, fields: dict[str, str]
) -> tuple[float, float]:
    headers = {"X-Forwarded-For": address}
    started = time.perf_counter()
    async with session.get(base + path, headers=headers) as response:
        page = await response.text()
        assert response.status == 200, (response.status, page[:300])
    opened = time.perf_counter()
    found = FORM_KEY.search(page)
    assert found is not None
    data = {"form_key": found.group(1), **fields}
    async with session.post(base + path, data=data, headers=headers) as response:
        page = await response.text()
        assert response.status == 200 and response.url.path.endswith("/thanks"), page[:300]
    return opened - started, time.perf_counter() - opened


async def measure_http(
    name: str,
    url: str,
    period: str,
    paths: list[str],
    per_grantee: int,
    fields: Callable[[random.Random, int], dict[str, str]],
    think: float = 0.0,
) -> HttpRun:
    """One participant at a time per grantee, all grantees at once; with `think`, each waits up
    to twice that many seconds (on average `think`) before opening the next form."""
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        str(ROOT / "bench" / "bench_web.py"),
        "serve",
        url,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        cwd=ROOT,
        env=os.environ.copy(),
    )
    assert child.stdout is not None and child.stdin is not None
    ready = (await child.stdout.readline()).decode().split()  # PORT <port> CPU <start-up's>
    port, start_up = int(ready[1]), float(ready[3])
    base = f"http://127.0.0.1:{port}"
    opens: list[float] = []
    sends: list[float] = []

    async def grantee(index: int, path: str, session: aiohttp.ClientSession) -> None:
        rng = random.Random(f"{name}:{index}")
        for n in range(per_grantee):
            if think:
                await asyncio.sleep(rng.uniform(0, 2 * think))
            address = f"198.{18 + index // 250}.{index % 250}.{n + 1}"
            one, two = await _participant(session, base, path, address, fields(rng, n))
            opens.append(one)
            sends.append(two)

    connector = aiohttp.TCPConnector(limit=len(paths) * 2)
    async with aiohttp.ClientSession(connector=connector) as session:
        started = time.perf_counter()
        await asyncio.gather(*(grantee(i, p, session) for i, p in enumerate(paths)))
        seconds = time.perf_counter() - started
    child.stdin.close()
    cpu = float((await child.stdout.readline()).decode().split()[1]) - start_up
    await child.wait()
    async with database(url):
        forms = m.ParticipantResponse.filter(period=period, channel="online")
        stored = await forms.count()
        held = await forms.filter(held=True).count()
    return HttpRun(name, len(sends), seconds, opens, sends, stored, held, cpu)
