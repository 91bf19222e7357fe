"""The long-running service: storage first, then channels and the scheduler; a graceful stop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
from collections.abc import Awaitable, Callable
from datetime import timedelta
from functools import cache, partial
from pathlib import Path
from typing import Protocol

import storage
from bot.channels.email.inbound import EmailInbound
from bot.channels.email.outbound import EmailChannel
from bot.channels.slack.channel import SlackChannel
from bot.channels.slack.events import SlackBot, build_app
from bot.channels.slack.server import InFlight, SlackServer, web_client
from bot.channels.web.channel import WebChannel
from bot.channels.web.server import WebServer
from bot.clock import Clock, utc_now
from bot.conversation.channel import Channel
from bot.conversation.dispatcher import Dispatcher
from bot.conversation.rendering import Renderer
from bot.conversation.routing import Routing
from bot.conversation.web_links import Links
from bot.gc_tuning import tune_for_serving
from bot.participants.secret import participant_secret
from bot.scheduling import availability_requests as availability
from bot.scheduling.jobs import Jobs
from bot.scheduling.scheduler import Scheduler
from bot.settings import Settings
from bot.summaries.delivery import register as send_summaries

log = logging.getLogger(__name__)
# After a SIGTERM, how long work taken in before the servers closed may take to finish (after
# the scheduler's tick and Slack's listeners, which each wait for their own); a unit's stop
# timeout (systemd's TimeoutStopSec) should allow for all of it.
STOP_GRACE_SECONDS = 20.0


class Component(Protocol):
    """Something the service starts after the database and stops before it."""

    name: str

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class Service:
    def __init__(self, settings: Settings, *, clock: Clock = utc_now) -> None:
        self.settings = settings
        self.clock = clock
        self.channels: dict[str, Channel] = {}
        self.components: list[Component] = []
        # closed last, once the work in flight is done (a summary's chart process)
        self.closing: list[Callable[[], Awaitable[None]]] = []
        self.dispatcher = Dispatcher(
            self.channels,
            clock=clock,
            max_invalid_attempts=settings.conversation.max_invalid_attempts,
            contact_hint=settings.conversation.contact_hint,
        )
        self.routing = Routing(self.dispatcher, clock=clock)
        _configure_outbox(self.dispatcher, settings)
        self.dispatcher.completion_in_background = True
        self._stopping = asyncio.Event()
        self._database: object | None = None

    def add_channel(self, channel: Channel) -> None:
        self.channels[channel.name] = channel

    def add_component(self, component: Component) -> None:
        self.components.append(component)

    async def start(self) -> None:
        # the database comes first: tortoise's context must exist before any task that uses it
        await storage.connect(self.settings.database_url())
        self._database = storage.current_database()
        started: list[Component] = []
        try:
            for component in self.components:
                await component.start()
                started.append(component)
                log.info("started %s", component.name)
        except BaseException:
            for component in reversed(started):
                await component.stop()
            await storage.disconnect(self._database)
            raise
        # one line with every bound address: ports may be chosen at start (0), and scripts,
        # tests and operators read them from here
        log.info("ready; listening: %s", ", ".join(self.listening()) or "nothing")

    def listening(self) -> list[str]:
        """The addresses the service's servers are bound to, e.g. "email smtp 127.0.0.1:2525"."""
        hosts = {
            "slack": ("slack http", self.settings.slack.http_host),
            "email-inbound": ("email smtp", self.settings.email.inbound_host),
            "web": ("web http", self.settings.web.host),
        }
        found = []
        for component in self.components:
            port = getattr(component, "port", None)
            if component.name in hosts and isinstance(port, int):
                label, host = hosts[component.name]
                found.append(f"{label} {host}:{port}")
        return found

    async def stop(self, *, grace: float = 0.0) -> None:
        """Stop the components, newest first, then close the database.

        With `grace`, the loop's other tasks get that long to finish before the database
        closes: what the servers had taken in before they stopped listening, such as an email
        in the middle of its DATA, which then gets its 250 once it is stored. Only for a loop
        the service has to itself (`run_until_stopped`).
        """
        log.info("stopping: no new work is taken; work in flight finishes")
        for component in reversed(self.components):
            try:
                await component.stop()
            except Exception:  # keep stopping the rest; the database must still close
                log.exception("stopping %s failed", component.name)
        # summaries started by the last completions still need the database
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.dispatcher.settle(), timeout=max(grace, 10.0))
        if grace:
            await _let_finish(grace)
        for close in reversed(self.closing):
            try:
                await close()
            except Exception:
                log.exception("closing %s failed", close)
        await storage.disconnect(self._database)
        log.info("stopped")

    def request_stop(self) -> None:
        self._stopping.set()

    async def run_until_stopped(self) -> None:
        """Run until SIGTERM or SIGINT, then finish in-flight work and stop."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.request_stop)
        await self.start()
        tune_for_serving()  # start-up is over: from here on the process only serves
        try:
            await self._stopping.wait()
        finally:
            await self.stop(grace=STOP_GRACE_SECONDS)


async def _let_finish(grace: float) -> None:
    """Wait up to `grace` seconds for every other task of the loop to end, those they start
    meanwhile too (an email taken in before the stop is stored, then its reply is sent)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + grace
    current = asyncio.current_task()
    while others := {task for task in asyncio.all_tasks() if task is not current}:
        left = deadline - loop.time()
        if left <= 0:
            log.warning("%d task(s) still running after %.0fs; stopping anyway", len(others), grace)
            return
        await asyncio.wait(others, timeout=left)


