"""The Slack HTTP endpoint's front door: forged requests get 401 and unreadable ones 400."""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from collections.abc import Mapping
from typing import Any

import orjson
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from yarl import URL

log = logging.getLogger(__name__)
MAX_AGE_SECONDS = 300  # Slack's rule: older (or later) timestamps are replays or forgeries

# Fields bolt reads into (payload["user"]["id"], payload["actions"][0], ...) without checking
# their type; a signed body with the wrong type there would make it fail with a 500.
_OBJECTS = ("event", "container", "message", "view", "state", "item", "previous_message")
_OBJECTS_OR_IDS = ("user", "team", "channel", "enterprise", "user_team", "source_team")
_LISTS_OF_OBJECTS = ("actions", "authorizations")
_DEPTH = 2  # an event's message's fields (message_changed); bolt looks no deeper


def signed(secret: str, headers: Mapping[str, str], body: bytes, now: float) -> bool:
    """Whether Slack signed this body recently (docs.slack.dev: verifying requests)."""
    stamp = headers.get("X-Slack-Request-Timestamp", "")
    signature = headers.get("X-Slack-Signature", "")
    if not (stamp.isascii() and stamp.isdigit()) or abs(now - int(stamp)) > MAX_AGE_SECONDS:
        return False
    base = b"v0:" + stamp.encode() + b":" + body
    expected = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace"))


def read_body(text: str, content_type: str) -> Any:
    """The body as bolt would read it (JSON; or a form, with its JSON `payload` if it has one).

    bolt decodes forms with urllib's pure-Python percent-decoding, which costs more than the
    rest of a button click's handling for a message with a few blocks; yarl's C decoder and
    orjson give the same values (tests/unit/test_slack_guard.py) in a fraction of the time.
    Unlike Python's json, orjson refuses what standard JSON has no place for (NaN, lone
    surrogates), which Slack never sends: such a body is refused as unreadable.
    """
    if not text:
        return {}
    if content_type == "application/json" or text.startswith("{"):
        return orjson.loads(text)
    fields = dict(URL.build(query_string=text, encoded=True).query.items())
    if "payload" not in text:
        return fields
    payload = fields.get("payload")
    return {} if payload is None else orjson.loads(payload)  # its shape: payload_problem


def payload_problem(payload: object, depth: int = 0) -> str | None:
    """Why a payload is not one bolt can read safely, or None."""
    if not isinstance(payload, dict):
        return f"the payload is a {type(payload).__name__}, not an object"
    for name in _OBJECTS:
        value = payload.get(name)
        if value is not None and not isinstance(value, dict):
            return f"{name} is a {type(value).__name__}, not an object"
    for name in _OBJECTS_OR_IDS:
        value = payload.get(name)
        if value is not None and not isinstance(value, (str, dict)):
            return f"{name} is a {type(value).__name__}, not an id or an object"
    for name in _LISTS_OF_OBJECTS:
        value = payload.get(name)
        if value is not None and not (
            isinstance(value, list) and all(isinstance(item, dict) for item in value)
        ):
            return f"{name} is not a list of objects"
    if "actions" in payload:  # bolt matches listeners on actions[0]["action_id"]
        actions = payload["actions"]
        if not actions or not isinstance(actions[0].get("action_id"), str):
            return "actions has no first action with an action_id"
    if depth == 0 and "event" in payload:  # bolt matches event listeners on event["type"]
        event = payload["event"]
        if not isinstance(event, dict) or not isinstance(event.get("type"), str):
            return "event is not an object with a type"
    if depth < _DEPTH:
        for name in ("event", "message"):  # events and edited messages nest the same fields
            inner = payload.get(name)
            if isinstance(inner, dict) and (problem := payload_problem(inner, depth + 1)):
                return f"{name}: {problem}"
    return None


def events_app(bolt: AsyncApp, signing_secret: str, path: str) -> web.Application:
    """The HTTP Events endpoint: bolt's app, with the signature and the shape checked first.

    bolt builds its request (parsing the body, reading ids out of it) before it checks the
    signature, and assumes Slack's shapes while doing so; so a forged or odd body made it
    answer 500. Here the signature is checked first, then the body is read (once, see
    read_body) and its shape checked before anything is dispatched. bolt's own check of the
    signature is switched off where the app is built: this is the one.
    """

    async def handle(request: web.Request) -> web.StreamResponse:
        body = await request.read()
        if not signed(signing_secret, request.headers, body, time.time()):
            log.warning(
                "refused a Slack request from %s: bad signature or stale timestamp",
                request.remote,
            )
            return web.json_response({"error": "invalid request"}, status=401)
        try:
            payload = read_body(body.decode("utf-8"), request.content_type)
        except ValueError as exc:  # not UTF-8, or not JSON where JSON belongs
            problem: str | None = f"unreadable body ({type(exc).__name__}: {exc})"
        else:
            problem = payload_problem(payload)
        if problem is not None:
            log.warning("refused a signed Slack request that is no Slack payload: %s", problem)
            return web.json_response({"error": "malformed request"}, status=400)
        # read here, not by bolt (see read_body): bolt takes a body already read only in its
        # Socket Mode requests, which differ from HTTP ones in nothing but bolt's own signature
        # check (switched off: done above) and copies made for lazy listeners (none here)
        bolt_request = AsyncBoltRequest(
            body=payload,
            query=request.query_string,
            headers=dict(request.headers),
            mode="socket_mode",
        )
        return await to_aiohttp_response(await bolt.async_dispatch(bolt_request))

    app = web.Application()
    app.router.add_post(path, handle)
    return app
