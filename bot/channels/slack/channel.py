"""The Slack channel: sends through the Web API at the pace Slack allows."""

from __future__ import annotations

import base64
import logging
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.web.async_client import AsyncWebClient

from bot.channels.slack import blocks as slack_blocks
from bot.channels.slack.pacing import POST, SlackPacer, rate_limit_seconds
from bot.channels.slack.updates import UPDATE, CosmeticUpdates
from bot.conversation.channel import Delivery, PermanentFailure, TemporaryFailure
from bot.conversation.rendering import ConversationView, Renderer
from bot.conversation.routing import link_slack_email, slack_question_message
from bot.settings import SlackSettings
from conversations.state import Prompt
from storage.records import BULK, INTERACTIVE, CheckInContext

log = logging.getLogger(__name__)
EMAIL_RECIPIENT = "email:"
_ASKED_CACHE = 50_000
_CONVERSATION_PREFIXES = ("C", "G", "D")  # Slack ids of channels, private channels and DMs
HISTORY = "conversations.history"
SENT_EVENT = "checkins_message"  # the metadata every post carries: its outbound row's id
# Errors that another try cannot fix (docs.slack.dev/reference/methods/chat.postMessage#errors).
PERMANENT_ERRORS = frozenset(
    {
        "account_inactive",
        "cannot_dm_bot",
        "cant_update_message",
        "channel_not_found",
        "edit_window_closed",
        "invalid_auth",
        "invalid_blocks",
        "is_archived",
        "message_not_found",
        "missing_scope",
        "msg_too_long",
        "no_text",
        "not_authed",
        "not_in_channel",
        "token_revoked",
        "user_disabled",
        "user_not_found",
        "users_not_found",
    }
)


def delivery_failure(exc: SlackApiError) -> TemporaryFailure | PermanentFailure:
    """Slack's answer, as the outbox understands it: try again (maybe after a pause) or not."""
    seconds = rate_limit_seconds(exc)
    if seconds is not None:
        return TemporaryFailure("Slack rate limit (ratelimited)", retry_after=seconds)
    response = exc.response
    error = str(response.get("error", "")) if response is not None else ""
    if error in PERMANENT_ERRORS:
        return PermanentFailure(f"Slack refused the message: {error}")
    return TemporaryFailure(f"Slack error: {error or getattr(response, 'status_code', 0)}")


