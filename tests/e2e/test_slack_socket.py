"""Slack Socket Mode for real: the stand-in hands out a ws:// address and pushes envelopes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from slack_bolt.app.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

import storage
from bot.admin import operations as admin
from bot.channels.slack.server import InFlight, SlackServer
from bot.service import Service
from bot.settings import SettingsError, SlackSettings
from tests.support.fake_slack import SlackStandIn, message_event, slash_command
from tests.support.slack_harness import (
    AMINA,
    AMINA_EMAIL,
    OPENED,
    running,
    scripted_standin,
    workspace,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture
async def socket_service(db_url: str) -> AsyncIterator[tuple[SlackStandIn, Service]]:
    standin = scripted_standin(workspace())
    await standin.start()
    try:
        # no signing secret: Socket Mode needs none, and no HTTP port is opened
        async with running(
            db_url, standin, app_token="xapp-1-test", signing_secret=None
        ) as service:
            programme = await admin.load_programme(EXAMPLES / "programme.toml")
            await admin.import_grantees(EXAMPLES / "grantees.csv", programme.slug)
            await admin.open_round(programme.slug, "2026 Q4", now=OPENED, timezone="Europe/London")
            yield standin, service
    finally:
        await standin.stop()


async def test_socket_mode_connects_and_answers_commands_and_messages(
    socket_service: tuple[SlackStandIn, Service],
) -> None:
    standin, service = socket_service
    server = next(c for c in service.components if isinstance(c, SlackServer))
    assert server.socket_mode and server.port is None
    assert len(standin.called("apps.connections.open")) == 1

    envelope = await standin.push("slash_commands", slash_command(AMINA))
    ack = await standin.wait_for_ack(envelope)
    assert "direct messages" in str(ack.get("payload"))
    await standin.wait_for(lambda: len(standin.posts(f"D{AMINA}")) >= 1)
    assert "Hello Amina Hussain" in standin.posts(f"D{AMINA}")[0].params["text"]

    event = message_event(AMINA, "12 sessions")
    acked = await standin.wait_for_ack(await standin.push("events_api", event))
    assert acked["envelope_id"]
    # the same event pushed again (Slack redelivers over sockets too) is handled once
    await standin.wait_for_ack(await standin.push("events_api", event))
    await standin.wait_for(lambda: len(standin.posts(f"D{AMINA}")) >= 2)
    await standin.wait_for_ack(await standin.push("events_api", message_event(AMINA, "300")))
    await standin.wait_for(lambda: len(standin.posts(f"D{AMINA}")) >= 3)
    (context,) = await storage.open_checkins_for_email(AMINA_EMAIL)
    assert context.checkin.state["answers"] == {"O1": 12, "O2": 300}
    assert len(standin.posts(f"D{AMINA}")) == 3


@pytest.mark.parametrize(
    ("secrets", "says"),
    [
        ({"signing_secret": None}, "SLACK_SIGNING_SECRET"),
        ({"app_token": "xoxb-wrong-kind"}, "must be an app-level token starting xapp-"),
        ({"bot_token": "xoxb-revoked"}, r"Slack refused SLACK_BOT_TOKEN \(invalid_auth\)"),
    ],
)
async def test_missing_or_wrong_secrets_stop_the_start_with_what_to_set(
    secrets: dict[str, str | None], says: str
) -> None:
    standin = SlackStandIn()
    await standin.start()
    if secrets.get("bot_token") == "xoxb-revoked":
        standin.fail("auth.test", "invalid_auth")
    values = {"api_base_url": standin.api_url, "bot_token": "xoxb-test", "signing_secret": "s"}
    settings = SlackSettings.model_validate(values | secrets)
    client = AsyncWebClient(token="xoxb-test", base_url=standin.api_url)
    server = SlackServer(AsyncApp(client=client, signing_secret="s"), settings, InFlight())
    try:
        with pytest.raises(SettingsError, match=says):
            await server.start()
    finally:
        await server.stop()
        await standin.stop()
