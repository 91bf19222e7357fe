"""A programme's framework text: read with a check-in's context once, then only when it changes."""

from __future__ import annotations

import importlib
from types import SimpleNamespace

import storage
from storage import models as m
from storage.framework_texts import sha256_of
from storage.records import OpenedRound, Programme
from tests.storage.factories import programme_spec


async def a_checkin(opened: OpenedRound) -> int:
    row = await m.CheckIn.filter(round_id=opened.round.id).order_by("id").first()
    assert row is not None
    return int(row.id)


async def test_a_context_read_again_takes_the_text_it_already_holds(
    programme: Programme, opened: OpenedRound
) -> None:
    checkin_id = await a_checkin(opened)
    first = await storage.load_checkin_context(checkin_id)
    again = await storage.load_checkin_context(checkin_id)
    assert first.programme.framework_toml == programme_spec().framework_toml
    assert again.programme.framework_toml is first.programme.framework_toml  # not read again


async def test_a_programme_loaded_again_is_read_with_its_new_text(
    programme: Programme, opened: OpenedRound
) -> None:
    checkin_id = await a_checkin(opened)
    before = await storage.load_checkin_context(checkin_id)
    edited = programme_spec().framework_toml + "# the wording of a question changed\n"
    await storage.upsert_programme(programme_spec(framework_toml=edited))
    after = await storage.load_checkin_context(checkin_id)
    assert before.programme.framework_toml != edited
    assert after.programme.framework_toml == edited
    (row,) = await m.Programme.filter(id=programme.id).values("framework_sha256")
    assert row["framework_sha256"] == sha256_of(edited)


async def test_upgrading_gives_programmes_loaded_before_the_hash_of_their_text(
    programme: Programme, opened: OpenedRound
) -> None:
    await m.Programme.filter(id=programme.id).update(framework_sha256="")  # as 0006 left it
    migration = importlib.import_module("storage.migrations.0008_framework_sha256")
    await migration.hash_framework_texts(None, SimpleNamespace(client=m.Programme._meta.db))
    (row,) = await m.Programme.filter(id=programme.id).values("framework_sha256")
    assert row["framework_sha256"] == sha256_of(programme_spec().framework_toml)
    context = await storage.load_checkin_context(await a_checkin(opened))
    assert context.programme.framework_toml == programme_spec().framework_toml
