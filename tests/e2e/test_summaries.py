"""Summaries and digests on a real database: what people read, and what they must not."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

import storage
from bot.export import export_programme
from bot.round_observations import RoundObservations
from bot.summaries import funder_digest, grantee_summary, pooled_evidence, summary_for_grantee
from bot.summary_delivery import send_digest
from bot.summary_render import SummaryRenderer, data_uris, digest_charts, summary_payload
from storage.records import Programme
from tests.e2e import summary_seed as seed
from tests.e2e.summary_seed import proportion

pytestmark = pytest.mark.usefixtures("db")

PEERS = [
    ("Alder Arts", "arts"),
    ("Birch Sports", "sports"),
    ("Cedar Kitchen", "food"),
    ("Damson Choir", "arts"),
    ("Elm Football", "sports"),
    ("Fir Cafe", "food"),
    ("Gorse Garden", "food"),
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
        "P7N": n,
        "P7": 7.0,
        "G2": "Neighbours who never met now cook together.",
    }


@pytest.fixture
async def bridges(db: str) -> Programme:
    """Eight grantees, a past round and the current one; peers complete before 'me'."""
    target = await seed.programme("bridges", "northern", ("arts", "sports", "food"))
    await seed.grantees(target, [*PEERS, (ME, "food")])
    for index, period in enumerate(["2026 Q2", "2026 Q3"], start=1):
        await seed.open_round(target, period, index)
        for minute, (org, _) in enumerate(PEERS):
            await seed.complete(target, period, org, answers(20 + minute, 30), minute=minute)
    await seed.complete(target, "2026 Q2", ME, answers(26, 40), minute=30)
    await seed.complete(target, "2026 Q3", ME, answers(32, 41), minute=30)
    return target


async def summary_text(email: str) -> str:
    return SummaryRenderer().summary_text(await summary_for_grantee(email))


async def test_summary_shows_value_change_peers_and_national_figure(bridges: Programme) -> None:
    text = await summary_text("unity.kitchen@example.org")
    assert "How your 2026 Q3 check-in compares, Unity Kitchen" in text
    assert "78% of 41 participants (32 of 41) said agree." in text
    assert "Up 13 percentage points from 65% in 2026 Q2." in text
    # seven peers answered 20..26 of 30; the first five (by completion) are published
    assert "median 73%, middle half 70% to 77% (n = 5 grantees)" in text
    assert "You are at the 80th percentile." in text  # above 4 of the 5 peers
    # the grantee works in Leeds, so England's figures apply; P1 has no current one
    assert "83%" not in text and "2020/21" not in text
    assert (
        "National figure: 62% very or fairly strongly (England, 2024/25; source: Community Life "
        "Survey 2024/25: Neighbourhood and community). Yours is 13 percentage points below it."
    ) in text
    assert "Table: Figure 1.1 (section 1.1, Headline findings)." in text
    assert "7.45 mean score, 0 to 10 (UK, year ending March 2023" in text
    assert "asked by an interviewer, while participants fill in their forms themselves" in text
    assert "not a national sample" in text
    # national figures only where the framework declares one (P10 has none)
    assert "6.6% often or always" in text
    assert "Sessions run: 12 sessions; others' median 12" in text


async def test_small_samples_are_flagged_and_tiny_ones_hidden(bridges: Programme) -> None:
    await seed.open_round(bridges, "2026 Q4", 3)
    await seed.complete(bridges, "2026 Q4", ME, answers(7, 9) | {"P2": proportion(20, 25)})
    text = await summary_text("unity.kitchen@example.org")
    assert "9 participants answered: fewer than 10 responses, so no percentage is shown." in text
    assert "78%" not in text and "7 of 9" not in text
    assert "80% of 25 participants (20 of 25)" in text
    assert "Fewer than 30 responses: indicative only." in text
    # nobody else has reported for Q4 yet
    assert "fewer than 5 other grantees have comparable answers yet" in text


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
    assert p1.peers is None and "fewer than 5 other grantees" in p1.peer_sentence
    assert p2.peers is not None and p2.peers.grantees == 5


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

    assert "median 73%, middle half 70% to 77% (n = 5 grantees)" in await p1_peers()
    # a peer's edit after completion: 20 of 30 becomes 29 of 30
    await _saved_again(ids["Alder Arts"], {"P1": proportion(29, 30)}, "completed")
    assert "median 77%" in await p1_peers()
    # a peer's check-in reopened leaves the peer set; the other six remain
    await _saved_again(ids["Birch Sports"], {}, "in_progress")
    after = await p1_peers()
    assert "median 77%" not in after and "(n = 5 grantees)" in after


async def test_summary_payload_has_text_html_charts_and_blocks(bridges: Programme) -> None:
    summary = await summary_for_grantee("unity.kitchen@example.org")
    payload = summary_payload(summary, SummaryRenderer(), charts=True)
    assert payload["text"].startswith("How your 2026 Q3 check-in compares")
    assert 'src="cid:summary-p1"' in payload["html"]
    assert "summary-p1" in payload["images"]
    assert payload["blocks"][0]["type"] == "header"
    assert any("78% of 41 participants" in b["text"]["text"] for b in payload["blocks"][1:-1])


async def test_digest_pools_counts_reports_status_and_suppresses_small_groups(
    bridges: Programme,
) -> None:
    # an incident, someone late and someone away in the current round
    await seed.open_round(bridges, "2026 Q4", 3)
    for minute, (org, _) in enumerate(PEERS[:6]):
        await seed.complete(bridges, "2026 Q4", org, answers(20, 30), minute=minute)
    await seed.complete(
        bridges,
        "2026 Q4",
        ME,
        answers(30, 40) | {"G3": True, "G3D": "Shouting match after a local election leaflet."},
        minute=9,
    )
    rnd = await storage.get_round(bridges.id, "2026 Q4")
    assert rnd is not None and rnd.due_at is not None
    digest = await funder_digest("bridges", None, now=rnd.due_at + timedelta(days=1))
    text = SummaryRenderer().digest_text(digest)
    assert text.index("NEEDS ATTENTION") < text.index("Responses")
    assert 'Unity Kitchen: "Shouting match after a local election leaflet."' in text
    assert "7 of 8 grantees have reported (88%)." in text
    assert "Late (past the due date): Gorse Garden" in text
    # 6 x 20 + 30 = 150 agree of 6 x 30 + 40 = 220: pooled from counts, 68%
    p1 = next(i for i in digest.indicators if i.question_id == "P1")
    assert p1.overall.text.startswith("68%, 95% CI 62% to 74% (n = 220 responses from 7 grantees)")
    # food has 3 grantees reporting (hidden); arts 2 (hidden); sports 2 (hidden)
    assert all(line.text.startswith("not shown") for line in p1.by_activity)
    assert [t.label for t in p1.trend] == ["2026 Q2", "2026 Q3", "2026 Q4"]
    # a mean pools as sum(mean x respondents) / respondents: 7.0 from 6 x 30 + 40 answers
    p7 = next(i for i in digest.indicators if i.question_id == "P7")
    assert p7.overall.text == "7.0 (n = 220 responses from 7 grantees)"
    assert "Sessions run: 85 (from 7 grantees)" in text  # 84 rounded to the nearest 5
    html = SummaryRenderer().digest_html(digest, data_uris(digest_charts(digest.indicators)))
    assert "data:image/png;base64," in html and "Shouting match" in html


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
    # the other programme's answers (29 of 31) are not pooled into this digest
    p1 = next(i for i in digest.indicators if i.question_id == "P1")
    assert "n = 250 responses from 8 grantees" in p1.overall.text  # 7 x 30 + 41 = 251 -> 250


async def test_pooled_evidence_combines_programmes_and_hides_small_groups(
    bridges: Programme,
) -> None:
    other = await seed.programme("harbour", "southern", ("arts",))
    await seed.grantees(other, [(f"Harbour {i}", "arts") for i in range(3)])
    await seed.open_round(other, "2026 Q3", 2)
    for i in range(3):
        await seed.complete(other, "2026 Q3", f"Harbour {i}", answers(10, 20))
    evidence = await pooled_evidence()
    assert evidence.programmes == 2 and evidence.grantees == 11
    p1 = next(i for i in evidence.indicators if i.question_id == "P1")
    labels = {line.label: line.text for line in p1.by_activity}
    # arts: 2 bridges grantees + 3 harbour ones = 5 grantees, enough to show
    assert not labels["arts"].startswith("not shown")
    assert "from 5 grantees" in labels["arts"]  # each grantee once, across both periods
    assert "from 11 grantees" in p1.overall.text
    assert "Harbour" not in SummaryRenderer().evidence_html(evidence, {})
    q3 = next(t for t in p1.trend if t.label == "2026 Q3")
    assert "from 11 grantees" in q3.text


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
