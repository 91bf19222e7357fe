"""Change from participants' forms in the grantee's summary and the funder's digest, on a real
database: paired change with its interval, unpaired levels labelled weaker, the pooled change
shown or hidden under the disclosure rules, and held forms never counted."""

from __future__ import annotations

from datetime import timedelta

import pytest

import storage
from bot.conversation.frameworks import framework_for
from bot.summaries.build import funder_digest, pooled_evidence, summary_for_grantee
from bot.summaries.render import SummaryRenderer, drawn_for_channel
from conversations.digests import FunderDigest
from storage import participants
from storage.records import Grantee, Programme
from tests.e2e import summary_seed as seed
from tests.e2e.test_summaries import ME, PEERS, bridges
from tests.support.participant_forms import Person, agreeing, code, paired_people, take

__all__ = ["bridges"]  # the fixture, shared with the summary tests

pytestmark = pytest.mark.usefixtures("db")

WHEN = seed.START + timedelta(days=100)
GRANTS = {org: 12_000.0 for org, _ in PEERS} | {ME: 12_500.0}


def my_people() -> list[Person]:
    """24 people: 14 come to agree, 8 agreed throughout, 2 stop agreeing; life 5 -> 6 or 7."""
    people = [agreeing("tend_to_disagree", "tend_to_agree", (5, 6 + n % 2)) for n in range(14)]
    people += [agreeing("tend_to_agree", "definitely_agree", (6, 7)) for _ in range(8)]
    people += [agreeing("tend_to_agree", "tend_to_disagree", (6, 6)) for _ in range(2)]
    return people


async def grantee(programme: Programme, organisation: str) -> Grantee:
    everyone = await storage.list_grantees(programme.id)
    (found,) = [g for g in everyone if g.organisation == organisation]
    return found


async def test_a_grantees_summary_states_its_paired_change_with_its_interval(
    bridges: Programme,
) -> None:
    await seed.grantees(bridges, [*PEERS, (ME, "food")], grants=GRANTS)
    fw = framework_for(bridges)
    me = await grantee(bridges, ME)
    # baselines at entry in 2026 Q2, follow-ups at the end of 2026 Q3 (the summary's period)
    await paired_people(
        fw, me.id, my_people(), baseline_period="2026 Q2", follow_up_period="2026 Q3", now=WHEN
    )
    summary = await summary_for_grantee("unity.kitchen@example.org")
    payload, _ = drawn_for_channel(summary, SummaryRenderer(), "email")
    text = payload["text"]
    assert "\nChange among your participants\n" in text
    assert (
        "Different backgrounds get on well: Among the same 24 people (fewer than 30 people: "
        "indicative only): 14 better, 8 the same, 2 worse (better means moving into "
        "\u201cagree\u201d)." in text
    )
    # life satisfaction: +1 for 15 people, +2 for 7, 0 for 2: mean 29 / 24 = 1.21, standard
    # deviation 0.588, t(23) = 2.069: 1.21 +/- 0.25
    assert (
        "Average life satisfaction: Among the same 24 people (fewer than 30 people: indicative "
        "only): 22 better, 2 the same, 0 worse; on average up 1.2 points (95% interval +1.0 to "
        "+1.5), which is better." in text
    )
    assert "matched by the participant code they chose" in text
    # the business case: the grant over the unique participants reported (O3 = 60)
    assert "Cost per participant: \u00a3208 (your grant of \u00a312,500 over the 60 unique" in text
    # 1.21 x 50% attribution x (1 - 20% deadweight) x 1 year x 24 people
    assert "Wellbeing: 11.6 WELLBYs (95% interval 9.2 to 14.0) for the 24 people paired" in text
    assert "could not be confirmed" in text and "\u00a3" not in text.split("Wellbeing:")[1]
    assert "Change among your participants" in payload["html"]
    slack, _ = drawn_for_channel(summary, SummaryRenderer(), "slack")
    shown = "\n".join(b["text"]["text"] for b in slack["blocks"] if b["type"] == "section")
    assert "*Change among your participants*" in shown
    assert "on average up 1.2 points (95% interval +1.0 to +1.5), which is better." in shown
    assert "*The business case*" in shown and "Cost per participant: \u00a3208" in shown


async def test_held_forms_change_nothing_in_the_summary(bridges: Programme) -> None:
    fw = framework_for(bridges)
    me = await grantee(bridges, ME)
    await paired_people(
        fw, me.id, my_people(), baseline_period="2026 Q2", follow_up_period="2026 Q3", now=WHEN
    )
    before = (await summary_for_grantee("unity.kitchen@example.org")).participants
    # a flood from one address with everyone's codes, all worse: held, never counted
    flood = [
        {"code": code(n), "get_on_well": "definitely_disagree", "life_satisfaction": "0"}
        for n in range(12)
    ]
    taken = await take(
        fw,
        me.id,
        "2026 Q3",
        "follow_up",
        flood,
        channel="online",
        now=WHEN + timedelta(days=61),
        sender="203.0.113.9",
    )
    assert taken[-1].held  # and with it the whole burst, the first forms included
    assert len(await participants.responses(me.id, "2026 Q3", held=True)) == 12
    after = (await summary_for_grantee("unity.kitchen@example.org")).participants
    assert before is not None and after is not None
    assert after.paired == before.paired
    assert after.held == (
        "12 online forms held because they arrived like an automated burst: not counted here "
        "until you accept them."
    )


