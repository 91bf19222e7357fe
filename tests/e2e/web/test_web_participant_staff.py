"""A grantee's participants' forms behind their check-in link, over HTTP: the hub, paper forms
keyed in (and taken back), held forms reviewed; and links that must change nothing."""

from __future__ import annotations

import html
import io
import re
from collections.abc import AsyncIterator
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from pypdf import PdfReader

import storage
from bot.channels.web.participant_keying import undo_check
from bot.channels.web.security import CONTENT_SECURITY_POLICY
from bot.clock import utc_now
from bot.conversation.frameworks import framework_for
from bot.participants.intake import Taken, take_form
from bot.participants.online import form_status
from bot.participants.secret import participant_secret
from storage import participants
from storage.participants import StoredResponse
from tests.support.participant_forms import online_burst
from tests.support.web_client import Client, Page
from tests.support.web_harness import EMAIL, OTHER_EMAIL, PERIOD, WebWorld, web_world

# a follow-up form as keyed from paper: positions, a label, a score, an age band, a code
PAPER = {
    "get_on_well": "1",
    "belong": "Fairly strongly",
    "life_satisfaction": "8",
    "age_band": "3",
    "code": "ma 07-le",
}
_FORM = re.compile(r'<form method="post" action="([^"]+)"[^>]*>(.*?)</form>', re.S)
_HIDDEN = re.compile(r'<input type="hidden" name="(\w+)" value="([^"]*)">')


@pytest.fixture
async def world(db_url: str, tmp_path: Path) -> AsyncIterator[WebWorld]:
    async with web_world(db_url, tmp_path) as opened:
        yield opened


@pytest.fixture
async def client(world: WebWorld) -> AsyncIterator[Client]:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        yield Client(session, world.base_url)


def forms(page: Page) -> list[tuple[str, dict[str, str]]]:
    """Each form on a page: where it posts, and its hidden fields."""
    return [
        (html.unescape(action), {n: html.unescape(v) for n, v in _HIDDEN.findall(body)})
        for action, body in _FORM.findall(page.text)
    ]


async def key_in(client: Client, page: Page, typed: dict[str, str]) -> Page:
    """Fill in and save the keying screen's form (not the undo button's)."""
    ((action, hidden),) = [(a, h) for a, h in forms(page) if not a.endswith("/undo")]
    return await client.post(action, {**hidden, **typed})


def field_value(page: Page, name: str) -> str:
    found = re.search(rf'name="{name}" type="text"[^>]*value="([^"]*)"', page.text)
    assert found is not None, name
    return html.unescape(found.group(1))


def banner(page: Page) -> str:
    found = re.search(r'class="notification-banner__heading">(.*?)</p>', page.text, re.S)
    return re.sub(r"<[^>]+>", "", html.unescape(found.group(1))).strip() if found else ""


async def grantee_id(world: WebWorld, email: str = EMAIL) -> int:
    return (await world.context(email)).grantee.id


async def stored(world: WebWorld, email: str = EMAIL) -> list[StoredResponse]:
    return await participants.responses(await grantee_id(world, email), PERIOD)


async def test_the_hub_counts_forms_and_links_each_kind(world: WebWorld, client: Client) -> None:
    link = await world.link()
    start = await client.get(link)
    assert f'href="/checkin/{link.rsplit("/", 1)[1]}/participants"' in start.text
    hub = await client.get(link + "/participants")
    assert hub.status == 200
    assert hub.heading == "Participants' feedback forms"
    assert "Baseline forms counted" in hub.text and "Follow-up forms counted" in hub.text
    assert "Held for your review" in hub.text
    for kind, slug in (("baseline", "baseline"), ("follow_up", "follow-up")):
        online = world.base_url + await world.participant_form(EMAIL, kind)
        assert (await client.get(online)).status == 200  # the address the hub gives opens
        assert f'href="{online}"' in hub.text
        assert f'href="{online}/poster"' in hub.text
        assert f"/participants/key/{slug}" in hub.text
        printed = await client.get(link + f"/participants/form/{slug}")
        assert printed.status == 200
        assert "To what extent do you agree or disagree" in printed.text
        assert online in printed.text and "<svg" in printed.text  # its QR code
        policy = printed.headers["Content-Security-Policy"]
        assert "style-src 'sha256-" in policy and "script" not in policy
        assert "default-src 'none'" in policy and "'unsafe-inline'" not in policy
        assert f'href="{hub.path}/form/{slug}/pdf"' in hub.text
        async with client.session.get(client.base_url + hub.path + f"/form/{slug}/pdf") as pdf:
            assert pdf.status == 200 and pdf.content_type == "application/pdf"
            assert (
                f'filename="{slug}-form-{PERIOD.lower().replace(" ", "-")}.pdf"'
                in (pdf.headers["Content-Disposition"])
            )
            reader = PdfReader(io.BytesIO(await pdf.read()))
        words = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
        assert "To what extent do you agree or disagree" in words and online in words
    assert hub.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert "<script" not in hub.text
    # the questions the forms' figures fill point to the forms
    first = await client.submit(start, {})
    assert first.path.endswith("/question/O1") and "/participants" not in first.text
    outcome = await client.get(link + "/question/O8")
    assert "Your participants' forms page" in outcome.text
    assert f'href="{hub.path}"' in outcome.text


