"""Summaries and digests on a real database: what people read, and what they must not."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

import storage
from bot.admin.export import export_programme
from bot.summaries.build import funder_digest, grantee_summary, pooled_evidence, summary_for_grantee
from bot.summaries.delivery import send_digest
from bot.summaries.render import SummaryRenderer, data_uris, digest_charts, summary_payload
from bot.summaries.round_observations import RoundObservations
from conversations.digests import FunderDigest
from storage.records import Programme
from tests.e2e import summary_seed as seed
from tests.e2e.summary_seed import proportion

pytestmark = pytest.mark.usefixtures("db")

# twelve peers, four of each activity type, complete before "me" in every round
NAMES = ("Alder", "Birch", "Cedar", "Damson", "Elm", "Fir", "Gorse", "Hazel", "Ivy", "Juniper")
NAMES += ("Kale", "Larch")
PEERS = [
    (f"{name} {kind.title()}", kind)
    for name, kind in zip(NAMES, ("arts", "sports", "food") * 4, strict=True)
]
ME = "Unity Kitchen"


def answers(agree: int, n: int, *, sessions: int = 12, lonely: int = 2) -> dict[str, object]:
    return {
        "O1": sessions,
        "O3": 60,
        "O4": 20,
        "O5": 6,
        "O5H": 80,
        "O8F": n,
        "P1": proportion(agree, n),
        "P2": proportion(n // 2, n),
        "P6": proportion(lonely, n),
        "P10": proportion(n - 5, n),
        "P7N": n,
        "P7": 7.0,
        "G2": "Neighbours who never met now cook together.",
    }


@pytest.fixture
async def bridges(db: str) -> Programme:
    """Thirteen grantees, a past round and the current one; peers complete before 'me'."""
    target = await seed.programme("bridges", "northern", ("arts", "sports", "food"))
    await seed.grantees(target, [*PEERS, (ME, "food")])
    for index, period in enumerate(["2026 Q2", "2026 Q3"], start=1):
        await seed.open_round(target, period, index)
        for minute, (org, _) in enumerate(PEERS):
            await seed.complete(target, period, org, answers(15 + minute, 30), minute=minute)
    await seed.complete(target, "2026 Q2", ME, answers(26, 40), minute=30)
    await seed.complete(target, "2026 Q3", ME, answers(32, 41), minute=30)
    return target


async def summary_text(email: str) -> str:
    return SummaryRenderer().summary_text(await summary_for_grantee(email))


async def test_summary_shows_value_interval_change_peers_and_national_figure(
    bridges: Programme,
) -> None:
    text = await summary_text("unity.kitchen@example.org")
    assert "How your 2026 Q3 check-in compares, Unity Kitchen" in text
    # Wilson 95% interval for 32 of 41: 63% to 88%
    assert "78% of 41 participants (32 of 41; 95% interval 63% to 88%) said agree." in text
    # 65% (26 of 40) to 78%: 13 points, but within what two samples of 40 give by chance
    assert (
        "About the same as in 2026 Q2 (65%): the change of 13 percentage points is within "
        "sampling noise." in text
    )
    # twelve peers answered 15..26 of 30; the first ten (by completion) are published, each
    # quartile the mean of three neighbours: (16+17+18)/90 = 57%, (19+20+21)/90 = 67%,
    # (21+22+23)/90 = 73%
    assert "median 67%, middle half 57% to 73% (n = 10 grantees)" in text
    assert "Yours is outside their middle half by no more than sampling noise." in text
    assert "percentile" not in text
    # the grantee works in Leeds, so England's figures apply; P1 has no current one
    assert "2020/21" not in text and "definitely or tend to agree (England" not in text
    assert (
        "National figure: 62% very or fairly strongly (England, 2024/25; source: Community Life "
        "Survey 2024/25: Neighbourhood and community). Yours is about the same, within sampling "
        "error."
    ) in text
    assert "Table: Figure 1.1 (section 1.1, Headline findings)." in text
    assert "7.45 mean score, 0 to 10 (UK, year ending March 2023" in text
    assert "asked by an interviewer, while participants fill in their forms themselves" in text
    assert "not a national sample" in text
    assert "6.6% often or always" in text
    # loneliness: 2 of 30 peers, 2 of 41 me; lower is better, said where it matters
    assert "Sessions run: 12 sessions; others' median 12" in text


async def test_small_samples_are_flagged_next_to_the_figure_and_tiny_ones_hidden(
    bridges: Programme,
) -> None:
    await seed.open_round(bridges, "2026 Q4", 3)
    await seed.complete(bridges, "2026 Q4", ME, answers(7, 9) | {"P2": proportion(20, 25)})
    text = await summary_text("unity.kitchen@example.org")
    assert "9 participants answered: fewer than 10 responses, so no percentage is shown." in text
    assert "78%" not in text and "7 of 9" not in text
    assert (
        "80% (fewer than 30 responses: indicative only) of 25 participants (20 of 25; "
        "95% interval 61% to 91%)" in text
    )
    # nobody else has reported for Q4 yet
    assert "fewer than 10 other grantees have comparable answers yet" in text


async def test_peers_answering_another_question_version_are_not_compared(
    bridges: Programme,
) -> None:
    await seed.open_round(bridges, "2026 Q4", 3)
    for minute, (org, _) in enumerate(PEERS):
        await seed.complete(
            bridges, "2026 Q4", org, answers(25, 30), minute=minute, versions={"P1": 2}
        )
    await seed.complete(bridges, "2026 Q4", ME, answers(32, 41), minute=30)
    summary = await summary_for_grantee("unity.kitchen@example.org")
    p1 = next(i for i in summary.indicators if i.question_id == "P1")
    p2 = next(i for i in summary.indicators if i.question_id == "P2")
    assert p1.peers is None and "fewer than 10 other grantees" in p1.peer_sentence
    assert p2.peers is not None and p2.peers.grantees == 10


async def _saved_again(checkin_id: int, answers: dict[str, object], status: str) -> None:
    """A step saved on an existing check-in: an edit after completion, or a reopening."""
    context = await storage.load_checkin_context(checkin_id)
    await storage.save_step(
        checkin_id,
        expected_version=context.checkin.version,
        state={},
        status=status,
        answers=seed.writes(answers),
        channel="console",
        actor="test",
        now=context.round.opened_at + timedelta(days=2),
    )


async def test_summaries_that_reuse_the_round_read_again_what_changed(
    bridges: Programme,
) -> None:
    q3 = await storage.get_round(bridges.id, "2026 Q3")
    assert q3 is not None
    lines = {line.grantee.organisation: line for line in await storage.round_status(q3.id)}
    ids = {org: line.checkin.id for org, line in lines.items() if line.checkin is not None}
    mine = await storage.load_checkin_context(ids[ME])
    kept = RoundObservations()

    async def p1_peers() -> str:
        summary = await grantee_summary(mine, kept)
        assert summary == await grantee_summary(mine)  # the same as reading everything again
        p1 = next(i for i in summary.indicators if i.question_id == "P1")
        return p1.peer_sentence

    assert "median 67%, middle half 57% to 73% (n = 10 grantees)" in await p1_peers()
    # a peer's edit after completion: 15 of 30 becomes 29 of 30 and moves every quartile
    # window up one: (17+18+19)/90 = 60%, (20+21+22)/90 = 70%, (22+23+24)/90 = 77%
    await _saved_again(ids["Alder Arts"], {"P1": proportion(29, 30)}, "completed")
    assert "median 70%, middle half 60% to 77% (n = 10 grantees)" in await p1_peers()
    # a peer's check-in reopened leaves the peer set; the next in completion order joins it
    await _saved_again(ids["Birch Sports"], {}, "in_progress")
    after = await p1_peers()
    assert "median 70%" not in after and "(n = 10 grantees)" in after


async def test_summary_payload_has_text_html_charts_and_blocks(bridges: Programme) -> None:
    summary = await summary_for_grantee("unity.kitchen@example.org")
    payload = summary_payload(summary, SummaryRenderer(), charts=True)
    assert payload["text"].startswith("How your 2026 Q3 check-in compares")
    assert 'src="cid:summary-p1"' in payload["html"]
    assert "summary-p1" in payload["images"]
    assert payload["blocks"][0]["type"] == "header"
    assert any("78% of 41 participants" in b["text"]["text"] for b in payload["blocks"][1:-1])


async def q4_digest(bridges: Programme, completed: int) -> tuple[FunderDigest, str]:
    """The 2026 Q4 digest a day after the due date, with the first `completed` peers and me."""
    rnd = await storage.get_round(bridges.id, "2026 Q4")
    if rnd is None:
        await seed.open_round(bridges, "2026 Q4", 3)
        await seed.complete(
            bridges,
            "2026 Q4",
            ME,
            answers(30, 40, sessions=14)
            | {"G3": True, "G3D": "Shouting match after a local election leaflet."},
            minute=0,
        )
        rnd = await storage.get_round(bridges.id, "2026 Q4")
    assert rnd is not None and rnd.due_at is not None
    status = await storage.round_status(rnd.id)
    done = {
        line.grantee.organisation
        for line in status
        if line.checkin and line.checkin.status == "completed"
    }
    for minute, (org, _) in enumerate(PEERS[:completed], start=1):
        if org not in done:
            await seed.complete(bridges, "2026 Q4", org, answers(20, 30), minute=minute)
    digest = await funder_digest("bridges", None, now=rnd.due_at + timedelta(days=1))
    return digest, SummaryRenderer().digest_text(digest)


async def test_digest_first_screen_pools_with_clustered_intervals_and_leaves_out_small_groups(
    bridges: Programme,
) -> None:
    digest, text = await q4_digest(bridges, 9)
    first = text[: text.index("Responses\n")]
    assert "10 of 13 grantees have reported (77%)." in first
    assert "Late: Juniper Arts, Kale Sports, Larch Food." in first
    assert 'Unity Kitchen: "Shouting match after a local election leaflet."' in first
    # 9 x 20 + 30 = 210 agree of 9 x 30 + 40 = 310: 68%, pooled from counts, with the
    # interval widened for clustering within grantees (t with 9 degrees of freedom)
    p1 = next(i for i in digest.indicators if i.question_id == "P1")
    assert p1.overall.text.startswith("68%, 95% CI ")
    assert "(n = 310 responses from 10 grantees)" in p1.overall.text
    assert f"Different backgrounds get on well: {p1.overall.text}" in first
    assert "National figure: 62% very or fairly strongly" in first  # P2; P1 has none
    assert "No comparable national figure." in first
    # every activity type has fewer than five grantees reporting: none is listed
    assert p1.by_activity == ()
    assert "3 activity types with too few grantees to show safely left out." in p1.activity_note
    assert [t.label for t in p1.trend] == ["2026 Q2", "2026 Q3", "2026 Q4"]
    # a mean pools as sum(mean x respondents) / respondents: 7.0, and its interval is never
    # narrower than the widest spread a 0-10 scale allows at 7.0 (sqrt(3 x 7) / sqrt(310))
    p7 = next(i for i in digest.indicators if i.question_id == "P7")
    assert p7.overall.text == "7.0, 95% CI 6.4 to 7.6 (n = 310 responses from 10 grantees)"
    assert "Sessions run: 120 (from 10 grantees)" in text  # 9 x 12 + 14 = 122
    assert p1.funnel is not None and len(p1.funnel.points) == 10
    assert "0 above and 0 below the 99.8% limits" in p1.funnel.text
    assert "percentile" not in text and "rank" not in text
    html = SummaryRenderer().digest_html(digest, data_uris(digest_charts(digest.indicators)))
    assert html.index("How the programme is doing") < html.index("<h2>Responses</h2>")
    assert "funnel plot" in html and "Shouting match" in html


async def test_a_newly_reported_grantee_cannot_be_isolated_by_comparing_digests(
    bridges: Programme,
) -> None:
    before, _ = await q4_digest(bridges, 9)
    after, text = await q4_digest(bridges, 10)  # Juniper Arts reports
    assert "11 of 13 grantees have reported" in text and "Juniper Arts" in text
    # the figures still use the first ten check-ins: nothing in them moved
    assert before.indicators == after.indicators and before.outputs == after.outputs
    assert "first 10 completed check-ins; they next change when 15" in text


async def test_digest_and_export_never_show_another_funders_grantees(
    bridges: Programme, tmp_path: Path
) -> None:
    other = await seed.programme("harbour", "southern", ("arts",))
    await seed.grantees(other, [(f"Secret Org {i}", "arts") for i in range(6)])
    await seed.open_round(other, "2026 Q3", 2)
    for i in range(6):
        await seed.complete(other, "2026 Q3", f"Secret Org {i}", answers(29, 31))
    digest = await funder_digest("bridges", "2026 Q3", now=seed.START + timedelta(days=400))
    text = SummaryRenderer().digest_text(digest)
    html = SummaryRenderer().digest_html(digest, {})
    out = tmp_path / "bridges.csv"
    await export_programme("bridges", "csv", out)
    exported = out.read_text(encoding="utf-8-sig")
    for shown in (text, html, exported):
        assert "Secret Org" not in shown and "secret.org" not in shown
        assert "Unity Kitchen" in shown
    # the other programme's answers (29 of 31) are not pooled: the first ten of bridges'
    # thirteen check-ins, 10 x 30 responses
    p1 = next(i for i in digest.indicators if i.question_id == "P1")
    assert "n = 300 responses from 10 grantees" in p1.overall.text


async def test_pooled_evidence_withholds_what_one_funder_could_subtract(
    bridges: Programme,
) -> None:
    other = await seed.programme("harbour", "southern", ("arts",))
    await seed.grantees(other, [(f"Harbour {i}", "arts") for i in range(6)])
    await seed.open_round(other, "2026 Q3", 2)
    for i in range(3):
        await seed.complete(other, "2026 Q3", f"Harbour {i}", answers(10, 20))
    evidence = await pooled_evidence()
    assert evidence.programmes == 2 and evidence.grantees == 16
    p1 = next(i for i in evidence.indicators if i.question_id == "P1")
    # Northern Trust knows its 13 grantees' answers: the 3 of Harbour would be the rest
    assert p1.overall.text == "not shown: too few grantees outside one funder's programmes"
    q3 = next(t for t in p1.trend if t.label == "2026 Q3")
    assert q3.text.startswith("not shown")
    assert "Harbour" not in SummaryRenderer().evidence_html(evidence, {})
    for i in range(3, 6):
        await seed.complete(other, "2026 Q3", f"Harbour {i}", answers(10, 20))
    evidence = await pooled_evidence()
    p1 = next(i for i in evidence.indicators if i.question_id == "P1")
    # every grantee once, across both periods; a grantee's answers in both rounds are one
    # cluster, so the interval allows for the same people answering twice
    assert "from 19 grantees" in p1.overall.text
    assert [t.label for t in p1.trend] == ["2026 Q2", "2026 Q3"]
    assert "from 19 grantees" in next(t for t in p1.trend if t.label == "2026 Q3").text
    # arts (4 + 6), sports (4), food (5): the smaller ones hidden, and food with them, since
    # the hidden groups together less any one of them must be safe to show too
    assert p1.by_activity == ()


async def test_pooled_evidence_orders_periods_by_date_and_keeps_question_versions_apart(
    db: str,
) -> None:
    target = await seed.programme("seasons", "western", ("arts",))
    people = [(f"Season {i}", "arts") for i in range(6)]
    await seed.grantees(target, people)
    for index, period in enumerate(["Winter 2026", "Spring 2027"]):
        await seed.open_round(target, period, index)
        for minute, (org, _) in enumerate(people):
            await seed.complete(target, period, org, answers(10, 20), minute=minute)
    other = await seed.programme("recast", "eastern", ("arts",))
    await seed.grantees(other, [(f"Recast {i}", "arts") for i in range(6)])
    await seed.open_round(other, "Winter 2026", 0)
    for i in range(6):
        await seed.complete(
            other, "Winter 2026", f"Recast {i}", answers(20, 20), versions={"P1": 2}
        )
    evidence = await pooled_evidence()
    p1 = next(i for i in evidence.indicators if i.question_id == "P1")
    assert [t.label for t in p1.trend] == ["Winter 2026", "Spring 2027"]  # not by label
    # version 2 answers (20 of 20) are never pooled with version 1 (10 of 20)
    assert p1.overall.text.startswith("50%") and "from 6 grantees" in p1.overall.text


async def test_sending_a_digest_twice_for_one_occasion_queues_it_once(
    bridges: Programme,
) -> None:
    from storage.records import ContactSpec, ProgrammeSpec

    spec = ProgrammeSpec(
        funder_slug="northern",
        funder_name=bridges.funder_name,
        slug="bridges",
        name=bridges.name,
        framework_id=bridges.framework_id,
        framework_version=1,
        framework_toml=bridges.framework_toml,
        contacts=(ContactSpec("Priya", "priya@funder.example"),),
        activity_types=bridges.activity_types,
        digest_slack_channel="C0DIGEST",
    )
    await storage.upsert_programme(spec)
    _, first = await send_digest("bridges", "2026 Q3", occasion="round-close")
    _, again = await send_digest("bridges", "2026 Q3", occasion="round-close")
    assert len(first) == 2 and again == ()
    queued = await storage.pending_outbound("email", now=seed.START + timedelta(days=999))
    (mail,) = [m for m in queued if m.recipient == "priya@funder.example"]
    assert mail.payload["subject"] == "Bridges Fund: digest for 2026 Q3"
    assert "Unity Kitchen" in mail.payload["text"] and mail.payload["images"]
