"""A participant in headless Chromium on a phone-sized window, keyboard only: the online form."""

from __future__ import annotations

from pathlib import Path

from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from bot.clock import utc_now
from bot.conversation.frameworks import framework_for
from bot.participants.online import set_form_status
from conversations.participant_forms import FormLayout, form_layout
from storage import participants
from storage.participants import StoredResponse
from tests.browser.conftest import RunningService
from tests.browser.test_web_browser import Grantee
from tests.support.web_harness import PERIOD, WebWorld

PHONE = (360, 740)


class Participant(Grantee):
    """A keyboard user: Tab to move, Space to choose, Enter to send; letters only for the code."""

    def fits(self, page: str) -> None:
        fits = self.driver.execute_script(
            "return document.documentElement.scrollWidth <= window.innerWidth"
        )
        assert fits, f"{page} scrolls sideways on a phone"

    def choose_first(self, name: str) -> None:
        """Tab into a question's radios (the first one takes focus) and choose it with Space."""
        self.tab_to(lambda e: e.get_attribute("name") == name, f"the {name} options")
        self.keys(Keys.SPACE)


async def _layout(world: WebWorld) -> FormLayout:
    return form_layout(framework_for((await world.context()).programme), "follow_up")


async def _stored(world: WebWorld) -> list[StoredResponse]:
    return await participants.responses((await world.context()).grantee.id, PERIOD)


def test_a_participant_fills_in_the_form_on_a_phone_with_the_keyboard_alone(
    service: RunningService, browser: webdriver.Chrome, artifacts: Path
) -> None:
    person = Participant(browser, artifacts)
    path = service.call(lambda world: world.participant_form())
    layout = service.call(_layout)
    browser.set_window_size(*PHONE)
    browser.get(service.world.base_url + path)
    assert person.heading == layout.heading
    person.shot("form")
    person.accessible("form")
    person.fits("the form")

    for item in layout.items:
        person.choose_first(item.id)
    person.choose_first("age_band")
    person.tab_to_id("code")
    person.keys("AB")  # too short to be a code
    person.tab_to_text("Send my answers").send_keys(Keys.ENTER)

    # the error: at the top, by the field, in the title; every choice kept
    summary = browser.find_element(By.CLASS_NAME, "error-summary")
    assert "There is a problem" in summary.text
    message = browser.find_element(By.ID, "code-error").text
    assert message.startswith("Error:") and "4 to 16 letters and numbers" in message
    assert browser.title.startswith("Error: ")
    assert all(browser.find_element(By.ID, f"{item.id}-1").is_selected() for item in layout.items)
    assert browser.find_element(By.ID, "code").get_attribute("value") == "AB"
    person.shot("error")
    person.accessible("form-error")
    person.fits("the error page")
    link = person.tab_to(
        lambda e: (e.get_attribute("href") or "").endswith("#code"), "the error's link"
    )
    assert link.text == message.removeprefix("Error:").strip()
    link.send_keys(Keys.ENTER)
    person.tab_to_id("code")  # Tab selects what the field holds: typing replaces it
    person.keys("MA07LE")
    assert browser.find_element(By.ID, "code").get_attribute("value") == "MA07LE"
    person.tab_to_text("Send my answers").send_keys(Keys.ENTER)

    assert person.heading == "Thank you"
    assert browser.current_url.endswith(path + "/thanks")
    person.shot("thanks")
    person.accessible("thanks")
    person.fits("the thank-you page")
    (form,) = service.call(_stored)
    first = {i.id: (str(i.min) if i.kind == "score" else i.options[0].value) for i in layout.items}
    assert form.channel == "online" and form.answers == first and form.paired
    assert form.age_band == layout.form.age_bands[0].value


def test_the_paused_page_and_the_poster_pass_axe_and_fit_a_phone(
    service: RunningService, browser: webdriver.Chrome, artifacts: Path
) -> None:
    person = Participant(browser, artifacts)
    path = service.call(lambda world: world.participant_form())
    base = service.world.base_url
    browser.set_window_size(*PHONE)
    browser.get(base + path + "/poster")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Participant feedback form"
    qr = browser.find_element(By.CSS_SELECTOR, ".qr svg")
    assert qr.size["width"] >= 250  # a code a phone can read from across a room, when printed
    person.shot("poster-phone")
    person.accessible("poster")
    person.fits("the poster")
    browser.set_window_size(1024, 900)
    browser.get(base + path + "/poster")
    person.shot("poster")

    browser.set_window_size(*PHONE)
    browser.get(base + "/p/abcdefghijklmnop")
    assert person.heading == "This form's address does not work"
    person.shot("unknown")
    person.accessible("unknown")

    async def pause(world: WebWorld) -> None:
        grantee_id = (await world.context()).grantee.id
        await set_form_status(grantee_id, PERIOD, "follow_up", "paused", now=utc_now())

    service.call(pause)
    browser.get(base + path)
    assert person.heading == "This form is not taking answers just now"
    assert not browser.find_elements(By.TAG_NAME, "form")
    person.shot("paused")
    person.accessible("paused")
    person.fits("the paused page")
    assert service.call(_stored) == []
