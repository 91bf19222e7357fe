"""Reads for exports: a programme's check-ins and every answer, in stable order."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from storage import models as m
from storage.aggregates import moment


@dataclass(frozen=True)
class ExportCheckIn:
    checkin_id: int
    period: str
    organisation: str
    grantee_email: str
    activity_type: str
    local_authority: str
    status: str
    completed_at: datetime | None


async def export_checkins(programme_id: int) -> list[ExportCheckIn]:
    """Every check-in of one programme (only that programme), oldest round first."""
    rows = (
        await m.CheckIn.filter(round__programme_id=programme_id)
        .order_by("round__opened_at", "round_id", "grantee__organisation", "id")
        .values(
            "id",
            "round__period",
            "grantee__organisation",
            "grantee__email",
            "grantee__activity_type",
            "grantee__local_authority",
            "status",
            "completed_at",
        )
    )
    return [
        ExportCheckIn(
            checkin_id=int(r["id"]),
            period=str(r["round__period"]),
            organisation=str(r["grantee__organisation"]),
            grantee_email=str(r["grantee__email"]),
            activity_type=str(r["grantee__activity_type"]),
            local_authority=str(r["grantee__local_authority"]),
            status=str(r["status"]),
            completed_at=moment(r["completed_at"]),
        )
        for r in rows
    ]


async def export_answers(programme_id: int) -> list[tuple[int, str, int, Any, bool, str, datetime]]:
    """(check-in id, question id, version, value, skipped, channel, answered at) of a programme."""
    rows = (
        await m.Answer.filter(checkin__round__programme_id=programme_id)
        .order_by("checkin_id", "id")
        .values_list(
            "checkin_id",
            "question_id",
            "question_version",
            "value",
            "skipped",
            "channel",
            "answered_at",
        )
    )
    return [(int(r[0]), str(r[1]), int(r[2]), r[3], bool(r[4]), str(r[5]), r[6]) for r in rows]
