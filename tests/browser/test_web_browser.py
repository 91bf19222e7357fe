"""A grantee in headless Chromium, keyboard only: the whole check-in, an email midway, an edit."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webelement import WebElement
from selenium_axe_python import Axe

import storage
from bot.conversation.frameworks import framework_for
from conversations.framework import Question
from tests.browser.conftest import RunningService
from tests.support.web_harness import EMAIL, WebWorld

TYPED = {
    "count": "10",
    "number": "7.5",
    "text": "Neighbours who had never met now cook together.",
}
SERIOUS = ("serious", "critical")


class Grantee:
    """Drives the browser as a keyboard user: Tab to move, type, Space and Enter to act."""

    def __init__(self, driver: webdriver.Chrome, artifacts: Path) -> None:
        self.driver = driver
        self.artifacts = artifacts
        self.shots = 0
        self.checked: set[str] = set()  # page types axe has checked

    def shot(self, name: str) -> None:
        self.shots += 1
        self.driver.save_screenshot(str(self.artifacts / f"{self.shots:02d}-{name}.png"))

    def keys(self, *keys: str) -> None:
        ActionChains(self.driver).send_keys(*keys).perform()

    def tab_to(self, matches: Callable[[WebElement], bool], what: str) -> WebElement:
        """Press Tab until the focused element matches; fails if it is never reached."""
        for _ in range(80):
            self.keys(Keys.TAB)
            focused = self.driver.switch_to.active_element
            if matches(focused):
                return focused
        raise AssertionError(f"Tab never reached {what} on {self.driver.current_url}")

    def tab_to_text(self, text: str) -> WebElement:
        return self.tab_to(lambda e: e.text.strip() == text, repr(text))

    def tab_to_id(self, element_id: str) -> WebElement:
        return self.tab_to(lambda e: e.get_attribute("id") == element_id, f"#{element_id}")

    def replace_text(self, text: str) -> None:
        ActionChains(self.driver).key_down(Keys.CONTROL).send_keys("a").key_up(
            Keys.CONTROL
        ).send_keys(Keys.DELETE).send_keys(text).perform()

    def enter(self, element_id: str, text: str, button: str = "Save and continue") -> None:
        """Tab to a field, type over what it holds, then Tab to a button and press Enter."""
        self.tab_to_id(element_id)
        self.replace_text(text)
        self.tab_to_text(button).send_keys(Keys.ENTER)

    def accessible(self, page_type: str) -> None:
        """axe-core on this page, once per page type: no serious or critical violations."""
        if page_type in self.checked:
            return
        self.checked.add(page_type)
        axe = Axe(self.driver)
        axe.inject()
        results = axe.run()
        assert results["passes"], "axe checked nothing"
        bad = [v for v in results["violations"] if v.get("impact") in SERIOUS]
        assert not bad, f"{page_type}: " + Axe.report(bad)

    @property
    def heading(self) -> str:
        return self.driver.find_element(By.TAG_NAME, "h1").text.strip()

    def question_id(self) -> str:
        return self.driver.current_url.split("/question/", 1)[1].split("?")[0]

    def answer(self, q: Question) -> None:
        """Answer the question on screen with the keyboard, then Save and continue."""
        self.accessible(f"question-{q.kind}")
        if q.kind == "proportion":
            self.tab_to_id("x")
            self.replace_text("8")
            self.tab_to_id("n")
            self.replace_text("10")
        elif q.kind in ("choice", "yes_no", "scale"):
            self.tab_to(lambda e: (e.get_attribute("name") or "") == "answer", "the options")
            self.keys(Keys.SPACE)  # the focused (first) option
        else:
            self.tab_to_id("answer")
            self.replace_text(TYPED[q.kind])
        self.tab_to_text("Save and continue").send_keys(Keys.ENTER)


def answer_until(grantee: Grantee, world: WebWorld, service: RunningService, stop: str) -> None:
    """Answer question after question until the page is `stop` (a path ending)."""
    fw = service.call(_framework)
    while "/question/" in grantee.driver.current_url and not grantee.driver.current_url.endswith(
        stop
    ):
        grantee.answer(fw.question(grantee.question_id()))


async def _framework(world: WebWorld):  # type: ignore[no-untyped-def]
    return framework_for((await world.context()).programme)


def test_a_keyboard_user_completes_a_check_in(
    service: RunningService, browser: webdriver.Chrome, artifacts: Path
) -> None:
    grantee = Grantee(browser, artifacts)
    link = service.call(lambda world: world.link())
    browser.get(link)
    assert grantee.heading == "Your check-in for 2026 Q4"
    assert "Why we ask:" in browser.page_source
    grantee.shot("before-you-start")
    grantee.accessible("start")
    grantee.tab_to_text("Start now").send_keys(Keys.ENTER)
    assert browser.current_url.endswith("/question/O1")
    grantee.shot("first-question")

    # an error, then its correction
    grantee.enter("answer", "12")
    assert browser.current_url.endswith("/question/O2")
    grantee.enter("answer", "lots")
    summary = browser.find_element(By.CLASS_NAME, "error-summary")
    assert "There is a problem" in summary.text
    message = browser.find_element(By.ID, "error").text
    assert message.startswith("Error:") and "number" in message
    assert browser.title.startswith("Error: ")
    grantee.shot("error")
    grantee.accessible("question-error")
    link_to_field = grantee.tab_to(
        lambda e: (e.get_attribute("href") or "").endswith("#answer"), "the error link"
    )
    assert link_to_field.text == summary.find_element(By.TAG_NAME, "a").text
    grantee.enter("answer", "140")
    assert browser.current_url.endswith("/question/O3")
    grantee.shot("corrected")

    # save and come back later, then resume from the link
    grantee.enter("answer", "60", "Save and come back later")
    assert grantee.heading == "Your answers have been saved"
    grantee.shot("saved")
    grantee.accessible("saved")
    browser.get(link)
    grantee.tab_to_text("Continue your check-in").send_keys(Keys.ENTER)
    assert browser.current_url.endswith("/question/O4")
    grantee.shot("resumed")

    # midway, two answers by email; the web carries on after them
    grantee.enter("answer", "20")
    assert browser.current_url.endswith("/question/O5")

    async def by_email(world: WebWorld) -> None:
        context = await world.context()
        await world.service.dispatcher.start(context.checkin.id, "email", "midway")
        await world.reply_by_email(world.mails()[-1], "5: 6\n6: skip")

    service.call(by_email)
    browser.refresh()  # the tab that was open: the page for O5, now answered elsewhere
    browser.get(link)
    grantee.tab_to_text("Continue your check-in").send_keys(Keys.ENTER)
    assert browser.current_url.endswith("/question/O6")
    grantee.shot("after-email")

    answer_until(grantee, service.world, service, "/check")
    assert browser.current_url.endswith("/check")
    assert grantee.heading == "Check your answers before submitting your check-in"
    rows = browser.find_element(By.CLASS_NAME, "summary-list").text
    assert "140 attendances" in rows and "6 volunteers" in rows and "Skipped" in rows
    grantee.shot("check-your-answers")
    grantee.accessible("check")
    grantee.tab_to_text("Submit your check-in").send_keys(Keys.ENTER)
    assert grantee.heading == "Check-in submitted"
    assert "How your 2026 Q4 check-in compares" in browser.page_source
    grantee.shot("submitted")
    grantee.accessible("done")

    # an edit after submitting, recorded like every edit
    grantee.tab_to(lambda e: e.text.startswith("Change") and "sessions run" in e.text, "Change")
    grantee.keys(Keys.ENTER)
    assert browser.current_url.endswith("/question/O1?change=1")
    grantee.enter("answer", "13")
    assert "Your change was saved." in browser.page_source
    assert "13 sessions" in browser.find_element(By.CLASS_NAME, "summary-list").text
    grantee.shot("edited")

    async def stored(world: WebWorld) -> tuple[str, dict[str, object], list[str]]:
        context = await world.context()
        answers = await storage.answers_for_checkin(context.checkin.id)
        history = await storage.answer_history(context.checkin.id)
        return (
            context.checkin.status,
            {a.question_id: a.value for a in answers},
            [h.channel for h in history if h.question_id in ("O1", "O5")],
        )

    status, answers, channels = service.call(stored)
    assert status == "completed"
    assert answers["O1"] == 13 and answers["O2"] == 140 and answers["O5"] == 6
    assert channels == ["web", "email", "web"]  # O1 set, O5 by email, O1 edited
    assert grantee.shots >= 10 and len(list(artifacts.glob("*.png"))) == grantee.shots


def test_every_other_page_type_passes_axe_and_fits_a_phone(
    service: RunningService, browser: webdriver.Chrome, artifacts: Path
) -> None:
    grantee = Grantee(browser, artifacts)
    link = service.call(lambda world: world.link())
    base = link.split("/checkin/")[0]
    browser.set_window_size(375, 740)
    pages = {
        "link-request": base + "/link",
        "not-found-link": base + "/checkin/" + "D" * 43,
        "start-phone": link,
    }
    for name, url in pages.items():
        browser.get(url)
        grantee.shot(name)
        grantee.accessible(name)
        fits = browser.execute_script(
            "return document.documentElement.scrollWidth <= window.innerWidth"
        )
        assert fits, f"{name} scrolls sideways on a phone"
    browser.get(base + "/link")
    grantee.enter("email", "not an address", "Email me a link")
    assert "correct format" in browser.find_element(By.ID, "email-error").text
    grantee.accessible("link-request-error")
    grantee.tab_to_id("email")
    grantee.replace_text(EMAIL)
    grantee.tab_to_text("Email me a link").send_keys(Keys.ENTER)
    assert grantee.heading == "Check your email"
    grantee.shot("link-sent")
    grantee.accessible("link-sent")

    # a stale tab: the page says what happened and where the check-in stands
    browser.get(link)
    grantee.tab_to_text("Start now").send_keys(Keys.ENTER)
    stale_url = browser.current_url
    browser.switch_to.new_window("tab")
    browser.get(stale_url)
    grantee.enter("answer", "4")
    browser.switch_to.window(browser.window_handles[0])
    grantee.enter("answer", "5")
    assert grantee.heading == "This check-in changed elsewhere"
    grantee.shot("conflict")
    grantee.accessible("conflict")
    grantee.tab_to_text("See where your check-in stands now").send_keys(Keys.ENTER)
    assert browser.current_url.endswith("/question/O2")
