"""The web check-in's end-to-end tests: the service running with its web pages, and a client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from tests.support.web_client import Client
from tests.support.web_harness import WebWorld, web_world


@pytest.fixture
async def world(db_url: str, tmp_path: Path) -> AsyncIterator[WebWorld]:
    async with web_world(db_url, tmp_path) as opened:
        yield opened


@pytest.fixture
async def client(world: WebWorld) -> AsyncIterator[Client]:
    # unsafe: the service is on 127.0.0.1, whose cookies aiohttp keeps only when told to
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        yield Client(session, world.base_url)
