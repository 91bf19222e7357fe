"""Online forms in storage: a token kept once made, a status and when it last changed."""

from __future__ import annotations

from datetime import timedelta

import pytest

from storage import participant_forms as pf
from storage.records import Grantee
from tests.storage.factories import NOW


async def test_a_form_keeps_its_first_token(grantees: list[Grantee]) -> None:
    alder = grantees[0]
    first = await pf.register_form(alder.id, "2026-03", "follow_up", "aaaaaaaaaaaaaaaa", now=NOW)
    assert (first.token, first.status, first.status_changed_at) == ("aaaaaaaaaaaaaaaa", "open", NOW)
    # made again with another secret (say): the address already printed stays the form's
    again = await pf.register_form(alder.id, "2026-03", "follow_up", "bbbbbbbbbbbbbbbb", now=NOW)
    assert again == first
    other = await pf.register_form(alder.id, "2026-03", "baseline", "cccccccccccccccc", now=NOW)
    assert other.token == "cccccccccccccccc"
    assert await pf.find_form("bbbbbbbbbbbbbbbb") is None
    found = await pf.find_form("aaaaaaaaaaaaaaaa")
    assert found is not None and found.form == first
    assert found.grantee.id == alder.id and found.programme.id == alder.programme_id
    assert found.programme.framework_toml  # what the form's questions come from


async def test_status_changes_are_recorded_with_their_time(grantees: list[Grantee]) -> None:
    alder, birch, _ = grantees
    await pf.register_form(alder.id, "2026-03", "follow_up", "aaaaaaaaaaaaaaaa", now=NOW)
    later = NOW + timedelta(hours=2)
    paused = await pf.set_status(alder.id, "2026-03", "follow_up", "paused", now=later)
    assert (paused.status, paused.status_changed_at, paused.token) == (
        "paused",
        later,
        "aaaaaaaaaaaaaaaa",
    )
    # the same status again is no change: its time stays
    same = await pf.set_status(alder.id, "2026-03", "follow_up", "paused", now=later + timedelta(1))
    assert same.status_changed_at == later
    closed = await pf.set_status(
        alder.id, "2026-03", "follow_up", "closed", now=later + timedelta(1)
    )
    assert closed.status == "closed" and closed.status_changed_at == later + timedelta(1)
    assert (await pf.get_form(birch.id, "2026-03", "follow_up")) is None  # others untouched
    with pytest.raises(ValueError, match="unknown form status"):
        await pf.set_status(alder.id, "2026-03", "follow_up", "shut", now=later)


async def test_a_form_paused_before_its_poster_keeps_its_status(grantees: list[Grantee]) -> None:
    alder = grantees[0]
    paused = await pf.set_status(alder.id, "2026-06", "baseline", "paused", now=NOW)
    assert paused.token is None
    made = await pf.register_form(
        alder.id, "2026-06", "baseline", "dddddddddddddddd", now=NOW + timedelta(days=1)
    )
    assert (made.token, made.status, made.status_changed_at) == ("dddddddddddddddd", "paused", NOW)
    assert [f.period for f in await pf.forms_of(alder.id)] == ["2026-06"]
