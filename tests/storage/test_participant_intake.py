"""Forms taken in online: a flood that looks automated is held, never counted, until accepted."""

from __future__ import annotations

from datetime import timedelta

from bot.participants.intake import Taken, take_form
from conversations.framework import load_builtin
from conversations.participant_forms import SubmissionProblems
from storage import participants as p
from storage.records import Grantee
from tests.storage.factories import NOW

FW = load_builtin("social_cohesion_v1")
SAME = {"get_on_well": "definitely_agree", "belong": "very_strongly", "life_satisfaction": "10"}


async def _take(
    grantee: Grantee, fields: dict[str, str], **how: object
) -> Taken | SubmissionProblems:
    values: dict[str, object] = {"kind": "follow_up", "channel": "online", "now": NOW}
    values.update(how)
    return await take_form(
        FW,
        grantee_id=grantee.id,
        period="2026-03",
        fields=fields,
        **values,
    )


async def _online(grantee: Grantee, n: int, sender: str, fields: dict[str, str]) -> Taken:
    taken = await _take(grantee, fields, now=NOW + timedelta(seconds=20 * n), sender=sender)
    assert isinstance(taken, Taken)
    return taken


async def test_a_flood_from_one_address_is_held_and_not_counted(grantees: list[Grantee]) -> None:
    alder = grantees[0]
    genuine = [
        await _online(alder, n, f"198.51.100.{n}", {"belong": "very_strongly"}) for n in range(3)
    ]
    flood = [
        await _online(alder, 10 + n, "203.0.113.9", {"belong": ["1", "2"][n % 2]})
        for n in range(12)
    ]
    assert not any(t.held for t in genuine)
    assert all(t.held for t in flood[5:])
    counts = await p.form_counts(alder.id, "2026-03")
    assert counts.forms["follow_up"] == 3 and counts.held == 12  # the first five are held too
    held = await p.responses(alder.id, "2026-03", held=True)
    assert {r.id for r in held} == {t.response_id for t in flood}
    assert all(r.channel == "online" and r.received_at >= NOW for r in held)
    assert await p.accept_held(alder.id, [flood[0].response_id]) == 1
    assert (await p.form_counts(alder.id, "2026-03")).forms["follow_up"] == 4


async def test_identical_forms_from_many_addresses_are_held(grantees: list[Grantee]) -> None:
    alder = grantees[0]
    for n in range(7):
        await _online(alder, n, f"192.0.2.{n}", SAME)
    counts = await p.form_counts(alder.id, "2026-03")
    assert (counts.forms["follow_up"], counts.held) == (0, 7)


async def test_keyed_paper_forms_are_never_held(grantees: list[Grantee]) -> None:
    alder = grantees[0]
    for n in range(30):
        taken = await _take(alder, SAME, channel="keyed", now=NOW + timedelta(seconds=n))
        assert isinstance(taken, Taken) and not taken.held
    assert (await p.form_counts(alder.id, "2026-03")).forms["follow_up"] == 30


async def test_a_wrong_form_is_refused_and_nothing_stored(grantees: list[Grantee]) -> None:
    alder = grantees[0]
    taken = await _take(alder, {"get_on_well": "5"}, kind="baseline", sender="192.0.2.1")
    assert isinstance(taken, SubmissionProblems)
    assert "Choose one of" in taken.problems["get_on_well"]
    assert await p.responses(alder.id, "2026-03") == []


async def test_a_code_is_stored_only_as_its_keyed_hash(grantees: list[Grantee]) -> None:
    alder, birch, _ = grantees
    for grantee in (alder, birch):
        await _take(grantee, {"belong": "1", "code": "ma07le"}, kind="baseline", channel="paper")
    (a,) = await p.coded_answers(alder.id)
    (b,) = await p.coded_answers(birch.id)
    assert "MA07LE" not in a.pair_key and a.pair_key != b.pair_key
