"""The Slack libraries' loggers carry an explicit level, so they build no debug text unasked."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from bot.channels.slack.server import leveled_logger, web_client
from bot.settings import SlackSettings

NAME = "slack_sdk.web.async_base_client"


@pytest.fixture
def levels() -> Iterator[None]:
    root, client = logging.getLogger().level, logging.getLogger(NAME).level
    yield
    logging.getLogger().setLevel(root)
    logging.getLogger(NAME).setLevel(client)


def test_the_web_client_logs_at_the_level_in_force(levels: None) -> None:
    logging.getLogger(NAME).setLevel(logging.NOTSET)
    logging.getLogger().setLevel(logging.WARNING)
    settings = SlackSettings.model_validate({"bot_token": "xoxb-test", "signing_secret": "s"})
    client = web_client(settings)
    # slack_sdk formats each request when `logger.level <= DEBUG`; unset (0) would pass
    assert client.logger.name == NAME and client.logger.level == logging.WARNING


def test_debugging_still_gets_the_libraries_debug_messages(levels: None) -> None:
    logging.getLogger(NAME).setLevel(logging.NOTSET)
    logging.getLogger().setLevel(logging.DEBUG)
    assert leveled_logger(NAME).level == logging.DEBUG
