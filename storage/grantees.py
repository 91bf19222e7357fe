"""Grantees: import (matched by programme and email), list, find by email."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from tortoise.transactions import in_transaction

from storage import mapping
from storage import models as m
from storage.common import insert_once
from storage.programmes import require_programme
from storage.records import Grantee, GranteeSpec, ImportResult


def normalise_email(email: str) -> str:
    return email.strip().lower()


def sort_grantees(rows: Iterable[m.Grantee]) -> list[m.Grantee]:
    # sorted here rather than in SQL: SQLite and PostgreSQL collate text differently
    return sorted(rows, key=lambda g: (g.organisation.casefold(), g.name.casefold(), g.id))


def _spec_fields(spec: GranteeSpec) -> dict[str, Any]:
    return {
        "name": spec.name,
        "organisation": spec.organisation,
        "slack_user_id": spec.slack_user_id or None,
        "timezone": spec.timezone,
        "activity_type": spec.activity_type,
        "local_authority": spec.local_authority,
        "active": True,  # listed in an import means taking part again
        "grant_amount": None if spec.grant_amount is None else Decimal(f"{spec.grant_amount:.2f}"),
    }


async def upsert_grantees(programme_id: int, specs: Sequence[GranteeSpec]) -> ImportResult:
    """Create or update grantees in one transaction; `updated` counts rows that changed."""
    created = updated = 0
    async with in_transaction():
        await require_programme(programme_id)
        existing = {g.email: g for g in await m.Grantee.filter(programme_id=programme_id)}
        for spec in specs:
            email = normalise_email(spec.email)
            values = _spec_fields(spec)
            row = existing.get(email)
            if row is None:
                new = await insert_once(m.Grantee, programme_id=programme_id, email=email, **values)
                if new is not None:
                    existing[email] = new
                    created += 1
                    continue
                # a concurrent import created it first: update theirs instead
                row = existing[email] = await m.Grantee.get(programme_id=programme_id, email=email)
            changed = [name for name, value in values.items() if getattr(row, name) != value]
            if changed:
                for name in changed:
                    setattr(row, name, values[name])
                await row.save(update_fields=[*changed, "updated_at"])
                updated += 1
    return ImportResult(created=created, updated=updated)


async def list_grantees(programme_id: int, *, active_only: bool = True) -> list[Grantee]:
    query = m.Grantee.filter(programme_id=programme_id)
    if active_only:
        query = query.filter(active=True)
    return [mapping.grantee(row) for row in sort_grantees(await query)]


async def find_grantees_by_email(email: str) -> list[Grantee]:
    """Grantees with this address in any programme (stored lower-case, so any case matches)."""
    rows = await m.Grantee.filter(email=normalise_email(email)).order_by("programme_id", "id")
    return [mapping.grantee(row) for row in rows]