async def test_keyed_forms_are_stored_as_keyed_and_counted(world: WebWorld, client: Client) -> None:
    link = await world.link()
    screen = await client.get(link + "/participants/key/follow-up")
    assert screen.heading == "Key in follow-up forms"
    assert "1 Definitely agree, 2 Tend to agree" in screen.text
    saved = await key_in(client, screen, PAPER)
    assert saved.status == 200 and saved.path.endswith("/participants/key/follow-up")
    assert banner(saved) == "Form 1 saved"
    assert field_value(saved, "get_on_well") == "" and field_value(saved, "code") == ""
    second = await key_in(client, saved, {"trust": "2", "age_band": "16 to 24"})
    assert banner(second) == "Form 2 saved"
    assert "2 follow-up forms are counted for 2026 Q4" in second.text
    forms_stored = await stored(world)
    assert [f.channel for f in forms_stored] == ["keyed", "keyed"]
    assert [f.held for f in forms_stored] == [False, False]
    first = forms_stored[0]
    assert first.kind == "follow_up" and first.paired and first.age_band == "a25_34"
    assert first.answers == {
        "get_on_well": "definitely_agree",
        "belong": "fairly_strongly",
        "life_satisfaction": "8",
    }
    baseline = await client.get(link + "/participants/key/baseline")
    await key_in(client, baseline, {"belong": "4", "code": "MA07LE"})
    context = await world.context()
    online = await take_form(
        framework_for(context.programme),
        grantee_id=context.grantee.id,
        period=PERIOD,
        kind="baseline",
        channel="online",
        fields={"belong": "1", "code": "Ma 07 le"},
        now=utc_now(),
        secret=participant_secret(world.service.settings),
    )
    assert isinstance(online, Taken)
    # one person's code, keyed from paper and typed online: the same stored key, so they pair
    coded = await participants.coded_answers(context.grantee.id, PERIOD)
    assert len({c.pair_key for c in coded}) == 1 and {c.kind for c in coded} == {
        "baseline",
        "follow_up",
    }
    counts = await participants.form_counts(await grantee_id(world), PERIOD)
    assert counts.forms == {"baseline": 2, "follow_up": 2}
    hub = await client.get(link + "/participants")
    assert re.search(r"Follow-up forms counted</dt><dd[^>]*>2<", hub.text)
    assert re.search(r"Baseline forms counted</dt><dd[^>]*>2<", hub.text)


async def test_a_bad_form_keeps_what_was_typed_and_stores_nothing(
    world: WebWorld, client: Client
) -> None:
    link = await world.link()
    screen = await client.get(link + "/participants/key/follow-up")
    typed = {**PAPER, "get_on_well": "7", "life_satisfaction": "11", "code": "x"}
    refused = await key_in(client, screen, typed)
    assert refused.status == 400
    assert refused.title.startswith("Error: ")
    assert "There is a problem" in refused.text
    for name in ("get_on_well", "life_satisfaction", "code"):
        assert f'href="#{name}"' in refused.text  # the summary links to the field
        assert f'id="{name}-error"' in refused.text  # and the message is by it
    assert "Enter a number from 1 to 4, or leave it blank" in refused.text
    assert "Enter a whole number from 0 to 10, or leave it blank" in refused.text
    for name, value in typed.items():
        assert field_value(refused, name) == value
    assert await stored(world) == []
    empty = await key_in(client, screen, {})
    assert empty.status == 400 and "it is empty" in empty.text
    assert await stored(world) == []
    fixed = await client.submit(
        refused, {**typed, "get_on_well": "2", "life_satisfaction": "10", "code": "MA07LE"}
    )
    assert banner(fixed) == "Form 1 saved"
    (only,) = await stored(world)
    assert only.answers["get_on_well"] == "tend_to_agree"


