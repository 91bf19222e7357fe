"""The Slack stand-in for tests: a Web API that records calls, Socket Mode, signed requests."""

from bot.demo.slack_requests import (
    SignedSender,
    block_action,
    home_opened_event,
    message_event,
    slash_command,
)
from bot.demo.slack_standin import (
    BOT_USER_ID,
    PNG_SIGNATURE,
    UPLOAD,
    Call,
    SlackStandIn,
    SlackUser,
    UploadedFile,
)

__all__ = [
    "BOT_USER_ID",
    "PNG_SIGNATURE",
    "UPLOAD",
    "Call",
    "SignedSender",
    "SlackStandIn",
    "SlackUser",
    "UploadedFile",
    "block_action",
    "home_opened_event",
    "message_event",
    "slash_command",
]
