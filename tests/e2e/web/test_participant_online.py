"""A participant's form online, over HTTP: stored and counted, or refused with nothing stored."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.channels.web.participant_pages import FORMS_PER_ADDRESS, FORMS_PER_FORM
from bot.channels.web.participant_views import STALE_FORM
from bot.channels.web.security import CONTENT_SECURITY_POLICY, signed_form_key
from bot.clock import utc_now
from bot.participants.offer import figures_for
from bot.participants.online import form_status, set_form_status
from bot.participants.secret import participant_secret
from storage import participants
from tests.support.web_client import Client, Page
from tests.support.web_harness import OTHER_EMAIL, PERIOD, WebWorld, web_world

ANSWERS = {
    "get_on_well": "tend_to_agree",
    "belong": "very_strongly",
    "life_satisfaction": "7",
    "lonely": "hardly_ever",
    "age_band": "a25_34",
    "code": "ma 07-le",
}


def field_error(page: Page, name: str) -> str | None:
    found = re.search(rf'<p id="{name}-error" class="error-message">(.*?)</p>', page.text, re.S)
    if found is None:
        return None
    return re.sub(r"<[^>]+>", "", html.unescape(found.group(1))).replace("Error:", "").strip()


def summary_links(page: Page) -> list[tuple[str, str]]:
    box = re.search(r'<div class="error-summary".*?</div>', page.text, re.S)
    found = re.findall(r'<a href="#([^"]+)">(.*?)</a>', box.group(0)) if box else []
    return [(anchor, html.unescape(text)) for anchor, text in found]


def checked(page: Page) -> dict[str, str]:
    found = re.findall(r'name="(\w+)" type="radio" value="(\w+)" checked', page.text)
    return dict(found)


async def stored(world: WebWorld, email: str = "") -> list[participants.StoredResponse]:
    context = await world.context(email) if email else await world.context()
    return await participants.responses(context.grantee.id, PERIOD)


async def post_from(client: Client, path: str, data: dict[str, str], address: str) -> Page:
    """A form sent through the proxy in front (loopback, trusted by default) for `address`."""
    url = client._url(path)
    headers = {"X-Forwarded-For": f"10.9.9.9, {address}"}  # only the proxy's own entry counts
    async with client.session.post(url, data=data, headers=headers) as response:
        return Page(
            response.status, str(response.url), await response.text(), dict(response.headers)
        )


async def test_a_form_filled_in_online_is_stored_and_counted(
    world: WebWorld, client: Client
) -> None:
    path = await world.participant_form()
    blank = await client.get(path)
    assert blank.status == 200 and blank.heading == "Now that you have taken part"
    assert blank.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert "<script" not in blank.text
    assert "Unity Through Food" in blank.text
    thanks = await client.submit(blank, ANSWERS)
    assert (thanks.status, thanks.path) == (200, path + "/thanks")
    assert thanks.heading == "Thank you"
    (form,) = await stored(world)
    assert form.channel == "online" and form.kind == "follow_up" and not form.held
    assert form.answers == {
        "get_on_well": "tend_to_agree",
        "belong": "very_strongly",
        "life_satisfaction": "7",
        "lonely": "hardly_ever",
    }
    assert form.age_band == "a25_34" and form.paired
    figures = await figures_for(await world.context())
    assert figures is not None and figures.forms["follow_up"] == 1 and figures.held == 0
    assert figures.follow_up["get_on_well"].counted == 1
    assert figures.follow_up["life_satisfaction"].mean == 7.0
    # as typed from a poster: capitals, and 0 or 1 for the letters o and l
    typed = path.upper().replace("/P/", "/p/").replace("O", "0").replace("L", "1")
    assert (await client.get(typed)).heading == "Now that you have taken part"


async def test_bad_input_comes_back_with_its_entries_and_stores_nothing(
    world: WebWorld, client: Client
) -> None:
    path = await world.participant_form()
    blank = await client.get(path)
    wrong = await client.submit(blank, {"get_on_well": "tend_to_agree", "code": "AB"})
    assert wrong.status == 400 and wrong.title.startswith("Error: ")
    assert "There is a problem" in wrong.text
    message = "A code has 4 to 16 letters and numbers, like MA07LE. Leave it blank if you prefer."
    assert summary_links(wrong) == [("code", message)]
    assert field_error(wrong, "code") == message  # the same words by the field
    assert checked(wrong) == {"get_on_well": "tend_to_agree"}  # what was chosen, kept
    assert 'id="code"' in wrong.text and 'value="AB"' in wrong.text
    empty = await client.submit(wrong, {"get_on_well": "", "code": ""})
    assert empty.status == 400
    assert summary_links(empty) == [
        ("get_on_well-1", "The form is empty: answer at least one question.")
    ]
    forged_value = await client.submit(wrong, {"get_on_well": "certainly", "code": ""})
    assert (field_error(forged_value, "get_on_well") or "").startswith(
        "Choose one of: Definitely agree"
    )
    assert await stored(world) == []
    fixed = await client.submit(wrong, {"get_on_well": "tend_to_agree", "code": "AB07LE"})
    assert fixed.heading == "Thank you"
    assert [f.answers for f in await stored(world)] == [{"get_on_well": "tend_to_agree"}]


async def test_a_missing_forged_or_old_form_key_stores_nothing(
    world: WebWorld, client: Client
) -> None:
    path = await world.participant_form()
    other = await world.participant_form(OTHER_EMAIL)
    blank = await client.get(path)
    key = blank.hidden()["form_key"]
    issued, _, signature = key.partition(".")
    refused = {
        "missing": {},
        "forged": {"form_key": f"{issued}.{'0' * len(signature)}"},
        "another form's": {"form_key": (await client.get(other)).hidden()["form_key"]},
        "from the future": {"form_key": f"{int(issued) + 3600}.{signature}"},
    }
    for why, fields in refused.items():
        page = await client.post(path, {**ANSWERS, **fields})
        assert page.status == 400, why
        assert page.heading == "This form could not be accepted", why
        assert "Nothing was sent." in page.text
    secret = participant_secret(world.service.settings)
    old = signed_form_key(secret, path.rsplit("/", 1)[1], int(utc_now().timestamp()) - 25 * 3600)
    stale = await client.post(path, {**ANSWERS, "form_key": old})
    assert stale.status == 400 and summary_links(stale) == [("send", STALE_FORM)]
    assert checked(stale)["get_on_well"] == "tend_to_agree"  # the answers are kept to send again
    assert await stored(world) == []
    again = await client.submit(stale, ANSWERS)  # as the browser sends what the page shows
    assert again.heading == "Thank you" and len(await stored(world)) == 1


async def test_an_unknown_address_says_so_and_stores_nothing(
    world: WebWorld, client: Client
) -> None:
    await world.participant_form()
    page = await client.get("/p/abcdefghijklmnop")
    assert page.status == 404 and page.heading == "This form's address does not work"
    assert "16 letters and numbers" in page.text
    posted = await client.post("/p/abcdefghijklmnop", {**ANSWERS, "form_key": "1.x"})
    assert posted.status == 404
    assert (await client.get("/p/abcdefghijklmnop/poster")).status == 404
    assert await stored(world) == []


async def test_paused_and_closed_forms_store_nothing(world: WebWorld, client: Client) -> None:
    path = await world.participant_form()
    grantee_id = (await world.context()).grantee.id
    blank = await client.get(path)  # opened before the grantee pauses it
    await set_form_status(grantee_id, PERIOD, "follow_up", "paused", now=utc_now())
    assert await form_status(grantee_id, PERIOD, "follow_up") == "paused"
    paused = await client.get(path)
    assert paused.status == 200 and paused.heading == "This form is not taking answers just now"
    assert 'name="form_key"' not in paused.text
    late = await client.submit(blank, ANSWERS)
    assert late.status == 409 and "Nothing was sent from this page." in late.text
    await set_form_status(grantee_id, PERIOD, "follow_up", "closed", now=utc_now())
    closed = await client.get(path)
    assert closed.status == 410 and closed.heading == "This form has closed"
    assert (await client.submit(blank, ANSWERS)).status == 410
    assert await stored(world) == []
    await set_form_status(grantee_id, PERIOD, "follow_up", "open", now=utc_now())
    assert (await client.submit(await client.get(path), ANSWERS)).heading == "Thank you"
    assert len(await stored(world)) == 1


async def test_too_many_forms_from_one_address_are_refused(world: WebWorld, client: Client) -> None:
    path = await world.participant_form()
    key = (await client.get(path)).hidden()
    for _ in range(FORMS_PER_ADDRESS):
        assert (await post_from(client, path, key, "192.0.2.10")).status == 400  # empty forms
    refused = await post_from(client, path, {**key, **ANSWERS}, "192.0.2.10")
    assert refused.status == 429 and refused.heading == "Too many forms sent just now"
    assert 1 <= int(refused.headers["Retry-After"]) <= 601
    assert f"wait {refused.headers['Retry-After']} seconds" in refused.text
    elsewhere = await post_from(client, path, {**key, **ANSWERS}, "192.0.2.11")
    assert elsewhere.heading == "Thank you"
    assert len(await stored(world)) == 1  # the refused one is not among them


async def test_too_many_forms_to_one_form_are_refused(world: WebWorld, client: Client) -> None:
    path = await world.participant_form()
    other = await world.participant_form(OTHER_EMAIL)
    key = (await client.get(path)).hidden()
    for n in range(FORMS_PER_FORM):
        assert (await post_from(client, path, key, f"198.51.{n // 250}.{n % 250}")).status == 400
    refused = await post_from(client, path, {**key, **ANSWERS}, "203.0.113.77")
    assert refused.status == 429 and "Retry-After" in refused.headers
    assert await stored(world) == []
    thanks = await post_from(
        client, other, {**(await client.get(other)).hidden(), **ANSWERS}, "203.0.113.77"
    )
    assert thanks.heading == "Thank you"  # another grantee's form is its own
    assert len(await stored(world, OTHER_EMAIL)) == 1


async def test_a_flood_is_held_not_counted_and_thanked_alike(
    world: WebWorld, client: Client
) -> None:
    path = await world.participant_form()
    key = (await client.get(path)).hidden()
    # a person's own answers; the script's are all alike (which alone makes them a burst)
    person = {**ANSWERS, "life_satisfaction": "8"}
    genuine = await post_from(client, path, {**key, **person}, "192.0.2.1")
    before = await figures_for(await world.context())
    assert before is not None and before.forms["follow_up"] == 1
    flood = [await client.post(path, {**key, **ANSWERS}) for _ in range(12)]
    assert {page.status for page in flood} == {200}
    assert {page.text for page in flood} == {genuine.text}  # nothing tells a held form apart
    after = await figures_for(await world.context())
    assert after is not None
    assert after.forms == before.forms and after.follow_up == before.follow_up
    assert after.held == 12
    held = [f for f in await stored(world) if f.held]
    assert len(held) == 12 and {f.channel for f in held} == {"online"}


@pytest.fixture
async def untrusting(db_url: str, tmp_path: Path) -> AsyncIterator[tuple[WebWorld, Client]]:
    """The service with no trusted proxy: X-Forwarded-For is never read."""
    async with (
        web_world(db_url, tmp_path, trusted_proxies=[]) as opened,
        aiohttp.ClientSession() as session,
    ):
        yield opened, Client(session, opened.base_url)


async def six_people(where: WebWorld, who: Client) -> list[participants.StoredResponse]:
    """Six forms, each through the proxy for an address of its own."""
    path = await where.participant_form()
    key = (await who.get(path)).hidden()
    for n in range(6):
        answers = {**ANSWERS, "life_satisfaction": str(n)}
        assert (await post_from(who, path, {**key, **answers}, f"192.0.2.{n}")).status == 200
    return await stored(where)


async def test_a_trusted_proxy_names_each_sender(world: WebWorld, client: Client) -> None:
    forms = await six_people(world, client)
    assert len(forms) == 6 and not any(f.held for f in forms)  # six addresses


async def test_without_a_trusted_proxy_forwarded_addresses_are_ignored(
    untrusting: tuple[WebWorld, Client],
) -> None:
    forms = await six_people(*untrusting)
    assert len(forms) == 6 and all(f.held for f in forms)  # the one peer address: a burst


async def test_the_poster_shows_the_qr_code_and_short_address(
    world: WebWorld, client: Client
) -> None:
    path = await world.participant_form()
    poster = await client.get(path + "/poster")
    assert poster.status == 200
    assert poster.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    link = world.base_url + path
    assert f"QR code for {link}" in poster.text and "<path" in poster.text
    assert link.split("://", 1)[1] in poster.text
    assert "Scan the code with your phone" in poster.text and "type this address" in poster.text
    assert '<link rel="stylesheet" href="/static/poster.css">' in poster.text
    assert "<style" not in poster.text  # the CSP allows no inline styles
    css = await client.get("/static/poster.css")
    assert css.status == 200 and "@media print" in css.text