async def test_a_form_sent_twice_is_stored_once(world: WebWorld, client: Client) -> None:
    screen = await client.get(await world.link() + "/participants/key/follow-up")
    first = await key_in(client, screen, PAPER)
    again = await key_in(client, screen, PAPER)  # the same page's form: Enter pressed twice
    assert banner(first) == banner(again) == "Form 1 saved"
    assert len(await stored(world)) == 1


async def test_undo_takes_back_only_the_form_just_keyed(world: WebWorld, client: Client) -> None:
    link = await world.link()
    screen = await client.get(link + "/participants/key/follow-up")
    one = await key_in(client, screen, PAPER)
    two = await key_in(client, one, {"belong": "1"})
    assert banner(two) == "Form 2 saved"
    (undo_action, undo_fields), _ = forms(two)
    assert undo_action.endswith("/undo")
    undone = await client.post(undo_action, undo_fields)
    assert undone.status == 200 and banner(undone) == "Form 2 taken back"
    kept = await stored(world)
    assert [f.answers for f in kept] == [
        {"get_on_well": "definitely_agree", "belong": "fairly_strongly", "life_satisfaction": "8"}
    ]
    twice = await client.post(undo_action, undo_fields)
    assert twice.status == 409 and len(await stored(world)) == 1
    # a made-up check, or another form's id under this one's check: refused
    forged = await client.post(undo_action, {**undo_fields, "check": "0" * 32})
    assert forged.status == 400
    other = await client.post(undo_action, {**undo_fields, "saved": str(kept[0].id)})
    assert other.status == 400
    # an online form can never be taken back from here, even with a check that fits it
    (online_id,) = await online_burst(world, 1)
    key = undo_fields["form_key"]
    online = await client.post(
        undo_action,
        {**undo_fields, "saved": str(online_id), "check": undo_check(key, "follow_up", online_id)},
    )
    assert online.status == 409
    assert {f.id for f in await stored(world)} == {kept[0].id, online_id}


async def test_held_forms_are_listed_accepted_and_discarded(
    world: WebWorld, client: Client
) -> None:
    held_ids = await online_burst(world, 7)
    gid = await grantee_id(world)
    counts = await participants.form_counts(gid, PERIOD)
    assert (counts.forms["follow_up"], counts.held) == (0, 7)
    link = await world.link()
    hub = await client.get(link + "/participants")
    assert "7 forms are held for your review" in banner(hub)
    review = await client.get(link + "/participants/review")
    assert review.heading == "Held forms"
    assert review.text.count("Online form") == 7
    assert "More than 5 forms came from one internet address within 10 minutes" in review.text
    assert "Q2 Very strongly" in review.text and "25 to 34" in review.text
    first = (await participants.responses(gid, PERIOD, held=True))[0]
    context = await world.context()
    shown = first.received_at.astimezone(ZoneInfo(context.grantee.timezone)).strftime("%H:%M")
    assert f"at {shown}" in review.text  # in the grantee's timezone

    everything, first_form, *_ = forms(review)
    assert everything[1]["ids"].split() == [str(i) for i in held_ids]
    accepted = await client.post(first_form[0], {**first_form[1], "action": "accept"})
    assert banner(accepted) == "1 form accepted: it is now counted"
    counts = await participants.form_counts(gid, PERIOD)
    assert (counts.forms["follow_up"], counts.held) == (1, 6)

    remaining, *_ = forms(accepted)
    asked = await client.post(remaining[0], {**remaining[1], "action": "discard"})
    assert asked.heading == "Discard 6 held forms?"
    assert (await participants.form_counts(gid, PERIOD)).held == 6  # nothing yet
    ((confirm_action, confirm_fields),) = forms(asked)
    discarded = await client.post(confirm_action, {**confirm_fields, "action": "discard-confirmed"})
    assert banner(discarded) == "6 forms discarded: deleted, and never counted"
    assert "No forms are held" in discarded.text
    left = await stored(world)
    assert [(f.id, f.held) for f in left] == [(held_ids[0], False)]


async def test_a_missing_form_key_changes_nothing(world: WebWorld, client: Client) -> None:
    held_ids = await online_burst(world, 6)
    link = await world.link()
    screen = await client.get(link + "/participants/key/follow-up")
    no_key = {k: v for k, v in screen.hidden().items() if k != "form_key"}
    refused = await client.post(screen.form_action(), {**no_key, **PAPER})
    assert refused.status == 400 and "Nothing was saved" in refused.text
    review = await client.get(link + "/participants/review")
    action, fields = forms(review)[0]
    del fields["form_key"]
    for decision in ("accept", "discard-confirmed"):
        assert (await client.post(action, {**fields, "action": decision})).status == 400
    assert {(f.id, f.held) for f in await stored(world)} == {(i, True) for i in held_ids}


