"""Settings: defaults, the TOML file, CHECKINS_* overrides, secrets from the environment only."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from bot.settings import MaildirRelay, Settings, SettingsError, SmtpRelay
from bot.settings_loading import describe_settings, load_settings

REPO = Path(__file__).resolve().parents[2]
BOT_TOKEN = "xoxb-" + "1" * 51  # 56 characters, shaped like a real bot token


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run from an empty directory, so no ./settings.toml is picked up by accident."""
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    return cwd


def test_defaults_when_there_is_no_file_and_no_environment(elsewhere: Path) -> None:
    settings = load_settings(environ={})

    assert settings.email.inbound_port == 2525
    assert settings.email.relay == "maildir:var/outbox"
    assert settings.slack.api_base_url == "https://slack.com/api/"
    assert settings.slack.bot_token is None
    assert settings.schedule.timezone == "Europe/London"
    assert settings.conversation.max_invalid_attempts == 3
    assert settings.logging.level == "INFO"
    assert settings.source_path is None
    assert settings.database_url() == f"sqlite://{elsewhere}/var/checkins.sqlite3"
    assert {source for _, _, source in describe_settings(settings)} == {"default"}


def test_settings_built_directly_ignore_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHECKINS_EMAIL__INBOUND_PORT", "1")
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)

    settings = Settings()

    assert settings.email.inbound_port == 2525
    assert settings.slack.bot_token is None


def test_values_come_from_the_toml_file(tmp_path: Path, elsewhere: Path) -> None:
    path = write(
        tmp_path / "conf" / "settings.toml",
        '[email]\ninbound_port = 2626\nfrom_name = "Bridges Check-ins"\n'
        '[schedule]\ntimezone = "Europe/Dublin"\n[logging]\nlevel = "debug"\n',
    )

    settings = load_settings(path, environ={})

    assert settings.email.inbound_port == 2626
    assert settings.email.from_name == "Bridges Check-ins"
    assert settings.email.inbound_host == "127.0.0.1"
    assert settings.schedule.timezone == "Europe/Dublin"
    assert settings.logging.level == "DEBUG"
    assert settings.source_path == path


def test_env_overrides_one_nested_key_and_keeps_its_siblings(tmp_path: Path) -> None:
    path = write(
        tmp_path / "settings.toml", '[email]\ninbound_port = 2626\nreply_domain = "r.org"\n'
    )

    settings = load_settings(path, environ={"CHECKINS_EMAIL__INBOUND_PORT": "2727"})

    assert settings.email.inbound_port == 2727
    assert settings.email.reply_domain == "r.org"
    assert settings.email.from_name == "Cohesion Check-ins"


def test_slack_secrets_come_from_slacks_usual_variable_names(elsewhere: Path) -> None:
    settings = load_settings(
        environ={
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": "8f742231b10e8888abcd99yyyzzz85a5",
            "SLACK_APP_TOKEN": "xapp-1-A0-1-abc",
        }
    )

    assert settings.slack.bot_token is not None
    assert settings.slack.bot_token.get_secret_value() == BOT_TOKEN
    assert settings.slack.signing_secret is not None
    assert settings.slack.signing_secret.get_secret_value() == "8f742231b10e8888abcd99yyyzzz85a5"
    assert settings.slack.app_token is not None
    assert settings.slack.app_token.get_secret_value() == "xapp-1-A0-1-abc"


def test_checkins_slack_variables_win_over_slacks_names(elsewhere: Path) -> None:
    settings = load_settings(
        environ={"SLACK_BOT_TOKEN": "xoxb-general", "CHECKINS_SLACK__BOT_TOKEN": "xoxb-specific"}
    )

    assert settings.slack.bot_token is not None
    assert settings.slack.bot_token.get_secret_value() == "xoxb-specific"


def test_smtp_password_comes_from_the_environment(elsewhere: Path) -> None:
    settings = load_settings(environ={"CHECKINS_EMAIL__SMTP_PASSWORD": "hunter2hunter2"})

    assert settings.email.smtp_password is not None
    assert settings.email.smtp_password.get_secret_value() == "hunter2hunter2"


def test_empty_environment_variable_counts_as_unset(elsewhere: Path) -> None:
    settings = load_settings(environ={"SLACK_BOT_TOKEN": "", "CHECKINS_EMAIL__INBOUND_PORT": ""})

    assert settings.slack.bot_token is None
    assert settings.email.inbound_port == 2525


def test_bad_port_from_env_names_the_key_the_expectation_and_the_variable(elsewhere: Path) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(environ={"CHECKINS_EMAIL__INBOUND_PORT": "70000"})

    message = str(caught.value)
    assert "email.inbound_port" in message
    assert "a whole number from 0 to 65535" in message
    assert "'70000'" in message
    assert "environment variable CHECKINS_EMAIL__INBOUND_PORT" in message


def test_wrong_type_in_file_names_the_key_the_type_and_the_file(tmp_path: Path) -> None:
    path = write(tmp_path / "settings.toml", '[slack]\nhttp_port = "three thousand"\n')

    with pytest.raises(SettingsError) as caught:
        load_settings(path, environ={})

    assert str(caught.value) == (
        f"slack.http_port = 'three thousand' (from {path}): expected a whole number from 0 to 65535"
    )


