"""Participants' forms in storage: grouped counts, held forms left out, pairing, deletion."""

from __future__ import annotations

from datetime import timedelta

from storage import participants as p
from storage.participants import ResponseWrite
from storage.records import Grantee
from tests.storage.factories import NOW


def _form(grantee: Grantee, kind: str = "follow_up", **changes: object) -> ResponseWrite:
    values: dict[str, object] = {
        "grantee_id": grantee.id,
        "period": "2026-03",
        "kind": kind,
        "channel": "keyed",
        "framework": "social_cohesion_v1@1",
        "received_at": NOW,
        "answers": {"get_on_well": "tend_to_agree", "life_satisfaction": "7"},
    }
    values.update(changes)
    return ResponseWrite(**values)


async def test_counts_group_by_kind_item_and_answer(grantees: list[Grantee]) -> None:
    alder, birch, _ = grantees
    for _ in range(3):
        await p.add_response(_form(alder))
    await p.add_response(_form(alder, answers={"get_on_well": "definitely_disagree"}))
    await p.add_response(_form(alder, "baseline", answers={"life_satisfaction": "4"}))
    await p.add_response(_form(alder, held=True))
    await p.add_response(_form(alder, period="2026-06"))
    await p.add_response(_form(birch))
    counts = await p.form_counts(alder.id, "2026-03")
    assert counts.forms == {"follow_up": 4, "baseline": 1}
    assert counts.held == 1
    rows = {(a.kind, a.item_id, a.value): a.forms for a in counts.answers}
    assert rows == {
        ("follow_up", "get_on_well", "tend_to_agree"): 3,
        ("follow_up", "get_on_well", "definitely_disagree"): 1,
        ("follow_up", "life_satisfaction", "7"): 3,
        ("baseline", "life_satisfaction", "4"): 1,
    }


async def test_a_grantee_without_forms_gets_empty_counts(grantees: list[Grantee]) -> None:
    counts = await p.form_counts(grantees[0].id, "2026-03")
    assert counts.answers == () and counts.forms == {"baseline": 0, "follow_up": 0}


async def test_held_forms_count_once_accepted_and_vanish_once_discarded(
    grantees: list[Grantee],
) -> None:
    alder, birch, _ = grantees
    ids = [await p.add_response(_form(alder, held=True)) for _ in range(3)]
    assert await p.accept_held(birch.id, ids) == 0  # not theirs
    assert await p.accept_held(alder.id, ids[:1]) == 1
    assert await p.discard_held(alder.id, ids) == 2  # the accepted one is never discarded
    stored = await p.responses(alder.id, "2026-03")
    assert [(r.id, r.held) for r in stored] == [(ids[0], False)]
    assert stored[0].answers == {"get_on_well": "tend_to_agree", "life_satisfaction": "7"}
    assert (await p.form_counts(alder.id, "2026-03")).forms["follow_up"] == 1


async def test_coded_answers_come_oldest_first_across_periods(grantees: list[Grantee]) -> None:
    alder = grantees[0]
    later = NOW + timedelta(days=90)
    await p.add_response(_form(alder, received_at=later, period="2026-06", pair_key="k1"))
    await p.add_response(
        _form(alder, "baseline", pair_key="k1", answers={"belong": "very_strongly"})
    )
    await p.add_response(_form(alder, pair_key=None))
    await p.add_response(_form(alder, pair_key="k2", held=True))
    coded = await p.coded_answers(alder.id)
    assert [(c.pair_key, c.kind, c.item_id) for c in coded] == [
        ("k1", "baseline", "belong"),
        ("k1", "follow_up", "get_on_well"),
        ("k1", "follow_up", "life_satisfaction"),
    ]
    assert await p.coded_answers(alder.id, "2026-03") == coded[:1]


async def test_deleting_a_grantees_forms_leaves_others(grantees: list[Grantee]) -> None:
    alder, birch, _ = grantees
    for _ in range(2):
        await p.add_response(_form(alder))
    await p.add_response(_form(birch))
    assert await p.delete_for_grantee(alder.id) == 2
    assert await p.responses(alder.id, "2026-03") == []
    assert len(await p.responses(birch.id, "2026-03")) == 1
    assert (await p.form_counts(alder.id, "2026-03")).answers == ()


async def test_retention_deletes_only_older_forms(grantees: list[Grantee]) -> None:
    alder = grantees[0]
    await p.add_response(_form(alder, received_at=NOW - timedelta(days=800)))
    await p.add_response(_form(alder))
    assert await p.delete_received_before(NOW - timedelta(days=730)) == 1
    assert [r.received_at for r in await p.responses(alder.id, "2026-03")] == [NOW]
