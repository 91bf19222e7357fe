"""SQLite plans on the event loop: another writer's lock is waited out without blocking the loop."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator

import pytest
from tortoise.context import get_current_context
from tortoise.exceptions import OperationalError

from storage import plans
from storage.plans import Plan, Statement
from storage.records import Grantee


@pytest.fixture
def db_engine() -> str:
    return "sqlite"  # how SQLite's single writer is shared; PostgreSQL has row locks


@pytest.fixture
def other_writer(db: str) -> Iterator[sqlite3.Connection]:
    """A second connection to the same file, as another process or tortoise's would be."""
    path = db.removeprefix("sqlite://")
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    yield other
    if other.in_transaction:
        other.execute("ROLLBACK")
    other.close()


def rename(grantee_id: int, name: str) -> Plan[int]:
    """An atomic two-statement plan: the rename, then the row read back."""
    yield Statement("UPDATE grantee SET name = ? WHERE id = ?", [name, grantee_id])
    rows = yield Statement("SELECT name FROM grantee WHERE id = ?", [grantee_id])
    assert rows[0]["name"] == name
    return grantee_id


async def name_of(grantee_id: int) -> str:
    (row,) = await plans.query("SELECT name FROM grantee WHERE id = ?", [grantee_id])
    return str(row["name"])


async def ticking_while(work: asyncio.Future[object] | asyncio.Task[object]) -> int:
    """How often a 10 ms timer fired on the loop while `work` ran."""
    ticks = 0
    while not work.done():
        await asyncio.sleep(0.01)
        ticks += 1
    return ticks


async def test_a_plan_waits_for_another_writer_and_the_loop_runs_meanwhile(
    grantees: list[Grantee], other_writer: sqlite3.Connection
) -> None:
    grantee = grantees[0]
    other_writer.execute("BEGIN IMMEDIATE")
    other_writer.execute("UPDATE grantee SET organisation = 'Held' WHERE id = ?", [grantee.id])
    asyncio.get_running_loop().call_later(0.2, other_writer.execute, "COMMIT")
    atomic = asyncio.ensure_future(plans.run(rename(grantee.id, "Amina Y."), atomic=True))
    single = asyncio.ensure_future(
        plans.query("UPDATE grantee SET timezone = ? WHERE id = ?", ["Europe/Cardiff", grantee.id])
    )
    ticks = await ticking_while(asyncio.gather(atomic, single))
    assert ticks >= 10  # 200 ms of waiting, and the loop kept going all along
    assert atomic.result() == grantee.id
    # both writes are in, and so is the other writer's
    rows = await plans.query(
        "SELECT name, organisation, timezone FROM grantee WHERE id = ?", [grantee.id]
    )
    assert rows == [{"name": "Amina Y.", "organisation": "Held", "timezone": "Europe/Cardiff"}]


async def test_a_lock_held_past_the_wait_fails_the_plan_and_changes_nothing(
    grantees: list[Grantee], other_writer: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(plans, "_LOCK_WAIT_SECONDS", 0.05)
    grantee = grantees[0]
    before = await name_of(grantee.id)
    other_writer.execute("BEGIN IMMEDIATE")
    with pytest.raises(OperationalError, match="locked"):
        await plans.run(rename(grantee.id, "Not stored"), atomic=True)
    with pytest.raises(OperationalError, match="locked"):
        await plans.query("UPDATE grantee SET name = ? WHERE id = ?", ["Nor this", grantee.id])
    other_writer.execute("ROLLBACK")
    assert await name_of(grantee.id) == before
    # and the connection is usable at once afterwards
    assert await plans.run(rename(grantee.id, "Stored now"), atomic=True) == grantee.id
    assert await name_of(grantee.id) == "Stored now"


async def test_a_failing_plan_rolls_back_and_leaves_no_transaction_open(
    grantees: list[Grantee],
) -> None:
    grantee = grantees[0]
    before = await name_of(grantee.id)

    def half_then_fail() -> Plan[None]:
        yield Statement("UPDATE grantee SET name = 'Half' WHERE id = ?", [grantee.id])
        raise ValueError("the plan found something wrong")

    with pytest.raises(ValueError, match="something wrong"):
        await plans.run(half_then_fail(), atomic=True)
    assert await name_of(grantee.id) == before
    assert await plans.run(rename(grantee.id, "After"), atomic=True) == grantee.id


async def test_checkpoints_run_in_a_thread_every_so_many_commits(
    grantees: list[Grantee], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(plans, "_COMMITS_PER_CHECKPOINT", 5)
    ran: list[str] = []
    checkpoint = plans._checkpoint

    def counted(path: str) -> None:
        ran.append(path)
        checkpoint(path)

    monkeypatch.setattr(plans, "_checkpoint", counted)
    context = get_current_context()
    assert context is not None
    worker = plans._workers[context]
    for n in range(12):
        await plans.run(rename(grantees[0].id, f"Name {n}"), atomic=True)
        if worker._checkpoint is not None:
            await worker._checkpoint
    assert ran == [worker.path, worker.path]  # after the 5th and the 10th commit
    assert await name_of(grantees[0].id) == "Name 11"


async def test_the_hot_path_connection_has_the_larger_page_cache(grantees: list[Grantee]) -> None:
    (row,) = await plans.query("PRAGMA cache_size")
    assert row["cache_size"] == -32768  # KiB, as storage.db sets it; SQLite's own is -2000
