"""The settings' sections, one model each: database, email, Slack, web, scheduling and more."""

from __future__ import annotations

import difflib
import ipaddress
import logging
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    model_validator,
)
from pydantic import field_validator as validates

DATABASE_SCHEMES = ("sqlite", "postgres", "postgresql", "asyncpg")
LOG_LEVELS = ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG")


@dataclass(frozen=True)
class MaildirRelay:
    """Outbound mail is written to a local maildir instead of being sent (development, demos)."""

    path: Path


@dataclass(frozen=True)
class SmtpRelay:
    host: str
    port: int
    implicit_tls: bool  # smtps://; plain smtp:// may still upgrade with STARTTLS
    ca_file: Path | None = None  # trusted instead of the system's CAs (a private relay CA)


def parse_relay(text: str) -> MaildirRelay | SmtpRelay:
    expected = "expected 'maildir:PATH', 'smtp://HOST:PORT' or 'smtps://HOST:PORT'"
    if text.startswith("maildir:"):
        if not text.removeprefix("maildir:").strip():
            raise ValueError(f"{expected}; the maildir path is empty")
        return MaildirRelay(Path(text.removeprefix("maildir:").strip()))
    parts = urlsplit(text)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ValueError(expected)
    if parts.username or parts.password:
        raise ValueError(
            "do not put credentials in the relay URL: use email.smtp_username and the "
            "CHECKINS_EMAIL__SMTP_PASSWORD environment variable"
        )
    try:
        port = parts.port
    except ValueError:
        port = None
    if port is None or parts.path not in ("", "/"):
        raise ValueError(f"{expected}, with a port number (e.g. smtp://mail.example.org:587)")
    return SmtpRelay(parts.hostname, port, implicit_tls=parts.scheme == "smtps")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class DatabaseSettings(_Section):
    url: str = Field(
        "sqlite://var/checkins.sqlite3",
        description="sqlite://PATH (relative to the settings file) or postgres://user@host/db.",
    )

    @validates("url")
    @classmethod
    def _known_scheme(cls, url: str) -> str:
        scheme, sep, rest = url.partition("://")
        if not sep or scheme.lower() not in DATABASE_SCHEMES:
            raise ValueError(
                "expected a URL starting with sqlite://, postgres://, postgresql:// or asyncpg:// "
                "(e.g. 'sqlite://var/checkins.sqlite3' or 'postgres://checkins@db:5432/checkins')"
            )
        if scheme.lower() == "sqlite" and not rest.partition("?")[0]:
            raise ValueError(
                "a sqlite:// URL needs a file path, e.g. 'sqlite://var/checkins.sqlite3'"
            )
        return url


class EmailSettings(_Section):
    from_address: str = Field("checkins@localhost", description="Sender of check-in emails.")
    from_name: str = Field("Cohesion Check-ins", description="Display name of the sender.")
    reply_domain: str = Field("localhost", description="Domain of per-check-in reply addresses.")
    inbound_host: str = Field("127.0.0.1", description="Address the inbound SMTP server binds.")
    inbound_port: int = Field(2525, ge=0, le=65535, description="0 picks a free port (tests).")
    max_message_bytes: int = Field(1_000_000, ge=1, description="Larger inbound mail is refused.")
    relay: str = Field("maildir:var/outbox", description="maildir:PATH, smtp:// or smtps://.")
    smtp_username: str | None = Field(None, description="Login for the relay, if it needs one.")
    smtp_password: SecretStr | None = Field(None, description="CHECKINS_EMAIL__SMTP_PASSWORD.")
    smtp_starttls: bool = Field(True, description="Upgrade smtp:// relays with STARTTLS.")
    relay_ca_file: str | None = Field(
        None, description="PEM bundle to verify the relay's certificate instead of system CAs."
    )
    relay_connections: int = Field(
        4, ge=1, le=64, description="SMTP connections kept open to the relay, used in parallel."
    )
    questions_per_message: int = Field(
        0, ge=0, description="0 sends a whole section per email; N sends N questions."
    )
    inbound_tls_cert: str | None = Field(
        None, description="PEM certificate (chain) the inbound server offers with STARTTLS."
    )
    inbound_tls_key: str | None = Field(None, description="PEM private key of that certificate.")
    inbound_require_tls: bool = Field(
        False, description="Refuse mail on the inbound server until the client uses STARTTLS."
    )
    authserv_id: str | None = Field(
        None, description="Our MTA's Authentication-Results id; only its DMARC verdicts count."
    )

    @validates("from_address")
    @classmethod
    def _looks_like_address(cls, value: str) -> str:
        # email-validator refuses "localhost", the sensible development default: check shape only.
        local, at, domain = value.partition("@")
        if not (at and local and domain) or "@" in domain or any(c.isspace() for c in value):
            raise ValueError("expected an email address such as 'checkins@yourcharity.org'")
        return value

    @validates("relay")
    @classmethod
    def _valid_relay(cls, value: str) -> str:
        parse_relay(value)
        return value

    @validates("relay_ca_file", "inbound_tls_cert", "inbound_tls_key", "authserv_id")
    @classmethod
    def _blank_is_unset(cls, value: str | None) -> str | None:
        return value or None  # `relay_ca_file = ""` reads as "use the system's CAs"


