"""Operator actions on participants' forms: find the grantee, import keyed forms, delete, purge."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import storage
from bot.admin.operations import AdminError
from bot.conversation.frameworks import framework_for
from bot.participants.intake import take_form
from conversations.framework import Framework
from conversations.participant_forms import SubmissionProblems, form_layout, read_submission
from conversations.participant_items import FormKind
from storage import participants
from storage.records import Grantee, Programme


@dataclass(frozen=True)
class Target:
    grantee: Grantee
    programme: Programme
    framework: Framework


async def target(email: str, programme_slug: str | None = None) -> Target:
    """The one grantee an operator names by email (and programme, when the email has several)."""
    found = await storage.find_grantees_by_email(email)
    if not found:
        raise AdminError(f"no grantee has the email {email!r}; check the spelling")
    programmes = {g.programme_id: await storage.get_programme_by_id(g.programme_id) for g in found}
    if programme_slug is not None:
        found = [g for g in found if (p := programmes[g.programme_id]) and p.slug == programme_slug]
        if not found:
            raise AdminError(f"{email} is not a grantee of programme {programme_slug!r}")
    if len(found) > 1:
        slugs = sorted(p.slug for p in programmes.values() if p is not None)
        raise AdminError(
            f"{email} is a grantee of several programmes ({', '.join(slugs)}); "
            "choose one with --programme"
        )
    programme = programmes[found[0].programme_id]
    assert programme is not None  # a grantee's programme is never deleted (RESTRICT)
    return Target(found[0], programme, framework_for(programme))


async def import_keyed(
    where: Target, period: str, kind: FormKind, path: Path, *, now: datetime, secret: str = ""
) -> int:
    """Store paper forms typed into a CSV (a column per item, age_band, code; a row per form).

    Every row is checked first: one bad row stores nothing, and the message names each problem
    by row and column, so the file can be put right and imported again. `secret` is the
    participants' secret (bot.participants.secret): codes then pair with those given online.
    """
    layout = form_layout(where.framework, kind)
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.DictReader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise AdminError(f"{path}: cannot be read as a CSV file: {exc}") from None
    problems = []
    for number, row in enumerate(rows, start=2):  # row 1 is the header
        fields = {k.strip(): (v or "") for k, v in row.items() if k}
        read = read_submission(layout, fields)
        if isinstance(read, SubmissionProblems):
            problems += [f"row {number}, {col}: {why}" for col, why in read.problems.items()]
    if problems:
        raise AdminError(f"{path}: nothing imported.\n" + "\n".join(problems))
    for offset, row in enumerate(rows):
        fields = {k.strip(): (v or "") for k, v in row.items() if k}
        await take_form(
            where.framework,
            grantee_id=where.grantee.id,
            period=period,
            kind=kind,
            channel="keyed",
            fields=fields,
            now=now + timedelta(microseconds=offset),  # keeps the file's order
            secret=secret,
        )
    return len(rows)


async def delete_for(where: Target) -> int:
    return await participants.delete_for_grantee(where.grantee.id)


async def purge(retention_days: int, *, now: datetime) -> int:
    return await participants.delete_received_before(now - timedelta(days=retention_days))
