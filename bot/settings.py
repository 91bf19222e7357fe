"""Settings: defaults in settings.toml, CHECKINS_* environment overrides, secrets from env only."""

from __future__ import annotations

import contextvars
import dataclasses
import os
import ssl
from collections.abc import Sequence
from pathlib import Path

from pydantic import (
    Field,
    PrivateAttr,
)
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from bot.errors import BotError
from bot.settings_sections import (
    ConversationSettings,
    DatabaseSettings,
    EmailSettings,
    LoggingSettings,
    MaildirRelay,
    OutboxSettings,
    ParticipantSettings,
    ScheduleSettings,
    SlackSettings,
    SmtpRelay,
    WebSettings,
    parse_relay,
)

ENV_PREFIX = "CHECKINS_"
SETTINGS_PATH_ENV = "CHECKINS_SETTINGS"
DEFAULT_SETTINGS_FILE = Path("settings.toml")
# Slack's own names, as its docs and bolt's examples use them; CHECKINS_SLACK__* wins over these.
SLACK_ENV_NAMES = {
    "SLACK_BOT_TOKEN": "bot_token",
    "SLACK_SIGNING_SECRET": "signing_secret",
    "SLACK_APP_TOKEN": "app_token",
}
SECRET_KEYS = (
    "email.smtp_password",
    "slack.bot_token",
    "slack.signing_secret",
    "slack.app_token",
    "participants.link_secret",
)
# Token-type prefixes are public knowledge, so showing them helps spot a swapped token safely.
PUBLIC_TOKEN_PREFIXES = ("xoxb-", "xoxp-", "xapp-", "xoxe-")


class SettingsError(BotError):
    """Unusable settings; each line names the key, what is expected and where the value came."""

    def __init__(self, problems: str | Sequence[str]) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


# The sources a load_settings() call is using; without one, Settings(...) is a plain value.
LOADING_SOURCES: contextvars.ContextVar[tuple[PydanticBaseSettingsSource, ...]] = (
    contextvars.ContextVar("checkins_settings_sources")
)


class Settings(BaseSettings):
    """All settings. Build with load_settings(); Settings(...) alone reads no file or env."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        env_ignore_empty=True,
        case_sensitive=False,
        extra="forbid",
        frozen=True,
    )

    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    email: EmailSettings = Field(default_factory=EmailSettings)
    slack: SlackSettings = Field(default_factory=SlackSettings)
    schedule: ScheduleSettings = Field(default_factory=ScheduleSettings)
    outbox: OutboxSettings = Field(default_factory=OutboxSettings)
    conversation: ConversationSettings = Field(default_factory=ConversationSettings)
    web: WebSettings = Field(default_factory=WebSettings)
    participants: ParticipantSettings = Field(default_factory=ParticipantSettings)
    logging: LoggingSettings = Field(default_factory=LoggingSettings)

    _path: Path | None = PrivateAttr(None)
    _base_dir: Path | None = PrivateAttr(None)
    _origins: dict[str, str] = PrivateAttr(default_factory=dict)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Tests construct Settings directly and must never see the developer's environment.
        return (init_settings, *LOADING_SOURCES.get(()))

    @property
    def source_path(self) -> Path | None:
        """The settings file these settings were read from, if any."""
        return self._path

    def origin(self, dotted_key: str) -> str:
        """Where a value came from: "default", "file" or "env"."""
        return self._origins.get(dotted_key, "default")

    def _resolve(self, path: Path) -> Path:
        base = self._base_dir if self._base_dir is not None else Path.cwd()
        return Path(os.path.normpath(base / path.expanduser()))

    def database_url(self) -> str:
        """The database URL with a relative SQLite path made absolute (sqlite:///abs/path)."""
        url = self.database.url
        scheme, _, rest = url.partition("://")
        if scheme.lower() != "sqlite":
            return url
        path, question, query = rest.partition("?")
        if path == ":memory:" or path.startswith("/"):
            return url
        return f"sqlite://{self._resolve(Path(path))}{question}{query}"

    def participant_secret_file(self) -> Path:
        """participants.link_secret_file, a relative path resolved like the SQLite path."""
        return self._resolve(Path(self.participants.link_secret_file))

    def email_relay(self) -> MaildirRelay | SmtpRelay:
        """The outbound relay; a relative maildir or CA file resolves like the SQLite path."""
        relay = parse_relay(self.email.relay)
        if isinstance(relay, MaildirRelay):
            return MaildirRelay(self._resolve(relay.path))
        return dataclasses.replace(relay, ca_file=self.relay_ca_file())

    def relay_ca_file(self) -> Path | None:
        """email.relay_ca_file made absolute; SettingsError, naming the key, unless it is PEM."""
        if self.email.relay_ca_file is None:
            return None
        path = self._resolve(Path(self.email.relay_ca_file))
        where = {
            "env": "environment variable CHECKINS_EMAIL__RELAY_CA_FILE",
            "file": str(self._path),
        }.get(self.origin("email.relay_ca_file"), "the settings")
        if not path.is_file():
            problem = "no such file" if not path.exists() else "is not a file"
            raise SettingsError(
                f"email.relay_ca_file = {self.email.relay_ca_file!r} (from {where}): {problem} "
                f"({path}); give the PEM file of the CA that signed the relay's certificate, "
                "or leave it unset to trust the system's CAs"
            )
        try:
            ssl.create_default_context(cafile=str(path))
        except (ssl.SSLError, OSError) as exc:
            raise SettingsError(
                f"email.relay_ca_file = {self.email.relay_ca_file!r} (from {where}): cannot be "
                f"read as PEM certificates ({exc}); give the PEM file of the CA that signed "
                "the relay's certificate"
            ) from None
        return path

    def inbound_tls_context(self) -> ssl.SSLContext | None:
        """The inbound server's STARTTLS context, from email.inbound_tls_cert and _key; None
        when neither is set; SettingsError, naming the keys, when they cannot be used."""
        email = self.email
        if email.inbound_tls_cert is None and email.inbound_tls_key is None:
            if email.inbound_require_tls:
                raise SettingsError(
                    "email.inbound_require_tls = true needs email.inbound_tls_cert and "
                    "email.inbound_tls_key (PEM files) to offer STARTTLS with; set both, or set "
                    "inbound_require_tls = false when a mail server in front handles TLS"
                )
            return None
        if email.inbound_tls_cert is None or email.inbound_tls_key is None:
            missing = "inbound_tls_key" if email.inbound_tls_key is None else "inbound_tls_cert"
            raise SettingsError(
                f"email.{missing} is not set: STARTTLS on the inbound server needs both "
                "email.inbound_tls_cert and email.inbound_tls_key (PEM files)"
            )
        cert = self._resolve(Path(email.inbound_tls_cert))
        key = self._resolve(Path(email.inbound_tls_key))
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        try:
            context.load_cert_chain(str(cert), str(key))
        except (ssl.SSLError, OSError) as exc:
            raise SettingsError(
                f"email.inbound_tls_cert = {email.inbound_tls_cert!r} and email.inbound_tls_key"
                f" = {email.inbound_tls_key!r} ({cert}, {key}): cannot be loaded "
                f"({getattr(exc, 'strerror', None) or exc}); give a PEM certificate chain and "
                "its unencrypted PEM private key"
            ) from None
        return context


__all__ = [
    "ConversationSettings",
    "DatabaseSettings",
    "EmailSettings",
    "LoggingSettings",
    "MaildirRelay",
    "OutboxSettings",
    "ScheduleSettings",
    "Settings",
    "SettingsError",
    "SlackSettings",
    "SmtpRelay",
    "WebSettings",
]
