"""A grantee's staff in headless Chromium, keyboard only: paper forms keyed in one after another
(one error corrected), held forms reviewed, discarded and accepted, an online form paused; axe
on every page."""

from __future__ import annotations

from pathlib import Path

from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.expected_conditions import staleness_of
from selenium.webdriver.support.wait import WebDriverWait

from storage import participants
from storage.participants import StoredResponse
from tests.browser.conftest import RunningService
from tests.browser.test_web_browser import Grantee
from tests.support.participant_forms import online_burst
from tests.support.web_harness import PERIOD, WebWorld

# three follow-up forms as written on paper, field by field in the screen's order: the ten
# questions, the age group and the code ("" is a question left blank)
FORM_1 = ["1", "2", "", "1", "2", "5", "8", "1", "2", "1", "3", "ma07le"]
FORM_2_WRONG = ["7", "1", "1", "", "", "", "11", "", "", "", "2", ""]
FORM_3 = ["2", "Very strongly", "", "", "", "", "6", "", "", "", "", ""]


class Staff(Grantee):
    """A member of staff keying in forms: type, Tab to the next field, Enter to save."""

    def focused_id(self) -> str:
        return self.driver.switch_to.active_element.get_attribute("id") or ""

    def enter_and_wait(self) -> None:
        """Press Enter on what has focus, and wait for the page it leads to."""
        page = self.driver.find_element(By.TAG_NAME, "html")
        self.keys(Keys.ENTER)
        WebDriverWait(self.driver, 15).until(staleness_of(page))

    def key_in(self, answers: list[str]) -> None:
        """From the first field: each answer typed over what is there, then Enter."""
        assert self.focused_id() == "get_on_well", "the screen starts at its first field"
        for n, answer in enumerate(answers):
            self.replace_text(answer)
            if n < len(answers) - 1:
                self.keys(Keys.TAB)
        self.enter_and_wait()

    @property
    def banner(self) -> str:
        return self.driver.find_element(By.CLASS_NAME, "notification-banner__heading").text

    def fits_a_phone(self, name: str) -> None:
        self.driver.set_window_size(375, 740)
        fits = self.driver.execute_script(
            "return document.documentElement.scrollWidth <= window.innerWidth"
        )
        self.shot(f"{name}-phone")
        self.driver.set_window_size(1024, 900)
        assert fits, f"{name} scrolls sideways on a phone"


async def _stored(world: WebWorld) -> list[StoredResponse]:
    return await participants.responses((await world.context()).grantee.id, PERIOD)


def test_staff_key_in_three_forms_with_the_keyboard_alone(
    service: RunningService, browser: webdriver.Chrome, artifacts: Path
) -> None:
    staff = Staff(browser, artifacts)
    link = service.call(lambda world: world.link())
    browser.get(link)
    staff.tab_to_text("Your participants' forms for 2026 Q4")
    staff.enter_and_wait()
    assert staff.heading == "Participants' feedback forms"
    staff.shot("hub")
    staff.accessible("hub")
    staff.fits_a_phone("hub")
    staff.tab_to_text("Key in paper follow-up forms")
    staff.enter_and_wait()
    assert staff.heading == "Key in follow-up forms"
    staff.shot("keying")
    staff.accessible("keying")

    staff.key_in(FORM_1)
    assert staff.banner == "Form 1 saved"
    assert browser.find_element(By.ID, "get_on_well").get_attribute("value") == ""
    staff.shot("form-1-saved")
    staff.accessible("keying-saved")

    # a form with two slips: the page comes back with them, focus on its summary
    staff.key_in(FORM_2_WRONG)
    assert browser.title.startswith("Error: ")
    summary = browser.find_element(By.CLASS_NAME, "error-summary")
    assert "There is a problem" in summary.text
    assert staff.focused_id() == "" and "error-summary" in (
        browser.switch_to.active_element.get_attribute("class") or ""
    )
    assert browser.find_element(By.ID, "get_on_well").get_attribute("value") == "7"
    assert browser.find_element(By.ID, "trust").get_attribute("value") == "1"
    staff.shot("form-2-errors")
    staff.accessible("keying-errors")
    staff.fits_a_phone("keying-errors")
    staff.tab_to(lambda e: (e.get_attribute("href") or "").endswith("#get_on_well"), "the link")
    staff.keys(Keys.ENTER)  # a link within the page: no new page to wait for
    assert staff.focused_id() == "get_on_well", "the summary's link goes to the field"
    staff.replace_text("3")
    staff.tab_to_id("life_satisfaction")
    staff.replace_text("10")
    staff.enter_and_wait()
    assert staff.banner == "Form 2 saved"
    staff.shot("form-2-corrected")

    staff.key_in(FORM_3)
    assert staff.banner == "Form 3 saved"
    assert "3 follow-up forms are counted for 2026 Q4" in browser.page_source
    staff.shot("form-3-saved")

    forms = service.call(_stored)
    assert [(f.channel, f.kind, f.held) for f in forms] == [("keyed", "follow_up", False)] * 3
    assert forms[0].answers["met_people"] == "strongly_agree" and forms[0].paired
    assert forms[0].age_band == "a25_34"
    assert forms[1].answers == {
        "get_on_well": "tend_to_disagree",
        "belong": "very_strongly",
        "trust": "many",
        "life_satisfaction": "10",
    }
    assert forms[1].age_band == "a16_24"
    assert forms[2].answers == {
        "get_on_well": "tend_to_agree",
        "belong": "very_strongly",
        "life_satisfaction": "6",
    }


def test_staff_review_held_forms_with_the_keyboard_alone(
    service: RunningService, browser: webdriver.Chrome, artifacts: Path
) -> None:
    staff = Staff(browser, artifacts)
    service.call(lambda world: online_burst(world, 7))
    link = service.call(lambda world: world.link())
    browser.get(link + "/participants")
    assert "7 forms are held for your review" in staff.banner
    staff.tab_to_text("Review held forms")
    staff.enter_and_wait()
    assert staff.heading == "Held forms"
    assert "from one internet address" in browser.page_source
    staff.shot("review")
    staff.accessible("review")
    staff.fits_a_phone("review")

    staff.tab_to_text("Accept form 1")
    staff.enter_and_wait()
    assert staff.banner == "1 form accepted: it is now counted"
    staff.shot("accepted-one")
    staff.accessible("review-done")
    staff.tab_to_text("Discard form 1")
    staff.enter_and_wait()
    assert staff.heading == "Discard 1 held form?"
    staff.shot("discard-confirm")
    staff.accessible("discard-confirm")
    staff.tab_to_text("Yes, discard it")
    staff.enter_and_wait()
    assert staff.banner == "1 form discarded: deleted, and never counted"
    staff.tab_to_text("Accept all 5 forms")
    staff.enter_and_wait()
    assert staff.banner == "5 forms accepted: they are now counted"
    assert "No forms are held" in browser.page_source
    assert "Counted for 2026 Q4: 0 baseline and 6 follow-up forms." in browser.page_source
    staff.shot("all-accepted")

    forms = service.call(_stored)
    assert len(forms) == 6 and not any(f.held for f in forms)
    assert {f.channel for f in forms} == {"online"}

    # and the online form paused from the forms page, by keyboard
    browser.get(link + "/participants")
    staff.tab_to_text("Pause the online follow-up form")
    staff.enter_and_wait()
    assert staff.banner == "The online follow-up form is paused"
    assert "Reopen the online follow-up form" in browser.page_source
    browser.execute_script(
        "document.querySelector('form[action$=\"/status/follow-up\"]').scrollIntoView()"
    )
    staff.shot("online-form-paused")
    staff.accessible("hub-changed")
