"""The page after a form's step: drawn from the stored check-in once, briefly, while valid."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.channels.web.after_steps import KEEP_SECONDS, AfterSteps
from bot.conversation.web_links import OpenLink
from storage.records import CheckIn, CheckInContext, Grantee, Programme, Round
from storage.web_links import WebLink

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
CLOSES = NOW + timedelta(days=14)


class Clocks:
    """The wall clock links expire by, and the monotonic one pages are kept by."""

    def __init__(self) -> None:
        self.now = NOW
        self.seconds = 1000.0

    def wall(self) -> datetime:
        return self.now

    def monotonic(self) -> float:
        return self.seconds


def checkin(checkin_id: int = 7, version: int = 3, answered: int = 0) -> CheckIn:
    return CheckIn(
        id=checkin_id,
        round_id=2,
        grantee_id=5,
        status="in_progress",
        state={"answered": answered},
        version=version,
        started_at=NOW,
        completed_at=None,
        updated_at=NOW,
    )


def opened(token: str = "t" * 43, checkin_id: int = 7, version: int = 3) -> OpenLink:
    link = WebLink(11, checkin_id, 5, "key", expires_at=CLOSES, revoked_at=None)
    context = CheckInContext(
        checkin=checkin(checkin_id, version),
        grantee=Grantee(
            5, 1, "Amina", "Unity", "a@example.org", None, "Europe/London", "food", "Bradford",
            active=True, away_until=None, email_failing=False,
        ),
        round=Round(2, 1, "2026 Q4", NOW, None, CLOSES, None),
        programme=Programme(1, "p", "P", "f", "F", "fw", 1, "", (), (), {}, None),
    )
    return OpenLink(token, link, context)


def test_the_next_page_gets_the_check_in_as_the_step_stored_it_once() -> None:
    clocks = Clocks()
    pages = AfterSteps(clocks.wall, monotonic=clocks.monotonic)
    form = opened()
    pages.keep(form, checkin(version=4, answered=1))
    shown = pages.take(form.token)
    assert shown is not None
    assert shown.context.checkin.version == 4 and shown.context.checkin.state == {"answered": 1}
    assert shown.link == form.link and shown.context.grantee == form.context.grantee
    assert pages.take(form.token) is None  # any later page reads the database


def test_nothing_is_kept_past_its_few_seconds() -> None:
    clocks = Clocks()
    pages = AfterSteps(clocks.wall, monotonic=clocks.monotonic)
    form = opened()
    pages.keep(form, checkin(version=4))
    clocks.seconds += KEEP_SECONDS
    assert pages.take(form.token) is None


def test_a_link_that_expired_since_its_step_is_not_shown() -> None:
    clocks = Clocks()
    pages = AfterSteps(clocks.wall, monotonic=clocks.monotonic)
    form = opened()
    pages.keep(form, checkin(version=4))
    clocks.now = CLOSES  # the round's close passed between the form and its page
    assert pages.take(form.token) is None


def test_a_later_step_of_this_process_replaces_what_was_kept() -> None:
    clocks = Clocks()
    pages = AfterSteps(clocks.wall, monotonic=clocks.monotonic)
    form, other = opened(), opened("u" * 43, checkin_id=8)
    pages.keep(form, checkin(version=4, answered=1))
    pages.keep(other, checkin(8, version=4))
    pages.stored(checkin(version=5, answered=2))  # an email answered meanwhile
    pages.stored(checkin(version=4, answered=1))  # an older one, told late, changes nothing
    shown = pages.take(form.token)
    assert shown is not None and shown.context.checkin.version == 5
    assert shown.context.checkin.state == {"answered": 2}
    untouched = pages.take(other.token)
    assert untouched is not None and untouched.context.checkin == checkin(8, version=4)
