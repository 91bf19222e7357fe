"""Participants' feedback forms: store, count per answer in SQL, hold, accept, discard, delete."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from tortoise.transactions import in_transaction

from conversations.participant_bursts import Arrival, answers_signature
from conversations.participant_change import CodedAnswer
from conversations.participant_figures import AnswerCount
from conversations.participant_items import FormKind
from storage import models as m
from storage import plans, sql
from storage.common import utc
from storage.plans import Plan, Statement

Channel = Literal["online", "paper", "keyed"]
CHANNELS: tuple[Channel, ...] = ("online", "paper", "keyed")


@dataclass(frozen=True)
class ResponseWrite:
    """One checked form to store (see conversations.participant_forms.read_submission)."""

    grantee_id: int
    period: str
    kind: FormKind
    channel: Channel
    framework: str
    received_at: datetime
    answers: Mapping[str, str]
    age_band: str | None = None
    pair_key: str | None = None
    source_key: str | None = None
    held: bool = False


@dataclass(frozen=True)
class StoredResponse:
    id: int
    grantee_id: int
    period: str
    kind: FormKind
    channel: Channel
    framework: str
    received_at: datetime
    held: bool
    age_band: str | None
    paired: bool  # carries a participant code
    answers: Mapping[str, str]


@dataclass(frozen=True)
class FormCounts:
    """What the SQL grouping returns for one grantee and period."""

    answers: tuple[AnswerCount, ...]
    forms: Mapping[FormKind, int]
    held: int


_RESPONSE_INSERT = (
    "INSERT INTO participant_response (grantee_id, period, kind, channel, framework, "
    "received_at, held, age_band, pair_key, source_key, signature, answered) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id"
)
_ANSWERS_INSERT = (
    "INSERT INTO participant_answer (response_id, item_id, value, grantee_id, period, kind, held) "
    "VALUES "
)
_WINDOW = (
    "SELECT id, received_at, source_key, signature, answered FROM participant_response "
    "WHERE grantee_id = ? AND period = ? AND channel = 'online' AND received_at >= ? "
    "ORDER BY received_at, id"
)


async def add_response(write: ResponseWrite) -> int:
    """Store one form and its answers together; returns its id."""
    response_id, _ = await plans.run(_add(write, None))
    return response_id


async def add_online_response(write: ResponseWrite, since: datetime) -> tuple[int, list[Arrival]]:
    """Store one online form, and read the online forms since `since` in the same unit (for
    burst detection): the hot path of a public form, in one round of statements."""
    return await plans.run(_add(write, since))


def _add(write: ResponseWrite, since: datetime | None) -> Plan[tuple[int, list[Arrival]]]:
    if write.channel not in CHANNELS:
        raise ValueError(f"unknown channel {write.channel!r}")
    inserted = yield Statement(
        _RESPONSE_INSERT,
        [
            write.grantee_id,
            write.period,
            write.kind,
            write.channel,
            write.framework,
            utc(write.received_at),
            write.held,
            write.age_band,
            write.pair_key,
            write.source_key,
            answers_signature(write.answers),
            len(write.answers),
        ],
    )
    response_id = int(inserted[0]["id"])
    if write.answers:
        values: list[object] = []
        for item, value in write.answers.items():
            values += [response_id, item, value, write.grantee_id, write.period, write.kind]
            values.append(write.held)
        rows = ", ".join(["(?, ?, ?, ?, ?, ?, ?)"] * len(write.answers))
        yield Statement(_ANSWERS_INSERT + rows, values)
    if since is None:
        return response_id, []
    window = yield Statement(_WINDOW, [write.grantee_id, write.period, utc(since)])
    return response_id, [_arrival(r) for r in window]


def _arrival(row: Mapping[str, Any]) -> Arrival:
    return Arrival(
        int(row["id"]),
        sql.required_moment(row["received_at"]),
        row["source_key"] or f"form:{row['id']}",  # no address known: a source of its own
        row["signature"],
        int(row["answered"]),
    )


# an index-only scan of participant_answer's (grantee, period, held, kind, item, value) index
_COUNTS = (
    "SELECT kind, item_id, value, COUNT(*) AS forms FROM participant_answer "
    "WHERE grantee_id = ? AND period = ? AND held = ? GROUP BY kind, item_id, value"
)
_FORMS = (
    "SELECT kind, held, COUNT(*) AS forms FROM participant_response "
    "WHERE grantee_id = ? AND period = ? GROUP BY kind, held"
)


async def form_counts(grantee_id: int, period: str) -> FormCounts:
    """Counts per kind, item and answer of the forms not held: grouped in SQL, a few rows out."""
    # read on the hot path's own connection (storage.plans): a check-in step that asks a
    # question the forms fill waits for these, and a trip through the ORM's thread costs more
    # than the statements themselves
    forms: dict[FormKind, int] = {"baseline": 0, "follow_up": 0}
    held = 0
    for row in await plans.query(_FORMS, [grantee_id, period]):
        if row["held"]:
            held += int(row["forms"])
        else:
            forms[row["kind"]] = int(row["forms"])
    if not any(forms.values()):
        return FormCounts((), forms, held)  # most check-ins: one small query, nothing to group
    rows = await plans.query(_COUNTS, [grantee_id, period, False])
    answers = tuple(
        AnswerCount(row["kind"], row["item_id"], row["value"], int(row["forms"])) for row in rows
    )
    return FormCounts(answers, forms, held)


_CODED = (
    "SELECT r.pair_key AS pair_key, r.kind AS kind, a.item_id AS item_id, a.value AS value "
    "FROM participant_response r JOIN participant_answer a ON a.response_id = r.id "
    "WHERE r.grantee_id = ? AND r.held = ? AND r.pair_key IS NOT NULL{period} "
    "ORDER BY r.received_at, r.id"
)


async def coded_answers(grantee_id: int, period: str | None = None) -> list[CodedAnswer]:
    """Answers on forms with a participant code, oldest first, for pairing (held ones left out).

    Without `period`, every period: a baseline is often filled in the period before its follow-up.
    """
    conn = sql.connection()
    query = _CODED.format(period="" if period is None else " AND r.period = ?")
    params: list[object] = [grantee_id, False] + ([] if period is None else [period])
    rows = await conn.execute_query_dict(sql.spelled(conn, query), params)
    return [CodedAnswer(r["pair_key"], r["kind"], r["item_id"], r["value"]) for r in rows]


async def responses(
    grantee_id: int, period: str, *, held: bool | None = None, limit: int | None = None
) -> list[StoredResponse]:
    """A grantee's forms for a period, oldest first, with their answers (for review screens);
    the first `limit` of them when given."""
    query = m.ParticipantResponse.filter(grantee_id=grantee_id, period=period)
    if held is not None:
        query = query.filter(held=held)
    query = query.order_by("received_at", "id")
    if limit is not None:
        query = query.limit(limit)
    rows = await query.prefetch_related("answers")
    return [_stored(row) for row in rows]


def _stored(row: m.ParticipantResponse) -> StoredResponse:
    return StoredResponse(
        id=row.id,
        grantee_id=row.grantee_id,
        period=row.period,
        kind=row.kind,  # type: ignore[arg-type]  # written only from FormKind
        channel=row.channel,  # type: ignore[arg-type]  # written only from Channel
        framework=row.framework,
        received_at=sql.required_moment(row.received_at),
        held=row.held,
        age_band=row.age_band,
        paired=row.pair_key is not None,
        answers={a.item_id: a.value for a in row.answers},
    )


async def held_arrivals(grantee_id: int, period: str) -> list[Arrival]:
    """A grantee's held forms for a period as burst detection sees them (to say why each is
    held)."""
    rows = await m.ParticipantResponse.filter(
        grantee_id=grantee_id, period=period, held=True
    ).values("id", "received_at", "source_key", "signature", "answered")
    return [_arrival(row) for row in rows]


async def hold(response_ids: Sequence[int]) -> int:
    """Hold forms for the grantee's review; returns how many were not held before."""
    return await _set_held(list(response_ids), held=True)


