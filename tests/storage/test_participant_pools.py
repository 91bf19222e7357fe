"""Pairing in SQL: the same change as pairing person by person, held and foreign forms left out."""

from __future__ import annotations

from datetime import timedelta

from conversations.framework import load_builtin
from conversations.participant_change import changes_from_moves, paired_changes
from storage import participants as p
from storage.participant_pools import FormScope, answer_counts_by_grantee, moves_by_grantee
from storage.participants import ResponseWrite
from storage.records import Grantee
from tests.storage.factories import NOW

FW = load_builtin("social_cohesion_v1")


async def _form(
    grantee: Grantee, period: str, kind: str, key: str | None, minutes: int, **answers: str
) -> int:
    return await p.add_response(
        ResponseWrite(
            grantee_id=grantee.id,
            period=period,
            kind=kind,  # type: ignore[arg-type]
            channel="keyed",
            framework=answers.pop("framework", FW.key),
            received_at=NOW + timedelta(minutes=minutes),
            answers=answers,
            pair_key=key,
        )
    )


async def test_pairing_in_sql_matches_pairing_person_by_person(grantees: list[Grantee]) -> None:
    alder, birch, _ = grantees
    for n in range(6):  # baselines in the period before
        await _form(alder, "2026-02", "baseline", f"k{n}", n, life_satisfaction=str(4 + n % 3),
                    get_on_well="tend_to_disagree")  # fmt: skip
    for n in range(6):
        await _form(alder, "2026-03", "follow_up", f"k{n}", 100 + n,
                    life_satisfaction=str(6 + n % 2), get_on_well="tend_to_agree")  # fmt: skip
    # k0 fills in a second follow-up: the latest replaces the first
    await _form(alder, "2026-03", "follow_up", "k0", 200, life_satisfaction="2")
    # neither a held form nor another grantee's counts
    held = await _form(alder, "2026-03", "follow_up", "k1", 300, life_satisfaction="0")
    await p.hold([held])
    await _form(birch, "2026-03", "baseline", "k3", 302, life_satisfaction="0")
    await _form(alder, "2026-03", "follow_up", "lone", 303, life_satisfaction="9")  # no pair
    scope = FormScope(grantee_ids=[alder.id, birch.id], follow_up_period="2026-03",
                      baseline_periods=["2026-02", "2026-03"])  # fmt: skip
    moves = await moves_by_grantee(FW.key, scope)
    assert set(moves) == {alder.id}
    in_sql = changes_from_moves(FW, moves[alder.id])
    one_by_one = paired_changes(FW, await p.coded_answers(alder.id))
    assert in_sql == one_by_one
    life = in_sql["life_satisfaction"]
    assert life.pairs == 6 and life.total == (2 - 4) + (7 - 5) + (6 - 6) + (7 - 4) + (6 - 5) + 1
    assert in_sql["get_on_well"].better == 6
    # a form of another framework is never paired with this one's
    await _form(alder, "2026-03", "follow_up", "k2", 400, life_satisfaction="0",
                framework="other_framework@1")  # fmt: skip
    assert changes_from_moves(FW, (await moves_by_grantee(FW.key, scope))[alder.id]) == in_sql
    # baselines from a period not listed are not paired
    later_only = FormScope(grantee_ids=[alder.id], follow_up_period="2026-03")
    assert await moves_by_grantee(FW.key, later_only) == {}


async def test_answer_counts_per_grantee_leave_held_forms_out(grantees: list[Grantee]) -> None:
    alder, birch, _ = grantees
    await _form(alder, "2026-03", "follow_up", None, 0, belong="very_strongly")
    await _form(alder, "2026-03", "follow_up", None, 1, belong="very_strongly")
    await p.hold([await _form(alder, "2026-03", "follow_up", None, 2, belong="not_at_all")])
    await _form(birch, "2026-04", "baseline", None, 3, belong="not_at_all")
    counts = await answer_counts_by_grantee(FormScope([alder.id, birch.id]), "2026-03")
    assert {
        g: [(c.kind, c.item_id, c.value, c.forms) for c in rows] for g, rows in counts.items()
    } == {alder.id: [("follow_up", "belong", "very_strongly", 2)]}
    everything = await answer_counts_by_grantee(FormScope([birch.id]))
    assert [c.value for c in everything[birch.id]] == ["not_at_all"]
    other_items = await answer_counts_by_grantee(FormScope([birch.id]), item_ids=["lonely"])
    assert other_items == {}