def test_unknown_key_is_named_with_a_suggestion_and_the_known_keys(tmp_path: Path) -> None:
    path = write(tmp_path / "settings.toml", "[email]\ninbound_prot = 2526\n")

    with pytest.raises(SettingsError) as caught:
        load_settings(path, environ={})

    message = str(caught.value)
    assert message.startswith(f"email.inbound_prot (from {path}): unknown key")
    assert "did you mean 'inbound_port'?" in message
    assert "the keys of [email] are from_address, from_name, reply_domain" in message


def test_unknown_key_from_env_names_the_variable(elsewhere: Path) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(environ={"CHECKINS_SLACK__HTTP_PROT": "3001"})

    assert "slack.http_prot (from environment variable CHECKINS_SLACK__HTTP_PROT)" in str(
        caught.value
    )


def test_unknown_section_in_file_and_env_is_named(tmp_path: Path, elsewhere: Path) -> None:
    path = write(tmp_path / "settings.toml", "[databse]\nurl = 'sqlite://x.db'\n")

    with pytest.raises(SettingsError) as in_file:
        load_settings(path, environ={})
    with pytest.raises(SettingsError) as in_env:
        load_settings(None, environ={"CHECKINS_EMIAL__FROM_NAME": "x"})

    assert "databse" in str(in_file.value)
    assert "the sections are database, email, slack" in str(in_file.value)
    assert str(in_env.value).startswith(
        "CHECKINS_EMIAL__FROM_NAME: there is no settings section 'emial'"
    )


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    path = write(
        tmp_path / "settings.toml",
        '[schedule]\ntimezone = "Mars/Olympus"\ntick_seconds = 0\n[logging]\nlevel = "LOUD"\n',
    )

    with pytest.raises(SettingsError) as caught:
        load_settings(path, environ={})

    assert [p.split(" ")[0] for p in caught.value.problems] == [
        "schedule.timezone",
        "schedule.tick_seconds",
        "logging.level",
    ]


@pytest.mark.parametrize(
    ("section", "key", "secret", "variable"),
    [
        ("email", "smtp_password", "hunter2", "CHECKINS_EMAIL__SMTP_PASSWORD"),
        ("slack", "bot_token", BOT_TOKEN, "SLACK_BOT_TOKEN"),
        ("slack", "signing_secret", "abc123", "SLACK_SIGNING_SECRET"),
        ("slack", "app_token", "xapp-1", "SLACK_APP_TOKEN"),
    ],
)
def test_secret_in_the_file_is_refused_and_sent_to_the_environment(
    tmp_path: Path, section: str, key: str, secret: str, variable: str
) -> None:
    path = write(tmp_path / "settings.toml", f'[{section}]\n{key} = "{secret}"\n')

    with pytest.raises(SettingsError) as caught:
        load_settings(path, environ={})

    message = str(caught.value)
    assert f"{section}.{key} is set in {path}" in message
    assert "secrets are read only from the environment" in message
    assert f"set {variable}" in message
    assert secret not in message


def test_relative_sqlite_path_resolves_against_the_settings_files_folder(
    tmp_path: Path, elsewhere: Path
) -> None:
    path = write(tmp_path / "deploy" / "settings.toml", '[database]\nurl = "sqlite://data/c.db"\n')

    settings = load_settings(path, environ={})

    assert settings.database_url() == f"sqlite://{tmp_path}/deploy/data/c.db"
    assert settings.database_url().startswith("sqlite:///")


def test_relative_maildir_resolves_like_the_database(tmp_path: Path, elsewhere: Path) -> None:
    path = write(tmp_path / "deploy" / "settings.toml", "")

    settings = load_settings(path, environ={})

    assert settings.email_relay() == MaildirRelay(tmp_path / "deploy" / "var" / "outbox")


@pytest.mark.parametrize(
    "url",
    [
        "sqlite:///srv/checkins/db.sqlite3",
        "sqlite://:memory:",
        "postgres://checkins@db.internal:5432/checkins",
        "asyncpg://checkins@localhost/checkins",
    ],
)
def test_absolute_memory_and_server_urls_are_left_alone(elsewhere: Path, url: str) -> None:
    settings = load_settings(environ={"CHECKINS_DATABASE__URL": url})

    assert settings.database_url() == url


def test_database_scheme_is_checked_and_its_password_never_shown(elsewhere: Path) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(environ={"CHECKINS_DATABASE__URL": "mysql://app:s3cret@db/checkins"})

    message = str(caught.value)
    assert message.startswith("database.url = 'mysql://app:***@db/checkins'")
    assert "sqlite://, postgres://, postgresql:// or asyncpg://" in message
    assert "s3cret" not in message


@pytest.mark.parametrize(
    ("relay", "expected"),
    [
        ("smtp://mail.example.org:587", SmtpRelay("mail.example.org", 587, implicit_tls=False)),
        ("smtps://mail.example.org:465", SmtpRelay("mail.example.org", 465, implicit_tls=True)),
        ("maildir:/var/mail/out", MaildirRelay(Path("/var/mail/out"))),
    ],
)
def test_relay_forms(elsewhere: Path, relay: str, expected: object) -> None:
    settings = load_settings(environ={"CHECKINS_EMAIL__RELAY": relay})

    assert settings.email_relay() == expected


