"""Private web links to check-ins: issued with a token's hash, found by it, revoked."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage import models as m
from storage import plans, sql
from storage.checkins import context_of, contexts_statement
from storage.records import CheckInContext


@dataclass(frozen=True)
class WebLink:
    """A link as stored: never its token, only what checks it."""

    id: int
    checkin_id: int
    grantee_id: int
    form_key: str  # the hidden field every form of this link carries
    expires_at: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True)
class FoundLink:
    link: WebLink
    context: CheckInContext


async def issue_link(
    checkin_id: int,
    grantee_id: int,
    *,
    token_hash: str,
    form_key: str,
    expires_at: datetime | None,
    now: datetime,
) -> int:
    """Store a new link to a check-in; its id."""
    row = await m.WebLink.create(
        checkin_id=checkin_id,
        grantee_id=grantee_id,
        token_hash=token_hash,
        form_key=form_key,
        created_at=now,
        expires_at=expires_at,
    )
    return int(row.id)


_LINK_COLUMNS = (
    "w.id AS w_id, w.checkin_id AS w_checkin_id, w.grantee_id AS w_grantee_id, "
    "w.form_key AS w_form_key, w.expires_at AS w_expires_at, w.revoked_at AS w_revoked_at"
)


async def find_link(token_hash: str) -> FoundLink | None:
    """The link with this token hash and its check-in's context, in one read; None if unknown."""
    statement = contexts_statement(
        "JOIN web_link w ON w.checkin_id = c.id WHERE w.token_hash = ?",
        [token_hash],
        also=_LINK_COLUMNS,
    )
    row = plans.first(await plans.query(statement.sql, statement.values))
    if row is None:
        return None
    link = WebLink(
        id=int(row["w_id"]),
        checkin_id=int(row["w_checkin_id"]),
        grantee_id=int(row["w_grantee_id"]),
        form_key=str(row["w_form_key"]),
        expires_at=sql.moment(row["w_expires_at"]),
        revoked_at=sql.moment(row["w_revoked_at"]),
    )
    return FoundLink(link, context_of(row))


async def revoke_links(*, checkin_ids: list[int], now: datetime) -> int:
    """Revoke every live link to these check-ins; how many were revoked."""
    return int(
        await m.WebLink.filter(checkin_id__in=checkin_ids, revoked_at__isnull=True).update(
            revoked_at=now
        )
    )


async def checkin_ids_for(*, email: str | None = None, checkin_id: int | None = None) -> list[int]:
    """Check-ins named by a grantee's email address (any programme) or by id, that exist."""
    query = m.CheckIn.all()
    if email is not None:
        query = query.filter(grantee__email=email.strip().lower())
    if checkin_id is not None:
        query = query.filter(id=checkin_id)
    ids: list[int] = await query.values_list("id", flat=True)  # type: ignore[assignment]
    return [int(i) for i in ids]
