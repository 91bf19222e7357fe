"""What the Slack bot does with DMs, button clicks, /checkin and App Home visits."""

from __future__ import annotations

import logging
import re
import zoneinfo
from collections.abc import Callable, Sequence
from typing import Any

from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.errors import SlackApiError

from bot.channels.slack import blocks as slack_blocks
from bot.channels.slack import home as slack_home
from bot.channels.slack.channel import SlackChannel
from bot.channels.slack.server import InFlight, leveled_logger
from bot.clock import Clock, utc_now
from bot.conversation.dispatcher import StepReport
from bot.conversation.routing import Routing, SlackProfile, waiting_for_storage
from bot.conversation.standing import open_checkins_of_slack_user
from bot.settings import SlackSettings
from conversations import engine
from conversations.state import Completed, SessionState
from storage.records import INTERACTIVE, CheckInContext, OutboundWrite
from storage.slack_links import OpenCheckIn

log = logging.getLogger(__name__)

NOT_A_GRANTEE = (
    "Hello! I collect check-ins from grantees of the programmes I serve, and I couldn't find "
    "you among them, so nothing was recorded. If you think you should be, ask your programme "
    "officer to add your Slack member ID or your Slack email address to the grantee list."
)
NO_OPEN_CHECKIN = (
    "You have no open check-in right now, so nothing was recorded. I'll message you here "
    "when the next one opens."
)
ROUND_CLOSED = (
    "That check-in's round has closed, so answers can no longer be added or changed. "
    "Nothing was recorded. Thank you for taking part."
)
COMMAND_HELP = (
    "`/checkin` starts your open check-in, or picks it up where you left off, here in our DM.\n"
    "`/checkin status` shows how far you are and when it is due.\n"
    "`/checkin help` shows this message.\n"
    "In the check-in, click a button or type your answer; `back`, `skip`, `later`, "
    "`edit N` and `help` work at any time."
)
_DONE = ("completed", "stopped")


def _choose(checkins: Sequence[OpenCheckIn]) -> OpenCheckIn:
    """The check-in a message is for: the one still under way, else the newest round's.

    `checkins` come most recently updated first.
    """
    active = [c for c in checkins if c.status not in _DONE]
    return (active or list(checkins))[0]