@pytest.mark.parametrize(
    "relay", ["mail.example.org", "smtp://mail.example.org", "http://x:25", "maildir:"]
)
def test_bad_relay_says_what_forms_are_allowed(elsewhere: Path, relay: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(environ={"CHECKINS_EMAIL__RELAY": relay})

    assert "email.relay" in str(caught.value)
    assert "'maildir:PATH', 'smtp://HOST:PORT' or 'smtps://HOST:PORT'" in str(caught.value)


def test_relay_with_credentials_points_to_the_right_settings(elsewhere: Path) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(environ={"CHECKINS_EMAIL__RELAY": "smtp://me:pw123@mail.example.org:587"})

    assert "CHECKINS_EMAIL__SMTP_PASSWORD" in str(caught.value)
    assert "pw123" not in str(caught.value)


def test_timezone_typo_gets_a_suggestion(elsewhere: Path) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(environ={"CHECKINS_SCHEDULE__TIMEZONE": "Europe/Londn"})

    assert "did you mean 'Europe/London'?" in str(caught.value)


def test_slack_api_base_url_gains_its_trailing_slash(elsewhere: Path) -> None:
    settings = load_settings(environ={"CHECKINS_SLACK__API_BASE_URL": "http://127.0.0.1:8080/api"})

    assert settings.slack.api_base_url == "http://127.0.0.1:8080/api/"


def test_missing_explicit_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="no such settings file"):
        load_settings(tmp_path / "nope.toml", environ={})


def test_settings_file_named_by_checkins_settings(tmp_path: Path, elsewhere: Path) -> None:
    path = write(tmp_path / "etc" / "settings.toml", "[email]\ninbound_port = 2999\n")
    write(elsewhere / "settings.toml", "[email]\ninbound_port = 1111\n")

    settings = load_settings(environ={"CHECKINS_SETTINGS": str(path)})

    assert settings.email.inbound_port == 2999
    with pytest.raises(SettingsError, match="named by CHECKINS_SETTINGS"):
        load_settings(environ={"CHECKINS_SETTINGS": str(tmp_path / "gone.toml")})


def test_settings_toml_in_the_working_directory_is_used(elsewhere: Path) -> None:
    write(elsewhere / "settings.toml", "[email]\ninbound_port = 1111\n")

    assert load_settings(environ={}).email.inbound_port == 1111


def test_broken_toml_is_reported_with_the_file(tmp_path: Path) -> None:
    path = write(tmp_path / "settings.toml", "[email\ninbound_port = 1\n")

    with pytest.raises(SettingsError) as caught:
        load_settings(path, environ={})

    assert str(caught.value).startswith(f"{path}: not valid TOML (")


def test_describe_settings_masks_secrets_and_reports_sources(tmp_path: Path) -> None:
    path = write(tmp_path / "settings.toml", '[email]\nfrom_name = "Bridges"\n')
    settings = load_settings(
        path,
        environ={
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "CHECKINS_EMAIL__SMTP_PASSWORD": "hunter2hunter2",
            "CHECKINS_EMAIL__INBOUND_PORT": "2600",
        },
    )

    rows = {key: (shown, source) for key, shown, source in describe_settings(settings)}

    assert rows["slack.bot_token"] == ("xoxb…(set, 56 chars)", "env")
    assert rows["email.smtp_password"] == ("(set, 14 chars)", "env")
    assert rows["slack.signing_secret"] == ("(not set)", "default")
    assert rows["email.from_name"] == ('"Bridges"', "file")
    assert rows["email.inbound_port"] == ("2600", "env")
    assert rows["email.smtp_starttls"] == ("true", "default")
    everything = repr(describe_settings(settings))
    assert BOT_TOKEN not in everything
    assert "hunter2" not in everything


def test_describe_settings_hides_a_database_password(elsewhere: Path) -> None:
    settings = load_settings(
        environ={"CHECKINS_DATABASE__URL": "postgres://app:s3cret@db/checkins"}
    )

    rows = {key: shown for key, shown, _ in describe_settings(settings)}

    assert rows["database.url"] == '"postgres://app:***@db/checkins"'


def test_repository_settings_toml_documents_every_default() -> None:
    path = REPO / "settings.toml"
    text = path.read_text(encoding="utf-8")

    loaded = load_settings(path, environ={})

    assert loaded.model_dump() == Settings().model_dump()
    for key, _, _ in describe_settings(loaded):
        section, _, name = key.partition(".")
        assert f"[{section}]" in text
        assert name in text, f"settings.toml does not mention {key}"
        assert f"CHECKINS_{section.upper()}__{name.upper()}" in text or name in (
            "bot_token",
            "signing_secret",
            "app_token",
        ), f"settings.toml does not name the variable for {key}"
    for variable in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN"):
        assert variable in text
    assert "smtp_password" not in tomllib.loads(text).get("email", {})
