"""Storage fixtures: a connected database with a programme, three grantees and an open round."""

from __future__ import annotations

import pytest_asyncio

import storage
from storage.records import Grantee, OpenedRound, Programme
from tests.storage.factories import INITIAL_STATE, NOW, grantee_spec, programme_spec


@pytest_asyncio.fixture
async def programme(db: str) -> Programme:
    return await storage.upsert_programme(programme_spec())


@pytest_asyncio.fixture
async def grantees(programme: Programme) -> list[Grantee]:
    """Three active grantees; the organisations sort as Alder, Birch, Cedar."""
    await storage.upsert_grantees(
        programme.id,
        [
            grantee_spec("cara@cedar.org", "Cedar Youth", slack_user_id="UCARA"),
            grantee_spec("amir@alder.org", "Alder Arts", slack_user_id="UAMIR"),
            grantee_spec("bea@birch.org", "Birch Sports"),
        ],
    )
    return await storage.list_grantees(programme.id)


@pytest_asyncio.fixture
async def opened(programme: Programme, grantees: list[Grantee]) -> OpenedRound:
    return await storage.open_round(programme.id, "2026-03", now=NOW, initial_state=INITIAL_STATE)
