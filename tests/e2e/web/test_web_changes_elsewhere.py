"""Changes another process makes show on a link's next request, whatever this one read before."""

from __future__ import annotations

from pathlib import Path

import pytest

import storage
from bot.admin import operations as admin
from bot.clock import utc_now
from bot.conversation.channel import InboundMessage
from bot.conversation.dispatcher import Dispatcher
from storage import models as m
from storage import web_links
from tests.support.web_client import Client
from tests.support.web_harness import EXAMPLES, WebWorld

WORDING = "How many sessions, activities or events did you run"


async def answers(checkin_id: int) -> dict[str, object]:
    return {a.question_id: a.value for a in await storage.answers_for_checkin(checkin_id)}


@pytest.mark.parametrize("change", ["revoked", "closed", "taken off the programme"])
async def test_a_link_switched_off_elsewhere_opens_nothing_on_the_next_request(
    world: WebWorld, client: Client, change: str
) -> None:
    link = await world.link()
    first = await client.submit(await client.get(link), {})
    assert first.path.endswith("/question/O1")
    again = await client.get(link + "/question/O1")
    assert again.status == 200
    context = await world.context()
    # each as another process does it: this one hears of none of them
    if change == "revoked":
        await web_links.revoke_links(checkin_ids=[context.checkin.id], now=utc_now())
    elif change == "closed":
        await storage.close_round(context.round.id, now=utc_now())
    else:
        await m.Grantee.filter(id=context.grantee.id).update(active=False)
    status = 410 if change == "closed" else 403
    page = await client.get(link + "/question/O1")
    assert page.status == status
    refused = await client.submit(again, {"answer": "12", "action": "continue"})
    assert refused.status == status
    assert await answers(context.checkin.id) == {}


async def test_a_step_another_process_stored_shows_on_the_next_page(
    world: WebWorld, client: Client
) -> None:
    link = await world.link()
    await client.submit(await client.get(link), {})
    page = await client.get(link + "/question/O1")
    assert page.status == 200 and 'value="15"' not in page.text
    # another instance's dispatcher: its own locks, and nothing of this one's told of its step
    other = Dispatcher(world.service.dispatcher.channels)
    context = await world.context()
    reply = InboundMessage("email", "<other@example.org>", context.grantee.email, "15", "O1")
    await other.handle(context.checkin.id, reply)
    shown = await client.get(link + "/question/O1")
    stored = await world.context()
    assert shown.hidden()["version"] == str(stored.checkin.version)
    assert 'value="15"' in shown.text
    # the page read before that step is a stale tab: its form changes nothing
    stale = await client.submit(page, {"answer": "16", "action": "continue"})
    assert stale.status == 409
    assert await answers(context.checkin.id) == {"O1": 15}
    saved = await client.submit(shown, {"answer": "16", "action": "continue"})
    assert saved.status == 200 and saved.path.endswith("/question/O2")
    assert await answers(context.checkin.id) == {"O1": 16}


async def test_a_grantee_changed_elsewhere_shows_on_the_next_page(
    world: WebWorld, client: Client
) -> None:
    link = await world.link()
    before = await client.get(link + "/participants")
    assert before.status == 200
    context = await world.context()
    await m.Grantee.filter(id=context.grantee.id).update(organisation="Unity Through Food CIC")
    after = await client.get(link + "/participants")
    assert "Unity Through Food CIC" in after.text
    assert "Unity Through Food CIC" not in before.text


async def test_a_new_framework_text_is_read_on_the_next_page(
    world: WebWorld, client: Client, tmp_path: Path
) -> None:
    link = await world.link()
    await client.submit(await client.get(link), {})
    before = await client.get(link + "/question/O1")
    programme = await storage.get_programme(world.programme_slug)
    assert programme is not None
    reworded = programme.framework_toml.replace(WORDING, "How many sessions did you hold", 1)
    assert reworded != programme.framework_toml
    framework_file = tmp_path / "framework.toml"
    framework_file.write_text(reworded, encoding="utf-8")
    spec = (EXAMPLES / "programme.toml").read_text(encoding="utf-8")
    programme_file = tmp_path / "programme.toml"
    programme_file.write_text(
        spec.replace('framework = "social_cohesion_v1"', f'framework = "{framework_file}"'),
        encoding="utf-8",
    )
    await admin.load_programme(programme_file)
    after = await client.get(link + "/question/O1")
    assert WORDING in before.text and "How many sessions did you hold" not in before.text
    assert "How many sessions did you hold" in after.text and WORDING not in after.text
