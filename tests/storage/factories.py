"""Builders for the storage contract tests: specs, a programme with grantees, a clock."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from storage.records import AnswerWrite, GranteeSpec, ProgrammeSpec

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
INITIAL_STATE: dict[str, Any] = {"status": "not_started", "current": None, "answers": {}}


def later(minutes: int) -> datetime:
    return NOW + timedelta(minutes=minutes)


def programme_spec(slug: str = "north", funder_slug: str = "acme", **changes: Any) -> ProgrammeSpec:
    spec = ProgrammeSpec(
        funder_slug=funder_slug,
        funder_name=f"{funder_slug.title()} Trust",
        slug=slug,
        name=f"{slug.title()} Together",
        framework_id="cohesion",
        framework_version=1,
        framework_toml='id = "cohesion"\nversion = 1\n',
        activity_types=("sport", "arts"),
        schedule={"cadence": "monthly", "open_day": 1},
    )
    return replace(spec, **changes)


def grantee_spec(email: str, organisation: str = "Org", **changes: Any) -> GranteeSpec:
    spec = GranteeSpec(
        name=email.split("@")[0].title(),
        organisation=organisation,
        email=email,
        slack_user_id=None,
        timezone="Europe/London",
        activity_type="sport",
        local_authority="Leeds",
    )
    return replace(spec, **changes)


def answer(question_id: str, value: Any, raw_text: str | None = None) -> AnswerWrite:
    return AnswerWrite(question_id, 1, value, raw_text if raw_text is not None else str(value))


def skip(question_id: str) -> AnswerWrite:
    return AnswerWrite(question_id, 1, None, "skip", skipped=True)
