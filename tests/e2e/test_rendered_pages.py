"""The HTML digest and a grantee's HTML summary as people see them: rendered by headless
Chromium, with screenshots kept under var/test-artifacts/ and the text read off the page."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

from bot.conversation.frameworks import framework_for
from bot.summaries.build import funder_digest, summary_for_grantee
from bot.summaries.render import (
    SummaryRenderer,
    data_uris,
    digest_charts,
    summary_charts,
)
from storage.records import Programme
from tests.e2e import summary_seed as seed
from tests.e2e.test_summaries import bridges, q4_digest
from tests.e2e.test_summary_change import WHEN, grantee, my_people, peer_forms
from tests.support.participant_forms import paired_people

__all__ = ["bridges"]  # the fixture, shared with the summary tests

pytestmark = pytest.mark.usefixtures("db")

ARTIFACTS = Path(__file__).resolve().parents[2] / "var" / "test-artifacts" / "rendered-pages"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        pytest.skip("Debian's chromium and chromium-driver are not installed (.ci/run adds them)")
    options = Options()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=900,1200"):
        options.add_argument(flag)
    # the local driver, so Selenium Manager never tries to download one
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    try:
        yield driver
    finally:
        driver.quit()


def rendered(browser: webdriver.Chrome, html: str, name: str) -> str:
    """Open the page from a file, keep a full-page screenshot, and return its visible text."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = ARTIFACTS / f"{name}.html"
    page.write_text(html, encoding="utf-8")
    browser.get(page.as_uri())
    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(900, max(800, int(height) + 100))
    browser.save_screenshot(str(ARTIFACTS / f"{name}.png"))
    broken = browser.execute_script(
        "return [...document.images].filter(i => !i.complete || i.naturalWidth === 0).length"
    )
    assert broken == 0, "every chart image decodes in the browser"
    return str(browser.find_element(By.TAG_NAME, "body").text)


async def test_the_digest_reads_as_a_programme_officer_sees_it(
    bridges: Programme, browser: webdriver.Chrome
) -> None:
    digest, _ = await q4_digest(bridges, 9)
    html = SummaryRenderer().digest_html(digest, data_uris(digest_charts(digest.indicators)))
    text = rendered(browser, html, "digest")
    assert (ARTIFACTS / "digest.png").stat().st_size > 10_000
    glance = text[: text.index("\nResponses\n")]
    assert "How the programme is doing" in glance
    late = "Late: Juniper Arts, Kale Sports, Larch Food."
    assert f"10 of 13 grantees have reported (77%). {late}" in glance
    assert "Needs attention: 1 tension or incident report" in glance
    assert "Shouting match after a local election leaflet." in glance
    assert "Different backgrounds get on well" in glance and "National figure: 62%" in glance
    assert "No comparable national figure." in glance
    # the detail below, with a funnel plot rather than a ranking
    assert "0 above and 0 below the 99.8% limits" in text
    images = browser.find_elements(By.CSS_SELECTOR, "img[alt*='funnel plot']")
    assert images and all(int(i.get_attribute("naturalHeight") or 0) == 250 for i in images)
    assert "percentile" not in text.lower()


async def test_a_grantees_summary_reads_with_its_intervals(
    bridges: Programme, browser: webdriver.Chrome
) -> None:
    summary = await summary_for_grantee("unity.kitchen@example.org")
    html = SummaryRenderer().summary_html(summary, data_uris(summary_charts(summary)))
    text = rendered(browser, html, "summary")
    assert "How your 2026 Q3 check-in compares" in text
    assert "78% of 41 participants (32 of 41; 95% interval 63% to 88%) said agree." in text
    assert "About the same as in 2026 Q2 (65%)" in text
    assert "Yours is outside their middle half by no more than sampling noise." in text
    charts = browser.find_elements(By.CSS_SELECTOR, "img[alt^='Chart:']")
    assert len(charts) >= 4
    assert (ARTIFACTS / "summary.png").stat().st_size > 10_000


async def test_change_from_participants_forms_reads_on_the_rendered_pages(
    bridges: Programme, browser: webdriver.Chrome
) -> None:
    await peer_forms(bridges, 6)
    me = await grantee(bridges, "Unity Kitchen")
    await paired_people(
        framework_for(bridges),
        me.id,
        my_people(),
        baseline_period="2026 Q2",
        follow_up_period="2026 Q3",
        now=WHEN,
    )
    digest = await funder_digest("bridges", "2026 Q3", now=seed.START + timedelta(days=400))
    html = SummaryRenderer().digest_html(digest, data_uris(digest_charts(digest.indicators)))
    text = rendered(browser, html, "digest-change")
    glance = text[: text.index("\nResponses\n")]
    assert (
        "Change among the same people (paired forms): 50% better, 50% the same, 0% worse "
        "(n = 60 people paired, from 6 grantees)." in glance
    )
    assert "The business case" in text and "WELLBYs for each person paired" in text
    summary = await summary_for_grantee("unity.kitchen@example.org")
    html = SummaryRenderer().summary_html(summary, data_uris(summary_charts(summary)))
    text = rendered(browser, html, "summary-change")
    assert "Change among your participants" in text
    assert "on average up 1.2 points (95% interval +1.0 to +1.5), which is better." in text
    assert "Wellbeing: 11.6 WELLBYs (95% interval 9.2 to 14.0)" in text
