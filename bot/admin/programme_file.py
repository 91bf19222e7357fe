"""Read a funder's programme file (TOML) into a ProgrammeSpec; errors name the file and key."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from email_validator import EmailNotValidError, validate_email
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_core import ErrorDetails

from bot.errors import BotError
from conversations import framework as framework_module
from conversations.errors import FrameworkError
from conversations.framework import builtin_framework_path, load_framework
from conversations.schedule import schedule_problems
from storage.records import ContactSpec, ProgrammeSpec

SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]{1,62}$"
SLACK_USER_PATTERN = r"^[UW][A-Z0-9]{2,}$"
SLACK_CHANNEL_PATTERN = r"^[CG][A-Z0-9]{2,}$"
DEFAULT_ACTIVITY_TYPES = (
    "arts",
    "food",
    "sports",
    "volunteering",
    "youth",
    "faith",
    "education",
    "environment",
    "other",
)
# Pydantic's own wording for a pattern mismatch shows a regex; people need the rule in words.
_PATTERN_WORDS = {
    SLUG_PATTERN: "2 to 63 lower-case letters, digits or hyphens, starting with a letter or digit",
    SLACK_USER_PATTERN: "a Slack member ID such as 'U0PRIYA001' (profile > ... > Copy member ID)",
    SLACK_CHANNEL_PATTERN: "a Slack channel ID such as 'C0123456789' (foot of channel details)",
}


class ProgrammeFileError(BotError):
    """A programme file cannot be used; the message names the file and each bad key."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class _Funder(_Model):
    slug: str = Field(pattern=SLUG_PATTERN)
    name: str = Field(min_length=1)