async def test_forms_without_codes_give_unpaired_levels_labelled_weaker(
    bridges: Programme,
) -> None:
    fw = framework_for(bridges)
    me = await grantee(bridges, ME)
    before = [{"get_on_well": "tend_to_disagree" if n < 12 else "tend_to_agree"} for n in range(20)]
    after = [{"get_on_well": "tend_to_agree" if n < 30 else "tend_to_disagree"} for n in range(36)]
    await take(fw, me.id, "2026 Q3", "baseline", before, channel="keyed", now=WHEN)
    await take(fw, me.id, "2026 Q3", "follow_up", after, channel="online", now=WHEN)
    summary = await summary_for_grantee("unity.kitchen@example.org")
    text = SummaryRenderer().summary_text(summary)
    assert "Among the same" not in text
    assert (
        "Different backgrounds get on well (unpaired, weaker evidence): 40% on 20 baseline forms "
        "and 83% on 36 follow-up forms (fewer than 30 forms on one side: indicative only): up 43 "
        "percentage points, which is better (unpaired: different people may have answered each "
        "time, so this is weaker evidence)." in text
    )
    assert "set baseline forms beside follow-up forms that may come from different people" in text


async def peer_forms(bridges: Programme, count: int, period: str = "2026 Q3") -> None:
    """Ten people paired at each of the first `count` peers: 5 come to agree, 5 agreed."""
    fw = framework_for(bridges)
    for index, (org, _) in enumerate(PEERS[:count]):
        peer = await grantee(bridges, org)
        people = [agreeing("tend_to_disagree", "tend_to_agree", (5, 6 + n % 3)) for n in range(5)]
        people += [agreeing("tend_to_agree", "tend_to_agree", (6, 6 + n % 2)) for n in range(5)]
        await paired_people(
            fw,
            peer.id,
            people,
            baseline_period=period,
            follow_up_period=period,
            now=WHEN + timedelta(hours=index),
            prefix=f"G{index}",
        )


async def q3_digest(bridges: Programme) -> tuple[FunderDigest, str]:
    digest = await funder_digest("bridges", "2026 Q3", now=seed.START + timedelta(days=400))
    return digest, SummaryRenderer().digest_text(digest)


async def test_a_digest_pools_change_across_enough_grantees_and_compares_activity_by_it(
    bridges: Programme,
) -> None:
    await seed.grantees(bridges, [*PEERS, (ME, "food")], grants=GRANTS)
    await peer_forms(bridges, 6)
    digest, text = await q3_digest(bridges)
    p1 = next(i for i in digest.indicators if i.question_id == "P1")
    assert p1.change is not None
    assert p1.change.text == (
        "50% better, 50% the same, 0% worse (n = 60 people paired, from 6 grantees)."
    )
    assert f"Change among the same people (paired forms): {p1.change.text}" in text
    first = text[: text.index("Responses\n")]
    assert "Change among the same people (paired forms): 50% better" in first  # a headline
    p7 = next(i for i in digest.indicators if i.question_id == "P7")
    assert p7.change is not None and "from 6 grantees); on average up " in p7.change.text
    assert "(95% interval +" in p7.change.text
    # by activity type, change is compared; each type has 2 grantees with forms: too few
    assert p1.activity_compares == "change" and p1.by_activity == ()
    assert "too few grantees with paired forms to show safely left out" in p1.activity_note
    assert "The business case" in text
    assert "Cost per participant: \u00a3200 (the grants of the 10 grantees" in text
    assert "Wellbeing: +0.44" in text and "WELLBYs for each person paired" in text
    assert "could not be confirmed" in text
    assert "Organisation" not in text and "GX" not in text  # nothing about anyone's forms


async def test_a_digest_with_too_few_grantees_hides_the_change_and_says_why(
    bridges: Programme,
) -> None:
    await peer_forms(bridges, 4)
    _, text = await q3_digest(bridges)
    assert "Change among the same people (paired forms): not shown: fewer than 5 grantees" in text
    assert "Wellbeing" not in text and "50% better" not in text


async def test_held_forms_are_not_pooled_and_evidence_applies_the_same_rules(
    bridges: Programme,
) -> None:
    await peer_forms(bridges, 5)
    fw = framework_for(bridges)
    alder = await grantee(bridges, PEERS[0][0])
    flood = [
        {"code": code(n, "G0"), "get_on_well": "definitely_disagree", "life_satisfaction": "0"}
        for n in range(10)
    ]
    taken = await take(
        fw, alder.id, "2026 Q3", "follow_up", flood, channel="online", now=WHEN, sender="x"
    )
    assert taken[-1].held
    assert len(await participants.responses(alder.id, "2026 Q3", held=True)) == 10
    digest, _ = await q3_digest(bridges)
    p1 = next(i for i in digest.indicators if i.question_id == "P1")
    assert p1.change is not None
    assert p1.change.text.startswith("50% better, 50% the same, 0% worse (n = 50 people")
    evidence = await pooled_evidence()
    e1 = next(i for i in evidence.indicators if i.question_id == "P1")
    assert e1.change is not None and e1.change.text == p1.change.text
    html = SummaryRenderer().evidence_html(evidence, {})
    assert "Change among the same people (paired forms):</strong> 50% better" in html