async def test_another_grantees_link_changes_nothing(world: WebWorld, client: Client) -> None:
    held_ids = await online_burst(world, 6)
    mine = await world.link()
    theirs = await world.link(OTHER_EMAIL)
    my_screen = await client.get(mine + "/participants/key/follow-up")
    crossed = await client.post(
        theirs + "/participants/key/follow-up", {**my_screen.hidden(), **PAPER}
    )
    assert crossed.status == 400
    my_review = await client.get(mine + "/participants/review")
    action, fields = forms(my_review)[0]
    crossed_review = action.replace(mine.split("/checkin/")[1], theirs.split("/checkin/")[1])
    assert (await client.post(crossed_review, {**fields, "action": "accept"})).status == 400
    # their own form key with my forms' ids: none of them is theirs to accept or discard
    their_review = await client.get(theirs + "/participants/review")
    assert "No forms are held" in their_review.text
    their_key = forms(await client.get(theirs + "/participants/key/follow-up"))[0][1]["form_key"]
    for decision in ("accept", "discard-confirmed"):
        posted = await client.post(
            crossed_review, {"form_key": their_key, "ids": fields["ids"], "action": decision}
        )
        assert posted.status == 200 and "No forms are held" in posted.text
    assert {(f.id, f.held) for f in await stored(world)} == {(i, True) for i in held_ids}
    assert await stored(world, OTHER_EMAIL) == []


async def test_an_expired_link_changes_nothing(world: WebWorld, client: Client) -> None:
    held_ids = await online_burst(world, 6)
    link = await world.link()
    screen = await client.get(link + "/participants/key/follow-up")
    review = await client.get(link + "/participants/review")
    context = await world.context()
    await storage.close_round(context.round.id, now=utc_now())
    for path in ("", "/key/follow-up", "/review", "/form/baseline"):
        page = await client.get(link + "/participants" + path)
        assert page.status == 410 and page.heading == "This link has expired"
    late = await key_in(client, screen, PAPER)
    assert late.status == 410
    action, fields = forms(review)[0]
    assert (await client.post(action, {**fields, "action": "accept"})).status == 410
    after = await participants.responses(context.grantee.id, PERIOD)
    assert {(f.id, f.held) for f in after} == {(i, True) for i in held_ids}


async def test_the_online_forms_are_paused_closed_and_reopened_from_the_hub(
    world: WebWorld, client: Client
) -> None:
    link = await world.link()
    gid = await grantee_id(world)
    online = await world.participant_form(EMAIL, "follow_up")
    hub = await client.get(link + "/participants")
    assert hub.text.count("Open: taking answers") == 2
    follow_up = f"{hub.path}/status/follow-up"
    key = forms(hub)[0][1]["form_key"]
    paused = await client.post(follow_up, {"form_key": key, "status": "paused"})
    assert banner(paused) == "The online follow-up form is paused"
    assert await form_status(gid, PERIOD, "follow_up") == "paused"
    assert await form_status(gid, PERIOD, "baseline") == "open"
    assert (await client.get(online)).heading == "This form is not taking answers just now"
    assert "Reopen the online follow-up form" in paused.text
    assert "Pause the online follow-up form" not in paused.text
    closed = await client.post(follow_up, {"form_key": key, "status": "closed"})
    assert banner(closed) == "The online follow-up form is closed"
    assert (await client.get(online)).status == 410
    reopened = await client.post(follow_up, {"form_key": key, "status": "open"})
    assert banner(reopened) == "The online follow-up form is reopened"
    assert (await client.get(online)).status == 200
    # a form without its key, with a status that is none, or crossing to another grantee's link
    theirs = await world.link(OTHER_EMAIL)
    their_key = forms(await client.get(theirs + "/participants"))[0][1]["form_key"]
    refused = [
        await client.post(follow_up, {"status": "closed"}),
        await client.post(follow_up, {"form_key": key, "status": "gone"}),
        await client.post(follow_up, {"form_key": their_key, "status": "closed"}),
        await client.post(
            f"{theirs}/participants/status/follow-up", {"form_key": key, "status": "closed"}
        ),
    ]
    assert [r.status for r in refused] == [400, 400, 400, 400]
    assert await form_status(gid, PERIOD, "follow_up") == "open"
    other = (await world.context(OTHER_EMAIL)).grantee.id
    assert await form_status(other, PERIOD, "follow_up") == "open"
    context = await world.context()
    await storage.close_round(context.round.id, now=utc_now())
    late = await client.post(follow_up, {"form_key": key, "status": "closed"})
    assert late.status == 410
    assert await form_status(gid, PERIOD, "follow_up") == "open"
