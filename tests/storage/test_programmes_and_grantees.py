"""Programme and grantee imports: upserts by slug and by (programme, email), never duplicates."""

from __future__ import annotations

from dataclasses import replace

import pytest

import storage
from storage import models as m
from storage.records import ContactSpec, Grantee, Programme
from tests.storage.factories import grantee_spec, programme_spec


async def test_upsert_programme_creates_then_updates_in_place(db: str) -> None:
    first = await storage.upsert_programme(programme_spec())
    changed = programme_spec(
        name="North Together 2",
        funder_name="Acme Foundation",
        framework_version=2,
        contacts=(ContactSpec("Dee", "dee@acme.org", "UDEE"),),
        schedule={"cadence": "quarterly"},
        digest_slack_channel="#digest",
    )
    second = await storage.upsert_programme(changed)

    assert second.id == first.id
    assert await storage.get_programme("north") == second
    assert second.name == "North Together 2"
    assert second.funder_name == "Acme Foundation"
    assert second.framework_version == 2
    assert second.contacts == (ContactSpec("Dee", "dee@acme.org", "UDEE"),)
    assert second.schedule == {"cadence": "quarterly"}
    assert second.activity_types == ("sport", "arts")
    assert second.digest_slack_channel == "#digest"
    assert await m.Funder.all().count() == 1
    assert await m.Programme.all().count() == 1


async def test_programme_slug_of_another_funder_is_refused_and_nothing_changes(db: str) -> None:
    await storage.upsert_programme(programme_spec())
    with pytest.raises(storage.StorageError, match="'north' already belongs to funder 'acme'"):
        await storage.upsert_programme(programme_spec(funder_slug="other", name="Hijack"))

    assert [p.funder_slug for p in await storage.list_programmes()] == ["acme"]
    assert (await storage.get_programme("north") or programme_spec()).name == "North Together"
    assert await m.Funder.filter(slug="other").count() == 0  # rolled back with the refusal


async def test_list_and_get_programmes(db: str) -> None:
    await storage.upsert_programme(programme_spec("south", funder_slug="beta"))
    await storage.upsert_programme(programme_spec("north"))
    assert [(p.slug, p.funder_slug) for p in await storage.list_programmes()] == [
        ("north", "acme"),
        ("south", "beta"),
    ]
    assert await storage.get_programme("east") is None


async def test_grantee_reimport_updates_without_duplicates(programme: Programme) -> None:
    first = await storage.upsert_grantees(
        programme.id, [grantee_spec("ann@a.org", "A"), grantee_spec("bob@b.org", "B")]
    )
    again = await storage.upsert_grantees(
        programme.id,
        [
            grantee_spec("ANN@A.org", "A renamed", slack_user_id="UANN"),  # same person
            grantee_spec("bob@b.org", "B"),  # unchanged
            grantee_spec("cy@c.org", "C"),
        ],
    )

    assert (first.created, first.updated) == (2, 0)
    assert (again.created, again.updated) == (1, 1)
    stored = await storage.list_grantees(programme.id)
    assert [(g.email, g.organisation, g.slack_user_id) for g in stored] == [
        ("ann@a.org", "A renamed", "UANN"),
        ("bob@b.org", "B", None),
        ("cy@c.org", "C", None),
    ]
    assert await m.Grantee.all().count() == 3


async def test_reimport_reactivates_and_list_can_include_inactive(programme: Programme) -> None:
    await storage.upsert_grantees(
        programme.id, [grantee_spec("ann@a.org"), grantee_spec("b@b.org")]
    )
    await m.Grantee.filter(email="ann@a.org").update(active=False)
    assert [g.email for g in await storage.list_grantees(programme.id)] == ["b@b.org"]
    everyone = await storage.list_grantees(programme.id, active_only=False)
    assert {g.email: g.active for g in everyone} == {"ann@a.org": False, "b@b.org": True}

    result = await storage.upsert_grantees(programme.id, [grantee_spec("ann@a.org")])
    assert (result.created, result.updated) == (0, 1)
    assert len(await storage.list_grantees(programme.id)) == 2


async def test_find_grantees_by_email_is_case_insensitive_across_programmes(
    programme: Programme,
) -> None:
    south = await storage.upsert_programme(programme_spec("south"))
    await storage.upsert_grantees(programme.id, [grantee_spec("Ann@A.org", "North org")])
    await storage.upsert_grantees(south.id, [grantee_spec("ann@a.org", "South org")])

    found = await storage.find_grantees_by_email("  ANN@a.ORG ")
    assert [(g.programme_id, g.organisation, g.email) for g in found] == [
        (programme.id, "North org", "ann@a.org"),
        (south.id, "South org", "ann@a.org"),
    ]
    assert await storage.find_grantees_by_email("nobody@a.org") == []


async def test_grantee_records_carry_every_stored_field(grantees: list[Grantee]) -> None:
    cara = next(g for g in grantees if g.email == "cara@cedar.org")
    assert replace(cara, id=0, programme_id=0) == Grantee(
        id=0,
        programme_id=0,
        name="Cara",
        organisation="Cedar Youth",
        email="cara@cedar.org",
        slack_user_id="UCARA",
        timezone="Europe/London",
        activity_type="sport",
        local_authority="Leeds",
        active=True,
        away_until=None,
        email_failing=False,
    )


async def test_grantees_of_an_unknown_programme_are_refused(db: str) -> None:
    with pytest.raises(storage.NotFound):
        await storage.upsert_grantees(999, [grantee_spec("a@a.org")])
