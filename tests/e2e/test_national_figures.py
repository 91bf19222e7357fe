"""National figures on a real database: each grantee is set only against their own nation's."""

from __future__ import annotations

import tomllib
from datetime import timedelta
from pathlib import Path

import pytest

import storage
from bot.conversation.frameworks import framework_for
from bot.summaries.build import funder_digest, summary_for_grantee
from bot.summaries.render import SummaryRenderer
from conversations.framework import FRAMEWORKS_DIR
from storage.records import Programme
from tests.e2e import summary_seed as seed
from tests.e2e.summary_seed import proportion

pytestmark = pytest.mark.usefixtures("db")

OLD_TEXT = (
    Path(__file__).parent.parent
    / "data"
    / "frameworks"
    / "stored_social_cohesion_v1_with_old_benchmarks.toml"
).read_text(encoding="utf-8")
ENGLAND = [("Alder Arts", "arts"), ("Birch Sports", "sports"), ("Cedar Kitchen", "food")]
GLASGOW = [("Govanhill Green Spaces", "food")]
CARDIFF = [("Grangetown Cycle Club", "sports")]


def answers(n: int = 40) -> dict[str, object]:
    return {
        "O1": 10,
        "O3": 50,
        "O8F": n,
        "P1": proportion(30, n),
        "P2": proportion(24, n),  # 60%
        "P5": proportion(20, n),
        "P6": proportion(4, n),  # 10%
        "P7N": n,
        "P7": 7.1,
        "G2": "Allotment plots shared by newcomers and long-standing residents.",
    }


@pytest.fixture
async def mixed(db: str) -> Programme:
    """One programme with grantees in England, Scotland and Wales, all reported for 2026 Q3."""
    target = await seed.programme("mixed", "northern", ("arts", "sports", "food"))
    await seed.grantees(target, ENGLAND, local_authority="Leeds")
    await seed.grantees(target, GLASGOW, local_authority="Glasgow City")
    await seed.grantees(target, CARDIFF, local_authority="Cardiff")
    await seed.open_round(target, "2026 Q3", 1)
    for minute, (org, _) in enumerate(ENGLAND + GLASGOW + CARDIFF):
        await seed.complete(target, "2026 Q3", org, answers(), minute=minute)
    return target


async def rendered(email: str) -> tuple[str, str]:
    summary = await summary_for_grantee(email)
    renderer = SummaryRenderer()
    return renderer.summary_text(summary), renderer.summary_html(summary, {})


async def test_a_grantee_in_scotland_sees_no_figure_for_england(mixed: Programme) -> None:
    text, html = await rendered("govanhill.green.spaces@example.org")
    for shown in (text, html):
        assert "(England," not in shown and "in England;" not in shown  # no English figure
        assert "62%" not in shown and "6.6%" not in shown  # England's belonging and loneliness
        assert "Community Life Survey" not in shown
    assert text.count("No comparable national figure for Scotland: ") == 2  # P2 and P6
    assert (
        "No comparable national figure for Scotland: the official figure for this question "
        "covers England only, and Scotland's own surveys do not publish one with the same "
        "wording and answers."
    ) in text
    # life satisfaction is published for the whole UK, which includes Scotland
    assert "National figure: 7.45 mean score, 0 to 10 (UK, year ending March 2023" in text
    assert "asked by an interviewer" in text
    assert html.count(">Source</a>") == 1  # only the UK figure has a source to link


async def test_a_grantee_in_wales_is_told_there_is_no_comparable_figure(mixed: Programme) -> None:
    text, _ = await rendered("grangetown.cycle.club@example.org")
    assert "(England," not in text and "62%" not in text
    assert "No comparable national figure for Wales: " in text
    assert "(UK, year ending March 2023" in text


async def test_a_grantee_in_england_sees_englands_figures_with_table_and_mode(
    mixed: Programme,
) -> None:
    text, html = await rendered("alder.arts@example.org")
    assert (
        "National figure: 62% very or fairly strongly (England, 2024/25; source: Community Life "
        "Survey 2024/25: Neighbourhood and community). Yours is about the same, within sampling "
        "error. "
        "Table: Figure 1.1 (section 1.1, Headline findings). Asked of adults aged 16 and over in "
        "England; self-completed online or on paper, like participants' forms."
    ) in text
    assert "National figure: 6.6% often or always (England, 2024/25" in text
    assert "No comparable" not in text
    assert html.count(">Source</a>") == 3


async def test_a_digest_across_nations_sets_the_pool_against_no_one_nations_figure(
    mixed: Programme,
) -> None:
    rnd = await storage.get_round(mixed.id, "2026 Q3")
    assert rnd is not None and rnd.due_at is not None
    digest = await funder_digest("mixed", "2026 Q3", now=rnd.due_at + timedelta(days=1))
    text = SummaryRenderer().digest_text(digest)
    assert "62%" not in text and "6.6% often" not in text
    assert (
        "No single national figure: grantees work in England, Scotland and Wales, and the "
        "official figure for this question covers England only."
    ) in text
    assert "(UK, year ending March 2023" in text


async def test_a_programme_stored_with_the_old_figures_still_summarises(db: str) -> None:
    """Programmes keep the framework text they were loaded with; old figures are not shown."""
    target = await seed.programme("older", "northern", ("food",), framework_toml=OLD_TEXT)
    assert "benchmark = {" in target.framework_toml
    await seed.grantees(target, [("Unity Kitchen", "food")], local_authority="Bradford")
    await seed.open_round(target, "2026 Q3", 1)
    await seed.complete(target, "2026 Q3", "Unity Kitchen", answers())
    assert all(q.national == () for q in framework_for(target).questions)
    text, _ = await rendered("unity.kitchen@example.org")
    assert "60% of 40 participants (24 of 40; 95% interval" in text
    assert "National figure:" not in text and "2020/21" not in text and "83% " not in text
    # loading the programme again stores the current file, figures and all
    current = (FRAMEWORKS_DIR / "social_cohesion_v1.toml").read_text(encoding="utf-8")
    assert tomllib.loads(current)["version"] == tomllib.loads(OLD_TEXT)["version"]
