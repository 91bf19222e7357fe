"""Slack's side of the service: the Web API client, and bolt served over HTTP or Socket Mode."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import Any

import aiohttp
from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.app.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.channels.slack.guard import events_app
from bot.settings import SettingsError, SlackSettings
from storage.common import json_text

log = logging.getLogger(__name__)
EVENTS_PATH = "/slack/events"
_BAD_TOKEN_ERRORS = frozenset({"invalid_auth", "not_authed", "account_inactive", "token_revoked"})


class SlackError(SettingsError):
    """The Slack channel cannot start: the message says which setting to fix."""


def web_client(settings: SlackSettings) -> AsyncWebClient:
    token = settings.bot_token.get_secret_value() if settings.bot_token else None
    if not token:
        raise SlackError(
            "slack needs a bot token: set SLACK_BOT_TOKEN (xoxb-...) from your app's "
            "OAuth & Permissions page"
        )
    return AsyncWebClient(
        token=token,
        base_url=settings.api_base_url,
        logger=leveled_logger("slack_sdk.web.async_base_client"),
    )


def leveled_logger(name: str) -> logging.Logger:
    """A library's logger with its own level set to the level in force.

    slack_sdk and bolt decide whether to build a debug message by testing `logger.level`, and
    a logger left unset (level 0, the default) passes that test: they then format every Web API
    request and response, Block Kit and all, and every middleware step, only for logging to
    drop the message. That cost a tenth of a Slack turn.
    """
    logger = logging.getLogger(name)
    logger.setLevel(logger.getEffectiveLevel())
    return logger


class InFlight:
    """Listener work still running after Slack was answered, so a stop can let it finish."""

    def __init__(self, grace_seconds: float = 10.0) -> None:
        self.grace_seconds = grace_seconds
        self._tasks: set[asyncio.Task[Any]] = set()

    async def run(self, work: Awaitable[None]) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            await work
        finally:
            if task is not None:
                self._tasks.discard(task)

    async def drain(self) -> None:
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=self.grace_seconds)


class SlackServer:
    """Runs a bolt app: Socket Mode when an app token is set, else the HTTP Events endpoint."""

    name = "slack"

    def __init__(self, app: AsyncApp, settings: SlackSettings, listeners: InFlight) -> None:
        self.app = app
        self.settings = settings
        self.port: int | None = None  # the HTTP port actually bound (settings may say 0)
        self._runner: web.AppRunner | None = None
        self._socket: AsyncSocketModeHandler | None = None
        self._own_session: aiohttp.ClientSession | None = None
        self.listeners = listeners

    @property
    def socket_mode(self) -> bool:
        return self.settings.app_token is not None

    async def start(self) -> None:
        client = self.app.client
        if client.session is None:
            # one pooled session for every Web API call (without it slack_sdk opens a new
            # connection per call); bodies in storage's JSON (orjson: Block Kit several times
            # faster than json)
            client.session = aiohttp.ClientSession(json_serialize=json_text)
            self._own_session = client.session
        await self._check_bot_token()
        if self.settings.app_token is not None:
            token = self.settings.app_token.get_secret_value()
            if not token.startswith("xapp-"):
                raise SlackError(
                    "SLACK_APP_TOKEN must be an app-level token starting xapp- (Basic "
                    "Information > App-Level Tokens, scope connections:write)"
                )
            self._socket = AsyncSocketModeHandler(self.app, app_token=token)
            try:
                await self._socket.connect_async()  # type: ignore[no-untyped-call]
            except SlackApiError as exc:
                raise SlackError(
                    f"Slack refused SLACK_APP_TOKEN ({exc.response.get('error')}); generate an "
                    "app-level token with the connections:write scope and set it again"
                ) from exc
            log.info("Slack Socket Mode connected")
            return
        if self.settings.signing_secret is None:
            raise SlackError(
                "Slack HTTP mode needs SLACK_SIGNING_SECRET (Basic Information > App "
                "Credentials); or set SLACK_APP_TOKEN to use Socket Mode instead"
            )
        secret = self.settings.signing_secret.get_secret_value()
        self._runner = web.AppRunner(events_app(self.app, secret, EVENTS_PATH))
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.settings.http_host, self.settings.http_port)
        await site.start()
        address = self._runner.addresses[0]
        self.port = int(address[1])
        log.info("Slack events at http://%s:%s%s", address[0], self.port, EVENTS_PATH)

    async def _check_bot_token(self) -> None:
        """A refused bot token stops the start with what to do; an unreachable Slack does not."""
        try:
            await self.app.client.auth_test()
        except SlackApiError as exc:
            error = exc.response.get("error")
            if error in _BAD_TOKEN_ERRORS:
                raise SlackError(
                    f"Slack refused SLACK_BOT_TOKEN ({error}); copy the Bot User OAuth Token "
                    "(xoxb-...) from your app's Install App page and set it again"
                ) from exc
            log.warning("Slack auth.test failed (%s); carrying on", error)
        except (aiohttp.ClientError, TimeoutError) as exc:
            # messages wait in the outbox until Slack is reachable
            log.warning(
                "cannot reach Slack at %s (%s); carrying on", self.settings.api_base_url, exc
            )

    async def stop(self) -> None:
        if self._socket is not None:
            await self._socket.close_async()  # type: ignore[no-untyped-call]
            self._socket = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        await self.listeners.drain()
        if self._own_session is not None:
            await self._own_session.close()
            self.app.client.session = None
            self._own_session = None