class SlackBot:
    """Finds the grantee and check-in behind each Slack request and hands it to the dispatcher."""

    def __init__(self, channel: SlackChannel, routing: Routing, *, clock: Clock = utc_now) -> None:
        self.channel = channel
        self.routing = routing
        self.dispatcher = routing.dispatcher
        self.clock = clock

    # ---- finding the grantee ---------------------------------------------------------------

    async def routed(
        self, user_id: str, choose: Callable[[Sequence[OpenCheckIn]], OpenCheckIn | None]
    ) -> tuple[list[OpenCheckIn] | None, CheckInContext | None]:
        """As open_checkins, with the context of the one `choose` picks: in the usual case
        (a linked user whose check-ins have a timezone) both in one read."""
        checkins, context = await self.routing.slack_checkins(user_id, choose)
        if checkins and all(c.timezone for c in checkins):
            return checkins, context
        # not linked yet, or a timezone to fill from the profile: read again after
        return await self.open_checkins(user_id), None

    async def open_checkins(self, user_id: str) -> list[OpenCheckIn] | None:
        """The user's open check-ins ([] if none), or None when the user is no grantee at all."""
        checkins = await self.routing.slack_open_checkins(user_id)
        if checkins:
            if any(not c.timezone for c in checkins):
                await self._profile(user_id)
            return checkins
        if await self.routing.slack_grantees(user_id):
            return []
        if not await self._profile(user_id):
            return None
        return await self.routing.slack_open_checkins(user_id)

    async def _profile(self, user_id: str) -> bool:
        """Link the user to grantees with their profile's email; fill a missing timezone."""
        try:
            response = await self.channel.client.users_info(user=user_id)
        except SlackApiError as exc:
            log.warning("users.info for %s failed: %s", user_id, exc.response.get("error"))
            return False
        user: dict[str, Any] = response.get("user") or {}
        email = (user.get("profile") or {}).get("email")
        zone = user.get("tz")
        known = isinstance(zone, str) and zone in zoneinfo.available_timezones()
        known_zone = str(zone) if known else None
        profile = SlackProfile(email or None, known_zone, is_bot=bool(user.get("is_bot")))
        return await self.routing.link_slack_profile(user_id, profile)

    # ---- events ------------------------------------------------------------------------------

    async def on_message(self, body: dict[str, Any]) -> None:
        message = slack_blocks.message_inbound(body)
        if message is None:
            return
        checkins, context = await self.routed(message.sender, _choose)
        if not checkins:
            text = NOT_A_GRANTEE if checkins is None else NO_OPEN_CHECKIN
            await self.tell(message.sender, text, key=f"notice:{message.external_id}")
            return
        await self.dispatcher.handle(_choose(checkins).checkin_id, message, context=context)

    async def on_click(self, body: dict[str, Any]) -> None:
        click = slack_blocks.click_inbound(body)
        if click is None:
            return

        def in_round(checkins: Sequence[OpenCheckIn]) -> OpenCheckIn | None:
            tag = slack_blocks.round_tag
            return next(
                (c for c in checkins if tag(c.programme_name, c.period) == click.round_tag), None
            )

        checkins, context = await self.routed(click.message.sender, in_round)
        chosen = in_round(checkins or [])
        if chosen is None:
            # a closed round, or a button from a round this user has no check-in in
            log.info(
                "click %s from %s names round %r, not one of their open check-ins; nothing stored",
                click.message.external_id,
                click.message.sender,
                click.round_tag,
            )
            await self.tell(
                click.message.sender, ROUND_CLOSED, key=f"notice:{click.message.external_id}"
            )
            return
        report = await self.dispatcher.handle(chosen.checkin_id, click.message, context=context)
        await self.close_review(chosen.checkin_id, report, click)

    async def command_reply(self, command: dict[str, Any]) -> tuple[str, int | None]:
        """The immediate answer to /checkin, and the check-in to post in the DM (if any)."""
        user_id = str(command.get("user_id", ""))
        word = slack_blocks.command_word(str(command.get("text", "")))
        if word == "help":
            return COMMAND_HELP, None
        checkins = await self.open_checkins(user_id)
        if checkins is None:
            return NOT_A_GRANTEE, None
        if not checkins:
            opens = await slack_home.next_openings(user_id, self.clock().date())
            return NO_OPEN_CHECKIN + (f" Next opening: {opens}." if opens else ""), None
        if word == "status":
            contexts = await open_checkins_of_slack_user(user_id)
            lines = [slack_home.status_line(c, self.dispatcher.view(c)) for c in contexts]
            return "\n".join(lines), None
        return "Your check-in is in our direct messages.", _choose(checkins).checkin_id

    async def start_in_dm(self, checkin_id: int, occasion: str) -> None:
        await self.dispatcher.start(
            checkin_id, self.channel.name, occasion=occasion, lane=INTERACTIVE
        )

    async def on_home_opened(self, event: dict[str, Any]) -> None:
        if event.get("tab", "home") != "home" or not event.get("user"):
            return
        user_id = str(event["user"])
        await self.open_checkins(user_id)  # links and fills the timezone on a first visit
        view = await slack_home.build_home(user_id, self.dispatcher.view, now=self.clock())
        await self.channel.publish_home(user_id, view)

    # ---- replies -----------------------------------------------------------------------------

    async def tell(self, user_id: str, text: str, *, key: str) -> None:
        """A message outside any check-in step, queued once per inbound delivery."""
        write = OutboundWrite(
            f"slack:{key}",
            self.channel.name,
            user_id,
            slack_blocks.notice_payload(text),
            INTERACTIVE,
        )
        await self.dispatcher.send_outside_step(write)

    async def close_review(
        self, checkin_id: int, report: StepReport, click: slack_blocks.Click
    ) -> None:
        """After Submit, the review message becomes the submitted record, without its button.

        (Answered questions are updated in place by the step's own payload; see render.)
        """
        submitted = any(isinstance(p, Completed) and not p.edited for p in report.prompts)
        if not (submitted and click.channel_id and click.message_ts):
            return
        fresh = await self.dispatcher.context(checkin_id)
        view = self.dispatcher.view(fresh)
        state = SessionState.from_json(fresh.checkin.state)
        record = self.channel.render(engine.where(view.framework, state), view)
        payload = slack_blocks.replacing(click.channel_id, click.message_ts, record)
        key = f"slack:submitted:{click.message.external_id}"
        recipient = self.channel.recipient(fresh)
        write = OutboundWrite(key, self.channel.name, recipient, payload, INTERACTIVE)
        await self.dispatcher.send_outside_step(write, checkin_id=checkin_id)


def build_app(bot: SlackBot, settings: SlackSettings, listeners: InFlight) -> AsyncApp:
    """The bolt app: Slack's request is answered once its work is done (stored and replied).

    A 200 then means "stored": if the service dies first, Slack gets no answer and delivers
    the event again (and the event id makes a second delivery change nothing). The work takes
    milliseconds, well inside Slack's 3 seconds.
    """
    secret = settings.signing_secret.get_secret_value() if settings.signing_secret else ""
    app = AsyncApp(
        client=bot.channel.client,
        signing_secret=secret,
        process_before_response=True,
        # the HTTP endpoint checks signatures before bolt reads a byte (slack_guard); Socket
        # Mode needs none
        request_verification_enabled=False,
        logger=leveled_logger("slack_bolt.AsyncApp"),
    )

    # Slack has been answered before this work starts, so it will not deliver the event again:
    # if the database is restarting, wait for it. Repeating is safe, as a second try of a stored
    # step is a duplicate delivery (the event id is stored with the step) and changes nothing.
    @app.event("message")
    async def message(body: dict[str, Any]) -> None:
        await listeners.run(waiting_for_storage(lambda: bot.on_message(body)))

    @app.event("app_home_opened")
    async def home(event: dict[str, Any]) -> None:
        await listeners.run(bot.on_home_opened(event))

    @app.action(re.compile(f"^{re.escape(slack_blocks.ACTION_PREFIX)}"))
    async def click(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        await listeners.run(waiting_for_storage(lambda: bot.on_click(body)))

    @app.command("/checkin")
    async def checkin(ack: AsyncAck, command: dict[str, Any]) -> None:
        async def work() -> None:
            text, checkin_id = await bot.command_reply(command)
            await ack(text=text)
            if checkin_id is not None:
                await bot.start_in_dm(checkin_id, occasion=f"command:{command.get('trigger_id')}")

        await listeners.run(work())

    return app