async def accept_held(grantee_id: int, response_ids: Sequence[int]) -> int:
    """The grantee's word that held forms are genuine: they count from now on."""
    ids = await m.ParticipantResponse.filter(
        grantee_id=grantee_id, id__in=list(response_ids), held=True
    ).values_list("id", flat=True)
    return await _set_held([int(i) for i in ids], held=False)  # type: ignore[call-overload]


async def _set_held(ids: list[int], *, held: bool) -> int:
    """Hold or release forms, and their answers' copies of the flag, together."""
    if not ids:
        return 0
    async with in_transaction():
        changed = await m.ParticipantResponse.filter(id__in=ids, held=not held).update(held=held)
        await m.ParticipantAnswer.filter(response_id__in=ids).update(held=held)
    return changed


async def discard_held(grantee_id: int, response_ids: Sequence[int]) -> int:
    """Delete held forms the grantee says are not genuine; counted forms are never touched."""
    return await _delete(grantee_id=grantee_id, id__in=list(response_ids), held=True)


async def delete_keyed(grantee_id: int, period: str, kind: FormKind, response_id: int) -> bool:
    """Delete one form the grantee's staff keyed in (taking back a slip); nothing else."""
    deleted = await _delete(
        grantee_id=grantee_id, period=period, kind=kind, id=response_id, channel="keyed"
    )
    return deleted == 1


async def delete_for_grantee(grantee_id: int) -> int:
    """Delete every form a grantee's participants filled in; returns how many."""
    return await _delete(grantee_id=grantee_id)


async def delete_received_before(cutoff: datetime) -> int:
    """Delete forms older than the retention period; returns how many."""
    return await _delete(received_at__lt=cutoff)


async def _delete(**where: object) -> int:
    """Delete matching forms with their answers (answers first: SQLite may not cascade)."""
    async with in_transaction():
        ids = await m.ParticipantResponse.filter(**where).values_list("id", flat=True)
        if not ids:
            return 0
        await m.ParticipantAnswer.filter(response_id__in=list(ids)).delete()
        return await m.ParticipantResponse.filter(id__in=list(ids)).delete()


_REPORTED = (
    "SELECT a.value AS value FROM answer a JOIN checkin c ON c.id = a.checkin_id "
    "JOIN round r ON r.id = c.round_id "
    "WHERE c.grantee_id = ? AND r.period = ? AND a.question_id = ? AND a.skipped = ?"
)


async def reported_count(grantee_id: int, period: str, question_id: str) -> int | None:
    """A count the grantee gave in their check-in for a period (such as unique participants)."""
    conn = sql.connection()
    rows = await conn.execute_query_dict(
        sql.spelled(conn, _REPORTED), [grantee_id, period, question_id, False]
    )
    value = sql.decoded(rows[0]["value"]) if rows else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None