def _configure_outbox(dispatcher: Dispatcher, settings: Settings) -> None:
    """The outbox's lease, retries and polling from `[outbox]`."""
    config = settings.outbox
    outbox = dispatcher.outbox
    outbox.lease = timedelta(seconds=config.lease_seconds)
    outbox.first_retry = timedelta(seconds=config.first_retry_seconds)
    outbox.longest_retry = timedelta(seconds=config.longest_retry_seconds)
    outbox.max_attempts = config.max_attempts
    outbox.poll_seconds = config.poll_seconds
    outbox.holder = instance_name(settings)


def instance_name(settings: Settings) -> str:
    """`outbox.instance`, else this host and settings file: the same after a restart."""
    if settings.outbox.instance:
        return settings.outbox.instance
    where = settings.source_path or Path.cwd()
    return f"{socket.gethostname()}:{where}"[:120]


def build_service(settings: Settings, *, clock: Clock = utc_now, scheduler: bool = True) -> Service:
    """Wire the service from settings: each channel and the scheduler register here.

    Without the scheduler the service only answers and sends: what a demo or a channel's own
    tests want when they set up rounds at dates of their choosing.
    """
    service = Service(settings, clock=clock)
    service.add_component(service.dispatcher.outbox)  # retries and anything left from before
    _add_email(service)
    _add_slack(service)
    _add_web(service)
    availability.register(service.dispatcher)  # "remind me Friday", "away until ...", "mute"
    if scheduler:
        _add_scheduler(service)
    _add_summaries(service)
    return service


def _add_summaries(service: Service) -> None:
    """A benchmarked summary to each grantee who completes a check-in, in the same channel."""
    service.closing.append(send_summaries(service.dispatcher).close)


def _add_scheduler(service: Service) -> None:
    """Scheduled rounds, first messages, reminders, deadlines; started last, after the channels."""
    config = service.settings.schedule
    jobs = Jobs(
        service.dispatcher,
        timezone=config.timezone,
        catch_up=timedelta(hours=config.catch_up_hours),
        lease=timedelta(seconds=config.claim_seconds),
    )
    service.dispatcher.on_completed.append(jobs.checkin_completed)
    service.add_component(Scheduler(jobs, tick_seconds=config.tick_seconds))


def _add_slack(service: Service) -> None:
    """The Slack channel and its bolt app (Socket Mode or HTTP), when a bot token is set."""
    if service.settings.slack.bot_token is None:
        return
    settings = service.settings.slack
    channel = SlackChannel(web_client(settings), Renderer(), settings=settings)
    service.add_channel(channel)
    service.closing.append(channel.updates.close)
    bot = SlackBot(channel, service.routing, clock=service.clock)
    listeners = InFlight()
    service.add_component(SlackServer(build_app(bot, settings, listeners), settings, listeners))


def _add_web(service: Service) -> None:
    """The web check-in: its pages, and a private link to them in every email and Slack DM."""
    settings = service.settings.web
    links = Links(settings.base_url(), clock=service.clock)
    service.add_channel(WebChannel())
    service.dispatcher.form_links = links
    # the participants' secret is read, or made and kept, when a participant form first needs it
    secret = cache(partial(participant_secret, service.settings))
    service.add_component(
        WebServer(settings, service.dispatcher, links, secret=secret, clock=service.clock)
    )


def _add_email(service: Service) -> None:
    """The email channel and its inbound SMTP server (replies to check-in emails)."""
    channel = EmailChannel(service.settings, clock=service.clock)
    service.add_channel(channel)
    service.add_component(channel)  # closes its relay connection on the way out
    inbound = EmailInbound(
        service.settings.email,
        service.routing,
        channel,
        clock=service.clock,
        tls_context=service.settings.inbound_tls_context(),
    )
    service.add_component(inbound)
