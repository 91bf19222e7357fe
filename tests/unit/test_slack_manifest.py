"""slack/manifest.yml asks for exactly what the bot uses: scopes, events, command, App Home."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
MANIFEST: dict[str, Any] = yaml.safe_load((ROOT / "slack" / "manifest.yml").read_text())
# each Web API method the bot calls, and the bot scope Slack requires for it
SCOPE_OF = {
    "chat_postMessage": "chat:write",
    "chat_update": "chat:write",
    "conversations_open": "im:write",
    "conversations_history": "im:history",  # after a crash: was this message posted already?
    "files_upload_v2": "files:write",  # files.getUploadURLExternal, files.completeUploadExternal
    "users_info": "users:read",
    "users_lookupByEmail": "users:read.email",
    "views_publish": None,  # App Home needs no scope of its own
    "auth_test": None,
}


def called_methods() -> set[str]:
    source = "".join(p.read_text() for p in (ROOT / "bot" / "channels" / "slack").glob("*.py"))
    return set(re.findall(r"client\.([a-z]+_[A-Za-z0-9_]+)\(", source)) - {"apps_connections_open"}


def test_scopes_are_exactly_those_the_calls_need() -> None:
    methods = called_methods()
    assert methods <= set(SCOPE_OF), f"add the scope for {methods - set(SCOPE_OF)}"
    needed = {SCOPE_OF[m] for m in methods if SCOPE_OF[m]}
    # commands: /checkin; im:history: message.im events; im:read: DM channel info
    needed |= {"commands", "im:history", "im:read"}
    assert set(MANIFEST["oauth_config"]["scopes"]["bot"]) == needed


def test_events_interactivity_command_and_home() -> None:
    settings = MANIFEST["settings"]
    assert set(settings["event_subscriptions"]["bot_events"]) == {"app_home_opened", "message.im"}
    assert settings["interactivity"]["is_enabled"] is True
    assert settings["socket_mode_enabled"] is True
    (command,) = MANIFEST["features"]["slash_commands"]
    assert command["command"] == "/checkin"
    home = MANIFEST["features"]["app_home"]
    assert home["home_tab_enabled"] and home["messages_tab_enabled"]
    assert home["messages_tab_read_only_enabled"] is False  # grantees must be able to DM the bot
    urls = {
        settings["event_subscriptions"]["request_url"],
        settings["interactivity"]["request_url"],
        command["url"],
    }
    assert len(urls) == 1 and urls.pop().endswith("/slack/events")
