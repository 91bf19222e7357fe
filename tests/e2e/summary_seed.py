"""Builds programmes, grantees, rounds and completed check-ins straight through storage."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import storage
from conversations.framework import FRAMEWORKS_DIR
from storage.records import AnswerWrite, GranteeSpec, Programme, ProgrammeSpec

FRAMEWORK_TOML = (FRAMEWORKS_DIR / "social_cohesion_v1.toml").read_text(encoding="utf-8")
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
# round id -> (the database it was read from, organisation -> status line), read once per
# round: each check-in is completed once. Tests reuse round ids, each in a database of its own.
_STATUS: dict[int, tuple[object, dict[str, Any]]] = {}


async def programme(
    slug: str, funder: str, activity_types: tuple[str, ...], framework_toml: str = FRAMEWORK_TOML
) -> Programme:
    return await storage.upsert_programme(
        ProgrammeSpec(
            funder_slug=funder,
            funder_name=f"{funder.title()} Trust",
            slug=slug,
            name=f"{slug.title()} Fund",
            framework_id="social_cohesion_v1",
            framework_version=1,
            framework_toml=framework_toml,
            activity_types=activity_types,
            contacts=(),
        )
    )


async def grantees(
    target: Programme,
    people: list[tuple[str, str]],
    local_authority: str = "Leeds",
    grants: Mapping[str, float] | None = None,
) -> None:
    """people: (organisation, activity type); emails come from the organisation's name;
    `grants`: grant amounts in pounds by organisation, where known."""
    await storage.upsert_grantees(
        target.id,
        [
            GranteeSpec(
                name=f"Lead of {org}",
                organisation=org,
                email=f"{org.lower().replace(' ', '.')}@example.org",
                slack_user_id=None,
                timezone="Europe/London",
                activity_type=activity,
                local_authority=local_authority,
                grant_amount=(grants or {}).get(org),
            )
            for org, activity in people
        ],
    )


async def open_round(target: Programme, period: str, index: int) -> int:
    opened = await storage.open_round(
        target.id,
        period,
        now=START + timedelta(days=91 * index),
        initial_state={},
        due_at=START + timedelta(days=91 * index + 14),
    )
    _STATUS.pop(opened.round.id, None)  # a new database may reuse an id
    return opened.round.id


def writes(
    answers: Mapping[str, Any], versions: Mapping[str, int] | None = None
) -> list[AnswerWrite]:
    versions = versions or {}
    return [
        AnswerWrite(qid, versions.get(qid, 1), value, str(value)) for qid, value in answers.items()
    ]


async def complete(
    target: Programme,
    period: str,
    organisation: str,
    answers: Mapping[str, Any],
    *,
    minute: int = 0,
    versions: Mapping[str, int] | None = None,
    status: str = "completed",
) -> int:
    """Store a check-in's answers and mark it completed (or another status); its id."""
    rnd = await storage.get_round(target.id, period)
    assert rnd is not None
    database = storage.current_database()
    kept = _STATUS.get(rnd.id)
    if kept is None or kept[0] is not database:
        lines = {ln.grantee.organisation: ln for ln in await storage.round_status(rnd.id)}
        kept = _STATUS[rnd.id] = (database, lines)
    line = kept[1][organisation]
    assert line.checkin is not None
    result = await storage.save_step(
        line.checkin.id,
        expected_version=line.checkin.version,
        state={},
        status=status,
        answers=writes(answers, versions),
        channel="console",
        actor="test",
        now=rnd.opened_at + timedelta(days=1, minutes=minute),
    )
    return result.checkin.id


def proportion(x: int, n: int) -> dict[str, int]:
    return {"x": x, "n": n}