class SlackChannel:
    """Sends check-in messages as DMs from the bot; a Channel for the dispatcher and outbox.

    Every Web API call waits for its turn at Slack's pace (see slack_pacing): a post for its
    own conversation only, so a grantee who answers never waits behind the others.
    """

    name = slack_blocks.CHANNEL

    def __init__(
        self,
        client: AsyncWebClient,
        renderer: Renderer,
        *,
        settings: SlackSettings | None = None,
        pacer: SlackPacer | None = None,
    ) -> None:
        self.client = client
        self.renderer = renderer
        self.pacer = pacer or SlackPacer(settings)
        self.updates = CosmeticUpdates(client, self.pacer)
        self._dm_channels: dict[str, str] = {}  # user id -> DM channel id; a cache, never state
        # (user, question) -> "channel:ts" of the message that asked it; storage is the fallback
        self._asked: OrderedDict[tuple[str, str], str] = OrderedDict()

    def recipient(self, context: CheckInContext) -> str:
        if context.grantee.slack_user_id:
            return context.grantee.slack_user_id
        # found by email when the message is sent (users.lookupByEmail), then linked
        return f"{EMAIL_RECIPIENT}{context.grantee.email}"

    def render(self, prompts: Sequence[Prompt], view: ConversationView) -> dict[str, Any]:
        return slack_blocks.render(prompts, view, self.renderer)

    async def deliver(self, delivery: Delivery) -> str | None:
        payload = delivery.payload
        lane = delivery.lane
        method, conversation = "", None
        try:
            update = payload.get("update")
            if isinstance(update, Mapping):
                method = UPDATE
                async with self.pacer.pace(method, lane=lane):
                    await self.client.chat_update(
                        channel=update["channel"],
                        ts=update["ts"],
                        text=payload["text"],
                        blocks=payload["blocks"],
                    )
                return f"{update['channel']}:{update['ts']}"
            upload = payload.get("upload")
            if isinstance(upload, Mapping):
                method = "files.completeUploadExternal"
                return await self.upload(delivery.recipient, upload, lane=lane)
            method = "users.lookupByEmail"
            user = await self.user_for(delivery.recipient, lane=lane)
            # paced by whom it is posted to: a user's DM, or a channel (a funder digest)
            method, conversation = POST, user
            if delivery.maybe_sent:
                found = await self._find_posted(user, delivery.outbound_id, lane)
                if found is not None:
                    log.info(
                        "message %s was posted before a restart: not again", delivery.outbound_id
                    )
                    posted = found
                    self._after_post(delivery, user, posted)
                    return posted
            # posted to the user id: Slack puts it in the bot's DM with them and says which,
            # so no conversations.open (Tier 3, 50 a minute) is needed before a first message
            async with self.pacer.pace(POST, conversation=conversation, lane=lane):
                response = await self.client.chat_postMessage(
                    channel=user,
                    text=payload["text"],
                    blocks=payload["blocks"],
                    metadata={
                        "event_type": SENT_EVENT,
                        "event_payload": {"outbound_id": delivery.outbound_id},
                    },
                )
            posted = f"{response['channel']}:{response['ts']}"
            self._after_post(delivery, user, posted)
            return posted
        except SlackApiError as exc:
            raise await self._failure(exc, method, conversation) from exc
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise TemporaryFailure(f"cannot reach Slack: {exc}") from exc

    def _after_post(self, delivery: Delivery, user: str, posted: str) -> None:
        """Remember where it went; then show the answers it follows in place, in the
        background (cosmetic: the next question never waits for them)."""
        channel = posted.partition(":")[0]
        if channel.startswith("D"):
            self._dm_channels[user] = channel
        payload = delivery.payload
        if payload.get("ask"):
            self._remember(user, str(payload["ask"]), posted)
        for answered in payload.get("updates") or ():
            question_id = str(answered["ask"])
            self.updates.put(
                partial(self._asked_in, delivery.recipient, user, question_id), answered
            )

    async def _asked_in(self, recipient: str, user: str, question_id: str) -> str | None:
        """Where the question was asked ("channel:ts"), if it is known."""
        target = self._asked.get((user, question_id))
        if target is None:  # asked before a restart, or by another instance
            target = await slack_question_message(self.name, recipient, question_id)
        return target

    async def _find_posted(self, user: str, outbound_id: int, lane: str) -> str | None:
        """The message posted for `outbound_id` before a crash, found in the DM's recent
        history by the metadata every post carries; None when it is not there."""
        channel = await self.dm_channel(user, lane=lane)
        async with self.pacer.pace(HISTORY, lane=lane):
            response = await self.client.conversations_history(
                channel=channel, limit=20, include_all_metadata=True
            )
        for message in response.get("messages") or []:
            metadata = message.get("metadata") or {}
            if (
                metadata.get("event_type") == SENT_EVENT
                and (metadata.get("event_payload") or {}).get("outbound_id") == outbound_id
            ):
                return f"{channel}:{message['ts']}"
        return None

    async def upload(self, recipient: str, upload: Mapping[str, Any], *, lane: str = BULK) -> str:
        """Share a PNG in the recipient's DM: files.getUploadURLExternal, POST, complete.

        `after` names a message (posted under that `ask`) that must be in the DM first.
        """
        user = await self.user_for(recipient, lane=lane)
        after = upload.get("after")
        if after and not await self._posted(recipient, user, str(after)):
            # the text this image belongs to is waiting for a retry; showing the image first
            # would leave it unexplained, so it waits its turn
            raise TemporaryFailure(f"waiting for {after} to be posted first")
        channel = await self.dm_channel(user, lane=lane)
        try:
            # one call here, two Web API methods (and the upload itself) at Slack
            async with (
                self.pacer.pace("files.getUploadURLExternal", lane=lane),
                self.pacer.pace("files.completeUploadExternal", lane=lane),
            ):
                response = await self.client.files_upload_v2(
                    channel=channel,
                    file=base64.b64decode(str(upload["png"])),
                    filename=str(upload["filename"]),
                    title=str(upload["title"]),
                    alt_txt=upload.get("alt_txt"),
                    initial_comment=upload.get("initial_comment"),
                )
        except SlackRequestError as exc:  # the upload URL refused the bytes; nothing was shared
            raise TemporaryFailure(f"Slack file upload failed: {exc}") from exc
        shared = response.get("file") or {}
        return f"{channel}:{shared.get('id', '')}"

    async def publish_home(self, user_id: str, view: Mapping[str, Any]) -> None:
        """The App Home tab, at views.publish's pace (someone just opened it)."""
        try:
            async with self.pacer.pace("views.publish", lane=INTERACTIVE):
                await self.client.views_publish(user_id=user_id, view=dict(view))
        except SlackApiError as exc:
            seconds = rate_limit_seconds(exc)
            if seconds is not None:
                await self.pacer.rate_limited("views.publish", seconds, None)
            raise

    async def _posted(self, recipient: str, user: str, ask: str) -> bool:
        if (user, ask) in self._asked:
            return True
        return await slack_question_message(self.name, recipient, ask) is not None

    def _remember(self, user: str, question_id: str, posted: str) -> None:
        self._asked[(user, question_id)] = posted
        self._asked.move_to_end((user, question_id))
        while len(self._asked) > _ASKED_CACHE:
            self._asked.popitem(last=False)

    async def _failure(
        self, exc: SlackApiError, method: str, conversation: str | None
    ) -> TemporaryFailure | PermanentFailure:
        failure = delivery_failure(exc)
        if isinstance(failure, TemporaryFailure) and failure.retry_after is not None:
            # which call Slack refused: the error's own request says, when it is known
            called = _method_of(exc) or method
            await self.pacer.rate_limited(called, failure.retry_after, conversation)
        return failure

    async def user_for(self, recipient: str, *, lane: str = BULK) -> str:
        """The Slack user id to message; an email address is looked up once, then linked."""
        if not recipient.startswith(EMAIL_RECIPIENT):
            return recipient
        email = recipient.removeprefix(EMAIL_RECIPIENT)
        try:
            async with self.pacer.pace("users.lookupByEmail", lane=lane):
                response = await self.client.users_lookupByEmail(email=email)
        except SlackApiError as exc:
            if exc.response.get("error") == "users_not_found":
                raise PermanentFailure(
                    f"no Slack user has the email {email}; add the grantee's slack_user_id "
                    "to the grantee import, or reach them by email"
                ) from exc
            raise
        user_id = str(response["user"]["id"])
        await link_slack_email(email, user_id)
        return user_id

    async def dm_channel(self, user_id: str, *, lane: str = BULK) -> str:
        if user_id.startswith(_CONVERSATION_PREFIXES):  # a channel (a funder digest), not a person
            return user_id
        if user_id not in self._dm_channels:
            async with self.pacer.pace("conversations.open", lane=lane):
                response = await self.client.conversations_open(users=user_id)
            self._dm_channels[user_id] = str(response["channel"]["id"])
        return self._dm_channels[user_id]


def _method_of(exc: SlackApiError) -> str | None:
    """The Web API method of a refused call, from the URL slack_sdk called."""
    url = str(getattr(exc.response, "api_url", "") or "")
    return url.rstrip("/").rsplit("/", 1)[-1] or None
