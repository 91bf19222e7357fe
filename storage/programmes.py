"""Funders and their programmes: upsert by slug, look up, list."""

from __future__ import annotations

from tortoise.transactions import in_transaction

from storage import mapping
from storage import models as m
from storage.common import as_json, insert_once
from storage.errors import NotFound, StorageError
from storage.framework_texts import sha256_of
from storage.records import Programme, ProgrammeSpec


async def upsert_programme(spec: ProgrammeSpec) -> Programme:
    """Create or update the funder and the programme, both matched by slug."""
    async with in_transaction():
        funder = await insert_once(m.Funder, slug=spec.funder_slug, name=spec.funder_name)
        if funder is None:
            funder = await m.Funder.get(slug=spec.funder_slug)
            if funder.name != spec.funder_name:
                funder.name = spec.funder_name
                await funder.save(update_fields=["name"])
        fields = {
            "name": spec.name,
            "framework_id": spec.framework_id,
            "framework_version": spec.framework_version,
            "framework_toml": spec.framework_toml,
            "framework_sha256": sha256_of(spec.framework_toml),
            "contacts": as_json(mapping.contacts_json(spec.contacts)),
            "activity_types": as_json(list(spec.activity_types)),
            "schedule": as_json(spec.schedule),
            "digest_slack_channel": spec.digest_slack_channel,
        }
        row = await insert_once(m.Programme, slug=spec.slug, funder_id=funder.id, **fields)
        if row is None:
            existing = await m.Programme.get(slug=spec.slug).select_related("funder")
            if existing.funder_id != funder.id:
                owner = await existing.funder
                # raising rolls the whole upsert back, including a funder created above
                raise StorageError(
                    f"programme slug {spec.slug!r} already belongs to funder {owner.slug!r}; "
                    f"choose another slug for {spec.funder_slug!r}'s programme"
                )
            await m.Programme.filter(id=existing.id).update(**fields)
            programme_id = existing.id
        else:
            programme_id = row.id
    found = await get_programme_by_id(programme_id)
    assert found is not None  # just written
    return found


async def get_programme(slug: str) -> Programme | None:
    row = await m.Programme.get_or_none(slug=slug).select_related("funder")
    return None if row is None else mapping.programme(row, await row.funder)


async def get_programme_by_id(programme_id: int) -> Programme | None:
    row = await m.Programme.get_or_none(id=programme_id).select_related("funder")
    return None if row is None else mapping.programme(row, await row.funder)


async def list_programmes() -> list[Programme]:
    rows = await m.Programme.all().select_related("funder").order_by("slug")
    return [mapping.programme(row, await row.funder) for row in rows]


async def require_programme(programme_id: int) -> m.Programme:
    row = await m.Programme.get_or_none(id=programme_id)
    if row is None:
        raise NotFound(f"no programme with id {programme_id}")
    return row
