"""The Slack HTTP endpoint's front door: forged requests get 401 and unreadable ones 400."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.signature import SignatureVerifier

log = logging.getLogger(__name__)

# Fields bolt reads into (payload["user"]["id"], payload["actions"][0], ...) without checking
# their type; a signed body with the wrong type there would make it fail with a 500.
_OBJECTS = ("event", "container", "message", "view", "state", "item", "previous_message")
_OBJECTS_OR_IDS = ("user", "team", "channel", "enterprise", "user_team", "source_team")
_LISTS_OF_OBJECTS = ("actions", "authorizations")
_DEPTH = 2  # an event's message's fields (message_changed); bolt looks no deeper


def signed(verifier: SignatureVerifier, headers: Mapping[str, str], text: str) -> bool:
    """Whether Slack signed this body recently (docs.slack.dev: verifying requests).

    slack_sdk's verifier reads the timestamp with int(), which also takes "+1700000000" and
    other scripts' digits, and cannot compare a non-ASCII signature: those are refused here
    first.
    """
    stamp = headers.get("X-Slack-Request-Timestamp", "")
    signature = headers.get("X-Slack-Signature", "")
    if not (stamp.isascii() and stamp.isdigit() and signature.isascii()):
        return False
    return verifier.is_valid(text, stamp, signature)


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
    answer 500. Here the signature is checked first, then bolt's request is built and the
    body it read is checked for its shape before anything is dispatched. bolt's own check of
    the signature is switched off where the app is built: this is the one.
    """
    verifier = SignatureVerifier(signing_secret)

    async def handle(request: web.Request) -> web.StreamResponse:
        try:
            text: str | None = (await request.read()).decode("utf-8")
        except UnicodeDecodeError:  # Slack signs UTF-8 text only
            text = None
        if text is None or not signed(verifier, request.headers, text):
            log.warning(
                "refused a Slack request from %s: bad signature or stale timestamp",
                request.remote,
            )
            return web.json_response({"error": "invalid request"}, status=401)
        try:
            bolt_request = AsyncBoltRequest(
                body=text,
                query=request.query_string,
                headers=dict(request.headers),
            )
        except (ValueError, TypeError, AttributeError, KeyError, IndexError) as exc:
            # not JSON where JSON belongs, or JSON that is no object: bolt cannot read it
            problem: str | None = f"unreadable body ({type(exc).__name__}: {exc})"
        else:
            problem = payload_problem(bolt_request.body)
        if problem is not None:
            log.warning("refused a signed Slack request that is no Slack payload: %s", problem)
            return web.json_response({"error": "malformed request"}, status=400)
        return await to_aiohttp_response(await bolt.async_dispatch(bolt_request))

    app = web.Application()
    app.router.add_post(path, handle)
    return app