class _Programme(_Model):
    slug: str = Field(pattern=SLUG_PATTERN)
    name: str = Field(min_length=1)
    framework: str = Field(min_length=1)
    activity_types: tuple[str, ...] = Field(DEFAULT_ACTIVITY_TYPES, min_length=1)
    digest_slack_channel: str | None = Field(None, pattern=SLACK_CHANNEL_PATTERN)

    @field_validator("activity_types")
    @classmethod
    def _distinct_lower_case(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        # The grantee import matches activity types case-insensitively, so store one spelling.
        cleaned = tuple(v.strip().lower() for v in values)
        if "" in cleaned:
            raise ValueError("an activity type is empty")
        repeated = sorted({v for v in cleaned if cleaned.count(v) > 1})
        if repeated:
            raise ValueError(f"listed more than once: {', '.join(repeated)}")
        return cleaned


class _Contact(_Model):
    name: str = Field(min_length=1)
    email: str | None = None
    slack_user_id: str | None = Field(None, pattern=SLACK_USER_PATTERN)

    @field_validator("email")
    @classmethod
    def _valid_email(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return validate_email(value, check_deliverability=False).normalized.lower()
        except EmailNotValidError as exc:
            raise ValueError(f"{value!r} is not a valid email address: {exc}") from None

    def reachable(self) -> bool:
        return self.email is not None or self.slack_user_id is not None


class _ProgrammeFile(_Model):
    funder: _Funder
    programme: _Programme
    contacts: tuple[_Contact, ...] = ()
    # checked by conversations.schedule (schedule_problems), stored as given
    schedule: dict[str, Any] = Field(default_factory=dict)


def load_programme_file(path: Path) -> ProgrammeSpec:
    """Read and check a programme file and its framework; ProgrammeFileError if unusable."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ProgrammeFileError(f"{path}: no such programme file") from None
    except UnicodeDecodeError:
        raise ProgrammeFileError(
            f"{path}: not UTF-8 text; save it as UTF-8 and try again"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ProgrammeFileError(f"{path}: not valid TOML ({exc})") from None
    except OSError as exc:
        raise ProgrammeFileError(f"{path}: cannot be read ({exc.strerror})") from None
    try:
        parsed = _ProgrammeFile.model_validate(data)
    except ValidationError as exc:
        raise ProgrammeFileError(_report(path, [_explain(e) for e in exc.errors()])) from None
    problems = [
        f"contacts[{n}]: give an email or a slack_user_id (or both) so the contact can be reached"
        for n, contact in enumerate(parsed.contacts, start=1)
        if not contact.reachable()
    ]
    emails = [c.email for c in parsed.contacts if c.email]
    problems += [
        f"contacts: {email!r} is listed more than once"
        for email in sorted(set(emails))
        if emails.count(email) > 1
    ]
    problems += schedule_problems(parsed.schedule)
    framework_path = _framework_path(path, parsed.programme.framework, problems)
    if problems or framework_path is None:
        raise ProgrammeFileError(_report(path, problems))
    try:
        framework = load_framework(framework_path)
        framework_toml = framework_path.read_text(encoding="utf-8")
    except FrameworkError as exc:
        raise ProgrammeFileError(_report(path, [f"programme.framework: {exc}"])) from None
    return ProgrammeSpec(
        funder_slug=parsed.funder.slug,
        funder_name=parsed.funder.name,
        slug=parsed.programme.slug,
        name=parsed.programme.name,
        framework_id=framework.id,
        framework_version=framework.version,
        framework_toml=framework_toml,
        contacts=tuple(
            ContactSpec(name=c.name, email=c.email, slack_user_id=c.slack_user_id)
            for c in parsed.contacts
        ),
        activity_types=parsed.programme.activity_types,
        schedule=dict(parsed.schedule),
        digest_slack_channel=parsed.programme.digest_slack_channel,
    )


def builtin_framework_ids() -> list[str]:
    """Ids of the frameworks shipped with the package, for messages and the CLI."""
    return sorted(p.stem for p in framework_module.FRAMEWORKS_DIR.glob("*.toml"))


def _framework_path(programme_file: Path, framework: str, problems: list[str]) -> Path | None:
    """A built-in id, or a path relative to the programme file; records a problem when neither."""
    if "/" not in framework and "\\" not in framework and not framework.endswith(".toml"):
        builtin = builtin_framework_path(framework)
        if builtin.is_file():
            return builtin
        known = ", ".join(builtin_framework_ids()) or "none installed"
        problems.append(
            f"programme.framework: {framework!r} is not a built-in framework (built-in: {known}); "
            "for your own framework, give the path of its .toml file"
        )
        return None
    own = programme_file.parent / Path(framework).expanduser()
    if not own.is_file():
        problems.append(
            f"programme.framework: no framework file at {own} "
            "(a relative path is relative to the programme file's folder)"
        )
        return None
    return own


def _report(path: Path, problems: list[str]) -> str:
    return "\n  ".join([f"{path}: the programme file has problems:", *problems])


_TABLES: dict[str, type[BaseModel]] = {
    "": _ProgrammeFile,
    "funder": _Funder,
    "programme": _Programme,
    "contacts": _Contact,
}


def _explain(err: ErrorDetails) -> str:
    """'contacts[2].email: ...' with 1-based positions, as people count [[contacts]] blocks."""
    loc = err["loc"]
    where = "".join(f"[{p + 1}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")
    kind = err["type"]
    given = err.get("input")
    if kind == "missing":
        if len(loc) == 1 and loc[0] in _TABLES:
            return f"{where}: the [{where}] table is missing"
        return f"{where}: is required but missing"
    if kind == "extra_forbidden":
        table = str(loc[0]) if len(loc) > 1 else ""
        known = ", ".join(_TABLES[table].model_fields) if table in _TABLES else ""
        return f"{where}: unknown key; the known keys here are {known}"
    if kind == "string_pattern_mismatch":
        pattern = str((err.get("ctx") or {}).get("pattern", ""))
        return f"{where}: {given!r} is not {_PATTERN_WORDS.get(pattern, 'in the expected form')}"
    if kind == "string_too_short":
        return f"{where}: is empty"
    if kind == "too_short":
        return f"{where}: is an empty list; give at least one"
    if kind == "value_error":
        return f"{where}: {(err.get('ctx') or {}).get('error', err['msg'])}"
    if kind in ("model_type", "dict_type"):
        return f"{where}: expected a table of keys, not {given!r}"
    return f"{where}: {err['msg'].lower()}, got {given!r}"