class SlackSettings(_Section):
    api_base_url: str = Field("https://slack.com/api/", description="Slack Web API base URL.")
    http_host: str = Field("127.0.0.1", description="Address the Events API endpoint binds.")
    http_port: int = Field(3000, ge=0, le=65535, description="0 picks a free port (tests).")
    bot_token: SecretStr | None = Field(None, description="SLACK_BOT_TOKEN (xoxb-...).")
    signing_secret: SecretStr | None = Field(None, description="SLACK_SIGNING_SECRET.")
    app_token: SecretStr | None = Field(None, description="SLACK_APP_TOKEN (xapp-, Socket Mode).")
    # Slack's documented limits (docs.slack.dev/apis/web-api/rate-limits): about one post a
    # second in each conversation with short bursts; Tier 3 (50+ a minute) for chat.update,
    # conversations.open and users.lookupByEmail; Tier 4 (100+ a minute) for views.publish and
    # files.*. Each budget allows a burst of five seconds' worth of calls.
    posts_per_conversation_per_second: float = Field(
        1.0, gt=0, description="chat.postMessage pace in one conversation (DM or channel)."
    )
    post_burst_per_conversation: int = Field(
        3, ge=1, description="Posts one conversation may get at once before the pace applies."
    )
    updates_per_minute: float = Field(
        50.0, gt=0, description="chat.update calls a minute, whole workspace (Tier 3)."
    )
    opens_per_minute: float = Field(
        50.0, gt=0, description="conversations.open calls a minute, whole workspace (Tier 3)."
    )
    lookups_per_minute: float = Field(
        50.0, gt=0, description="users.lookupByEmail calls a minute, whole workspace (Tier 3)."
    )
    home_views_per_minute: float = Field(
        100.0, gt=0, description="views.publish calls a minute, whole workspace (Tier 4)."
    )
    file_calls_per_minute: float = Field(
        100.0, gt=0, description="files.* calls a minute each, whole workspace (Tier 4)."
    )

    @model_validator(mode="before")
    @classmethod
    def _replaced_pace(cls, data: Any) -> Any:
        if isinstance(data, Mapping) and "messages_per_second" in data:
            # it paced every Slack message of the service as one queue; Slack limits posts
            # per conversation and each method per workspace, which the settings above follow
            logging.getLogger(__name__).warning(
                "slack.messages_per_second is no longer used and is ignored: Slack's pace is "
                "per conversation (slack.posts_per_conversation_per_second, default 1) and per "
                "method (slack.updates_per_minute and the other *_per_minute settings); "
                "remove messages_per_second from your settings"
            )
            data = {k: v for k, v in data.items() if k != "messages_per_second"}
        return data

    @validates("api_base_url")
    @classmethod
    def _http_url_with_slash(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("expected an http(s) URL such as 'https://slack.com/api/'")
        # slack_sdk joins method names onto the base URL, so a missing slash would break every call.
        return value if value.endswith("/") else value + "/"


class ScheduleSettings(_Section):
    timezone: str = Field("Europe/London", description="IANA zone for send times and periods.")
    tick_seconds: int = Field(30, ge=1, description="How often the scheduler looks for work.")
    catch_up_hours: int = Field(24, ge=0, description="Missed jobs younger than this still run.")
    claim_seconds: float = Field(
        300.0, gt=0, description="A claimed send is another instance's to take after this."
    )

    @validates("timezone")
    @classmethod
    def _iana_zone(cls, value: str) -> str:
        if value not in zoneinfo.available_timezones():
            close = difflib.get_close_matches(value, zoneinfo.available_timezones(), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ", such as 'Europe/London'"
            raise ValueError(f"expected an IANA time zone name{hint}")
        return value


class OutboxSettings(_Section):
    lease_seconds: float = Field(
        120.0, gt=0, description="A claimed message is another sender's to take after this."
    )
    first_retry_seconds: float = Field(30.0, gt=0, description="Wait before the first retry.")
    longest_retry_seconds: float = Field(3600.0, gt=0, description="Backoff stops growing here.")
    max_attempts: int = Field(8, ge=1, description="Failed tries before a message is given up.")
    poll_seconds: float = Field(1.0, gt=0, description="How often due messages are looked for.")
    instance: str = Field(
        "",
        max_length=120,
        description="This instance's name, the same across restarts and different for each "
        "instance on one database; empty: the host name and the settings file's path.",
    )


class ConversationSettings(_Section):
    max_invalid_attempts: int = Field(3, ge=1, description="Invalid answers before offering help.")
    contact_hint: str = Field(
        "", description="Who grantees can ask, e.g. 'your programme officer'."
    )


class WebSettings(_Section):
    host: str = Field("127.0.0.1", description="Address the web check-in server binds.")
    port: int = Field(8080, ge=0, le=65535, description="0 picks a free port (tests).")
    public_url: str = Field(
        "", description="The address grantees open (https://...); empty: http://HOST:PORT."
    )
    trusted_proxies: tuple[str, ...] = Field(
        ("127.0.0.1", "::1"),
        description="Proxies whose X-Forwarded-For is believed (addresses or networks); "
        "[] never reads it.",
    )

    @validates("public_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value:
            return value
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("expected an http(s) URL such as 'https://checkins.example.org'")
        return value.rstrip("/")

    @validates("trusted_proxies")
    @classmethod
    def _networks(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for entry in value:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(
                    f"{entry!r} is not an IP address or network; expected entries such as "
                    "'127.0.0.1', '::1' or '10.0.0.0/24'"
                ) from None
        return value

    def trusted_networks(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        """trusted_proxies as networks (a plain address is a network of one)."""
        return tuple(ipaddress.ip_network(entry, strict=False) for entry in self.trusted_proxies)

    def base_url(self, port: int | None = None) -> str:
        """The address links point at: public_url, else this server's own (its bound port)."""
        return self.public_url or f"http://{self.host}:{port or self.port}"


class ParticipantSettings(_Section):
    retention_days: int = Field(
        730, ge=30, description="Participants' forms are deleted this many days after arrival."
    )
    link_secret: SecretStr | None = Field(
        None,
        description="CHECKINS_PARTICIPANTS__LINK_SECRET: keys form links, codes and form keys; "
        "unset: made once and kept in link_secret_file.",
    )
    link_secret_file: str = Field(
        "var/participant_link_secret",
        description="Where the made secret is kept (mode 0600) when link_secret is not set.",
    )


class LoggingSettings(_Section):
    level: str = Field("INFO", description="CRITICAL, ERROR, WARNING, INFO or DEBUG.")

    @validates("level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        if value.upper() not in LOG_LEVELS:
            raise ValueError(f"expected one of {', '.join(LOG_LEVELS)}")
        return value.upper()
