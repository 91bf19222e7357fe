"""Reading the settings: the file, the environment and its secrets, and errors that name the key."""

from __future__ import annotations

import difflib
import os
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import annotated_types
from pydantic import BaseModel, SecretStr, ValidationError
from pydantic_core import ErrorDetails
from pydantic_settings import BaseSettings, EnvSettingsSource, TomlConfigSettingsSource

from bot.settings import (
    DEFAULT_SETTINGS_FILE,
    ENV_PREFIX,
    LOADING_SOURCES,
    PUBLIC_TOKEN_PREFIXES,
    SECRET_KEYS,
    SETTINGS_PATH_ENV,
    SLACK_ENV_NAMES,
    Settings,
    SettingsError,
)


class _EnvSource(EnvSettingsSource):
    """pydantic-settings' env source reading a given mapping, with Slack's own variable names."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        self._environ = environ
        super().__init__(settings_cls)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        env = {k.lower(): v for k, v in self._environ.items() if v != ""}
        for slack_name, key in SLACK_ENV_NAMES.items():
            value = env.get(slack_name.lower())
            if value is not None:
                env.setdefault(f"{ENV_PREFIX}slack__{key}".lower(), value)
        return env


def _env_names(environ: Mapping[str, str]) -> dict[str, str]:
    """Dotted key (or bare section) -> the environment variable that set it, for messages."""
    names = {f"slack.{key}": name for name, key in SLACK_ENV_NAMES.items() if environ.get(name)}
    for name, value in environ.items():
        lower = name.lower()
        if value and lower.startswith(ENV_PREFIX.lower()):
            section, _, key = lower[len(ENV_PREFIX) :].partition("__")
            names[f"{section}.{key}" if key else section] = name
    return names


def _flatten(data: Mapping[str, Any]) -> set[str]:
    keys: set[str] = set()
    for section, table in data.items():
        keys.add(section)
        if isinstance(table, Mapping):
            keys.update(f"{section}.{key}" for key in table)
    return keys


def _find_settings_file(path: Path | None, environ: Mapping[str, str]) -> Path | None:
    if path is None and environ.get(SETTINGS_PATH_ENV):
        # The variable beats ./settings.toml: a deployment that sets it means it, wherever it runs.
        path = Path(environ[SETTINGS_PATH_ENV])
        named = f"{path} (named by {SETTINGS_PATH_ENV})"
    elif path is None:
        return DEFAULT_SETTINGS_FILE if DEFAULT_SETTINGS_FILE.is_file() else None
    else:
        named = str(path)
    if not path.exists():
        raise SettingsError(
            f"{named}: no such settings file; check the path, or omit it for defaults"
        )
    if not path.is_file():
        raise SettingsError(f"{named}: is not a file; give the path of a settings.toml file")
    return path


def load_settings(
    path: Path | None = None, *, environ: Mapping[str, str] | None = None
) -> Settings:
    """Read the settings file (if any) and the environment; SettingsError names every problem."""
    env = os.environ if environ is None else environ
    path = _find_settings_file(path, env)
    try:
        toml_source = TomlConfigSettingsSource(Settings, toml_file=path) if path else None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SettingsError(f"{path}: not valid TOML ({exc}); fix the file and try again") from None
    except OSError as exc:
        raise SettingsError(f"{path}: cannot be read ({exc.strerror})") from None
    file_data = toml_source.toml_data if toml_source else {}
    file_keys = _flatten(file_data)
    env_source = _EnvSource(Settings, env)
    env_keys = _flatten(env_source())
    names = _env_names(env)

    problems = [_secret_in_file(key, path) for key in SECRET_KEYS if key in file_keys]
    problems += [
        f"{name}: there is no settings section {section.split('.')[0]!r}; "
        f"the sections are {_list(Settings.model_fields)}"
        for section, name in names.items()
        if "." in section and section.split(".")[0] not in Settings.model_fields
    ]
    if problems:
        raise SettingsError(problems)

    def where(key: str) -> str:
        for candidate in (key, key.split(".")[0]):
            if candidate in env_keys:
                return f"environment variable {names.get(candidate, candidate)}"
            if candidate in file_keys:
                return str(path)
        return "the defaults"

    token = LOADING_SOURCES.set((env_source, toml_source) if toml_source else (env_source,))
    try:
        settings = Settings()
    except ValidationError as exc:
        raise SettingsError([_explain(e, where(_dotted(e))) for e in exc.errors()]) from None
    finally:
        LOADING_SOURCES.reset(token)
    settings._path = path.absolute() if path else None
    settings._base_dir = path.absolute().parent if path else Path.cwd()
    settings._origins = {key: "file" for key in file_keys} | {key: "env" for key in env_keys}
    settings.relay_ca_file()  # a missing CA file stops every command, like any other bad value
    return settings


def _secret_in_file(key: str, path: Path | None) -> str:
    section, _, name = key.partition(".")
    env_name = f"{ENV_PREFIX}{section.upper()}__{name.upper()}"
    slack = [n for n, k in SLACK_ENV_NAMES.items() if section == "slack" and k == name]
    if slack:
        env_name = f"{slack[0]} (or {env_name})"
    return (
        f"{key} is set in {path}, but secrets are read only from the environment: "
        f"delete it from the file and set {env_name} instead"
    )


def _dotted(err: ErrorDetails) -> str:
    return ".".join(str(part) for part in err["loc"])


def _list(names: Mapping[str, object] | Sequence[str]) -> str:
    return ", ".join(names)


def _section_fields(section: str) -> Mapping[str, Any]:
    annotation = Settings.model_fields[section].annotation
    assert isinstance(annotation, type) and issubclass(annotation, BaseModel)
    return annotation.model_fields


def _expected(section: str, key: str) -> str:
    field = _section_fields(section)[key]
    words = {int: "a whole number", float: "a number", bool: "true or false"}
    text = next((w for t, w in words.items() if field.annotation is t), "text in quotes")
    ge = next((m.ge for m in field.metadata if isinstance(m, annotated_types.Ge)), None)
    le = next((m.le for m in field.metadata if isinstance(m, annotated_types.Le)), None)
    gt = next((m.gt for m in field.metadata if isinstance(m, annotated_types.Gt)), None)
    if ge is not None and le is not None:
        return f"{text} from {ge} to {le}"
    if ge is not None:
        return f"{text} of at least {ge}"
    if gt is not None:
        return f"{text} greater than {gt}"
    return text


def _explain(err: ErrorDetails, where: str) -> str:
    """One line a person can act on: "email.inbound_port = 'x' (from FILE): expected ..."."""
    loc = [str(part) for part in err["loc"]]
    dotted = ".".join(loc)
    if len(loc) == 1:
        if err["type"] == "extra_forbidden":
            return (
                f"{dotted} (from {where}): unknown section; "
                f"the sections are {_list(Settings.model_fields)}"
            )
        return f"{dotted} (from {where}): expected a table of settings, [{dotted}] in the file"
    section, key = loc[0], loc[1]
    known = _section_fields(section)
    if err["type"] == "extra_forbidden":
        close = difflib.get_close_matches(key, list(known), n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        keys = f"the keys of [{section}] are {_list(known)}"
        return f"{dotted} (from {where}): unknown key; {hint}{keys}"
    # Never echo a secret, even a malformed one, and hide passwords inside URLs.
    given = "" if dotted in SECRET_KEYS else f" = {_mask_url(err['input'])!r}"
    if err["type"] == "value_error":
        expected = str((err.get("ctx") or {}).get("error", err["msg"]))
    else:
        expected = f"expected {_expected(section, key)}"
    return f"{dotted}{given} (from {where}): {expected}"


def _mask_url(url: object) -> object:
    """Hide the password in a URL: postgres://user:***@host/db."""
    if not isinstance(url, str):
        return url
    scheme, sep, rest = url.partition("://")
    credentials, at, host = rest.rpartition("@")
    if not (sep and at and ":" in credentials):
        return url
    return f"{scheme}://{credentials.split(':', 1)[0]}:***@{host}"


def _mask_secret(secret: SecretStr) -> str:
    value = secret.get_secret_value()
    prefix = value[:4] + "…" if value.startswith(PUBLIC_TOKEN_PREFIXES) else ""
    return f"{prefix}(set, {len(value)} chars)"


def _show(value: object) -> str:
    if value is None:
        return "(not set)"
    if isinstance(value, SecretStr):
        return _mask_secret(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{_mask_url(value)}"'
    return str(value)


def describe_settings(settings: Settings) -> list[tuple[str, str, str]]:
    """Every setting as (dotted key, shown value, source), secrets masked, in file order."""
    rows = []
    for section in Settings.model_fields:
        values = getattr(settings, section)
        for key in _section_fields(section):
            dotted = f"{section}.{key}"
            rows.append((dotted, _show(getattr(values, key)), settings.origin(dotted)))
    return rows
