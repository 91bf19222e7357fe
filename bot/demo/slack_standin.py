"""A local stand-in for Slack: a Web API that records calls and keeps Slack's limits, Socket Mode.

Used by the tests, the benchmark and `checkins demo`: the bot talks to it exactly as it talks to
Slack (its `slack.api_base_url` points here), so nothing about the bot is faked.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
import uuid
from collections import defaultdict, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from bot.demo.slack_standin_limits import SlackLimits

BOT_USER_ID = "UBOT000001"
BOT_ID = "BBOT000001"
TEAM_ID = "T0TEAM0001"
UPLOAD = "upload"  # the method name under which byte uploads are recorded (and can be failed)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    response: dict[str, Any] = field(default_factory=dict)
    at: float = field(default_factory=time.monotonic)  # when the stand-in answered it


@dataclass
class Failure:
    error: str
    status: int = 200
    retry_after: int | None = None


@dataclass
class UploadedFile:
    """A file the bot uploads: announced, its bytes received, then shared (or not yet)."""

    id: str
    filename: str
    length: int  # as announced in files.getUploadURLExternal
    alt_txt: str | None = None
    data: bytes | None = field(default=None, repr=False)
    content_type: str | None = None
    channel: str | None = None  # where files.completeUploadExternal shared it
    title: str | None = None
    initial_comment: str | None = None


@dataclass
class SlackUser:
    id: str
    email: str | None = None
    tz: str | None = "Europe/London"
    is_bot: bool = False


class SlackStandIn:
    """Answers Web API methods like Slack does, records every call, and can fail on request.

    Slack's documented rate limits are enforced (see slack_standin_limits): a call over one is
    answered HTTP 429 `ratelimited` with Retry-After, and counted in `rate_limited`.
    `enforce_limits=False` turns them off, for a test about something else entirely.
    """

    def __init__(
        self,
        users: Mapping[str, SlackUser] | None = None,
        *,
        limits: SlackLimits | None = None,
        enforce_limits: bool = True,
    ) -> None:
        self.users: dict[str, SlackUser] = dict(users or {})
        self.limits = (limits or SlackLimits()) if enforce_limits else None
        self.rate_limited: list[Call] = []  # calls refused for going over a limit
        self.history: dict[str, list[dict[str, Any]]] = defaultdict(list)  # channel -> posts
        self.calls: list[Call] = []
        self.failures: dict[str, deque[Failure]] = defaultdict(deque)
        self.outages: dict[str, tuple[float, Failure]] = {}  # method (or "*") -> (until, failure)
        self.socket_acks: list[dict[str, Any]] = []
        self.files: dict[str, UploadedFile] = {}
        self.on_call: Callable[[Call], None] | None = None
        self.port = 0
        self._runner: web.AppRunner | None = None
        self._sockets: list[web.WebSocketResponse] = []
        self._ts = itertools.count(1)
        self._file_ids = itertools.count(1)
        self._changed = asyncio.Condition()
        self._socket_ready = asyncio.Event()

    # ---- lifecycle ------------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application(client_max_size=20 * 1024 * 1024)  # file uploads; Slack's is 1 GB
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_get("/link", self._socket)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        for ws in list(self._sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    # ---- controls -------------------------------------------------------------------------------

    def fail(
        self,
        method: str,
        error: str,
        *,
        status: int = 200,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next `times` calls of `method` with this error."""
        for _ in range(times):
            self.failures[method].append(Failure(error, status, retry_after))

    def fail_for(
        self,
        seconds: float,
        error: str,
        *,
        method: str = "*",
        status: int = 200,
        retry_after: int | None = None,
    ) -> None:
        """Answer every call of `method` ("*": any method) with this error for `seconds`."""
        self.outages[method] = (time.monotonic() + seconds, Failure(error, status, retry_after))

    def _outage(self, method: str) -> Failure | None:
        for name in (method, "*"):
            until, failure = self.outages.get(name, (0.0, None))
            if failure is not None and time.monotonic() < until:
                return failure
        return None

    def called(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def posts(self, channel: str | None = None) -> list[Call]:
        """Messages the bot posted (that Slack accepted), optionally in one DM."""
        return [
            c
            for c in self.called("chat.postMessage")
            if c.response.get("ok") and (channel is None or c.response.get("channel") == channel)
        ]

    def shared_files(self, channel: str | None = None) -> list[UploadedFile]:
        """Files that files.completeUploadExternal shared, optionally only those in one DM."""
        shared = [f for f in self.files.values() if f.channel is not None]
        return [f for f in shared if channel is None or f.channel == channel]

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 5.0) -> None:
        """Listeners run after Slack is answered, so callers wait for the calls they expect."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(predicate), timeout)

    async def wait_for_calls(self, method: str, count: int, timeout: float = 5.0) -> list[Call]:
        await self.wait_for(lambda: len(self.called(method)) >= count, timeout)
        return self.called(method)

    async def push(self, envelope_type: str, payload: Mapping[str, Any]) -> str:
        """Send a Socket Mode envelope to the connected app; returns its envelope id."""
        await asyncio.wait_for(self._socket_ready.wait(), 5)
        envelope_id = uuid.uuid4().hex
        envelope = {
            "envelope_id": envelope_id,
            "type": envelope_type,
            "payload": dict(payload),
            "accepts_response_payload": envelope_type != "events_api",
            "retry_attempt": 0,
            "retry_reason": "",
        }
        await self._sockets[-1].send_str(json.dumps(envelope))
        return envelope_id

    async def wait_for_ack(self, envelope_id: str, timeout: float = 5.0) -> dict[str, Any]:
        def acked() -> bool:
            return any(a.get("envelope_id") == envelope_id for a in self.socket_acks)

        await self.wait_for(acked, timeout)
        return next(a for a in self.socket_acks if a.get("envelope_id") == envelope_id)

    # ---- the Web API ----------------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params: dict[str, Any] = dict(request.query)
        if request.can_read_body:
            if request.content_type == "application/json":
                params.update(await request.json())
            else:
                params.update({k: v for k, v in (await request.post()).items()})
        for key in ("blocks", "view", "files"):
            if isinstance(params.get(key), str):  # form-encoded calls send these as JSON text
                params[key] = json.loads(params[key])
        queued = self.failures.get(method)
        failure = queued.popleft() if queued else self._outage(method)
        if failure is None and self.limits is not None:
            wait = self.limits.check(method, self._conversation(method, params))
            if wait is not None:
                failure = Failure("ratelimited", 429, wait)
                limited = Call(method, params, {"ok": False, "error": "ratelimited"})
                self.rate_limited.append(limited)
        if failure is not None:
            answer: dict[str, Any] = {"ok": False, "error": failure.error}
        else:
            answer = self._answer(method, params)
        await self._record(Call(method, params, answer))
        if failure is not None:
            headers = {"Retry-After": str(failure.retry_after)} if failure.retry_after else {}
            return web.json_response(answer, status=failure.status, headers=headers)
        return web.json_response(answer)

    def _conversation(self, method: str, params: Mapping[str, Any]) -> str | None:
        if method != "chat.postMessage":
            return None
        return self._channel_of(str(params.get("channel", "")))

    @staticmethod
    def _channel_of(channel: str) -> str:
        """A user id given as a channel means the bot's DM with that user, as in Slack."""
        return f"D{channel}" if channel.startswith(("U", "W")) else channel

    async def _record(self, call: Call) -> None:
        self.calls.append(call)
        if self.on_call is not None:
            self.on_call(call)
        async with self._changed:
            self._changed.notify_all()

    async def _upload(self, request: web.Request) -> web.Response:
        """The upload_url of files.getUploadURLExternal: takes the file's bytes."""
        file_id = request.match_info["file_id"]
        data = await request.read()
        params = {"file_id": file_id, "length": len(data), "content_type": request.content_type}
        queued = self.failures.get(UPLOAD)
        failure = queued.popleft() if queued else self._outage(UPLOAD)
        known = self.files.get(file_id)
        if failure is not None or known is None:
            status = failure.status if failure is not None and failure.status != 200 else 500
            reason = failure.error if failure is not None else "unknown upload"
            await self._record(Call(UPLOAD, params, {"ok": False, "error": reason}))
            return web.Response(status=status, text=reason)
        known.data, known.content_type = data, request.content_type
        await self._record(Call(UPLOAD, params, {"ok": True}))
        return web.Response(text=f"OK - {len(data)}")

    def _complete_upload(self, params: dict[str, Any]) -> dict[str, Any]:
        wanted = list(params.get("files") or [])
        found = [self.files.get(str(f.get("id"))) for f in wanted]
        if not wanted or any(f is None or f.data is None for f in found):
            return {"ok": False, "error": "file_not_found"}  # announced, but no bytes came
        shared: list[dict[str, Any]] = []
        for entry, file in zip(wanted, found, strict=True):
            assert file is not None and file.data is not None
            file.channel = str(params.get("channel_id") or params.get("channels") or "")
            file.title = entry.get("title") or file.filename
            file.initial_comment = params.get("initial_comment")
            png = file.data.startswith(PNG_SIGNATURE)
            shared.append(
                {
                    "id": file.id,
                    "name": file.filename,
                    "title": file.title,
                    "mimetype": "image/png" if png else "application/octet-stream",
                    "size": len(file.data),
                }
            )
        return {"ok": True, "files": shared}

    def _answer(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://example.slack.com/",
                "team": "Example",
                "user": "checkins",
                "team_id": TEAM_ID,
                "user_id": BOT_USER_ID,
                "bot_id": BOT_ID,
            }
        if method == "apps.connections.open":
            return {"ok": True, "url": f"ws://127.0.0.1:{self.port}/link"}
        if method == "conversations.open":
            return {"ok": True, "channel": {"id": f"D{params.get('users', '')}"}}
        if method == "chat.postMessage":
            ts = f"{int(time.time())}.{next(self._ts):06d}"
            channel = self._channel_of(str(params.get("channel", "")))
            message: dict[str, Any] = {"type": "message", "ts": ts, "text": params.get("text")}
            metadata = params.get("metadata")
            if isinstance(metadata, str):
                metadata = json.loads(metadata)
            if metadata:
                message["metadata"] = metadata
            self.history[channel].append(message)
            return {"ok": True, "channel": channel, "ts": ts}
        if method == "conversations.history":
            channel = str(params.get("channel", ""))
            limit = int(params.get("limit") or 100)
            newest_first = list(reversed(self.history.get(channel, [])))[:limit]
            if str(params.get("include_all_metadata", "")).lower() not in ("1", "true"):
                newest_first = [
                    {k: v for k, v in m.items() if k != "metadata"} for m in newest_first
                ]
            return {"ok": True, "messages": newest_first, "has_more": False}
        if method == "chat.update":
            return {"ok": True, "channel": params.get("channel"), "ts": params.get("ts")}
        if method == "users.info":
            user = self.users.get(str(params.get("user")))
            if user is None:
                return {"ok": False, "error": "user_not_found"}
            return {"ok": True, "user": self._user(user)}
        if method == "users.lookupByEmail":
            email = str(params.get("email", "")).lower()
            found = next((u for u in self.users.values() if u.email == email), None)
            if found is None:
                return {"ok": False, "error": "users_not_found"}
            return {"ok": True, "user": self._user(found)}
        if method == "files.getUploadURLExternal":
            file_id = f"F{next(self._file_ids):09d}"
            self.files[file_id] = UploadedFile(
                file_id,
                str(params.get("filename", "")),
                int(params.get("length") or 0),
                params.get("alt_txt"),
            )
            # on the port actually bound, so any number of stand-ins can run at once
            url = f"http://127.0.0.1:{self.port}/upload/{file_id}"
            return {"ok": True, "upload_url": url, "file_id": file_id}
        if method == "files.completeUploadExternal":
            return self._complete_upload(params)
        if method == "views.publish":
            return {"ok": True, "view": {"id": "V1", **(params.get("view") or {})}}
        return {"ok": True}

    @staticmethod
    def _user(user: SlackUser) -> dict[str, Any]:
        profile = {"email": user.email} if user.email else {}
        data: dict[str, Any] = {"id": user.id, "is_bot": user.is_bot, "profile": profile}
        if user.tz:
            data["tz"] = user.tz
        return data

    # ---- Socket Mode ----------------------------------------------------------------------------

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._sockets.append(ws)
        await ws.send_str(json.dumps({"type": "hello", "num_connections": 1}))
        self._socket_ready.set()
        async for message in ws:
            if message.type == WSMsgType.TEXT:
                self.socket_acks.append(json.loads(message.data))
                async with self._changed:
                    self._changed.notify_all()
        self._sockets.remove(ws)
        return ws
