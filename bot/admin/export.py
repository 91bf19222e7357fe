"""A programme's answers as CSV or XLSX: wide (a column per question@version) or long."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import xlsxwriter

from bot.admin.operations import AdminError, programme
from bot.conversation.frameworks import framework_for
from storage.exports import export_answers, export_checkins

FORMATS = ("csv", "xlsx")
# A spreadsheet takes a cell starting with one of these as a formula (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CHECKIN_COLUMNS = [
    "checkin_id",
    "period",
    "organisation",
    "grantee_email",
    "activity_type",
    "local_authority",
    "status",
    "completed_at",
]
LONG_COLUMNS = [
    *CHECKIN_COLUMNS,
    "question",
    "question_id",
    "question_version",
    "value",
    "skipped",
    "channel",
    "answered_at",
]
Cell = str | int | float | None


@dataclass(frozen=True)
class Table:
    header: list[str]
    rows: list[list[Cell]]


def neutralise(value: Cell) -> Cell:
    """Text that a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def cell(value: Any) -> Cell:
    if value is None or (isinstance(value, (int, float, str)) and not isinstance(value, bool)):
        return neutralise(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict) and set(value) == {"x", "n"}:
        return f"{value['x']} of {value['n']}"
    return neutralise(str(value))


async def build_table(programme_slug: str, *, long: bool = False) -> Table:
    """Every check-in of the programme; columns for each question@version ever answered."""
    target = await programme(programme_slug)
    framework = framework_for(target)
    checkins = await export_checkins(target.id)
    answers = await export_answers(target.id)
    meta = {
        c.checkin_id: [
            c.checkin_id,
            c.period,
            c.organisation,
            c.grantee_email,
            c.activity_type,
            c.local_authority,
            c.status,
            c.completed_at,
        ]
        for c in checkins
    }
    if long:
        rows = [
            [
                *(cell(v) for v in meta[checkin_id]),
                cell(framework.by_id[qid].short if qid in framework.by_id else qid),
                cell(qid),
                version,
                cell(None if skipped else value),
                cell(skipped),
                cell(channel),
                cell(answered_at),
            ]
            for checkin_id, qid, version, value, skipped, channel, answered_at in answers
        ]
        return Table(LONG_COLUMNS, rows)
    # Columns follow the framework's order; versions or questions it no longer has come
    # after, so an export still works (and keeps every answer) when the framework changes.
    position = {q.id: i for i, q in enumerate(framework.questions)}
    keys = sorted(
        {(qid, version) for _, qid, version, *_ in answers},
        key=lambda k: (position.get(k[0], len(position)), k[0], k[1]),
    )
    column = {key: i for i, key in enumerate(keys)}
    wide: dict[int, list[Cell]] = {cid: [None] * len(keys) for cid in meta}
    for checkin_id, qid, version, value, skipped, _, _ in answers:
        wide[checkin_id][column[(qid, version)]] = "(skipped)" if skipped else cell(value)
    header = CHECKIN_COLUMNS + [f"{qid}@{version}" for qid, version in keys]
    rows = [[*(cell(v) for v in meta[cid]), *wide[cid]] for cid in meta]
    return Table(header, rows)


def write_csv(table: Table, path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8-sig") as handle:  # BOM: Excel reads UTF-8
        writer = csv.writer(handle)
        writer.writerow(table.header)
        writer.writerows(table.rows)


def write_xlsx(table: Table, path: Path, sheet: str) -> None:
    # never turn text into formulas, numbers or links: cells stay exactly what was answered
    options = {
        "constant_memory": True,
        "strings_to_formulas": False,
        "strings_to_numbers": False,
        "strings_to_urls": False,
    }
    workbook = xlsxwriter.Workbook(str(path), options)
    try:
        worksheet = workbook.add_worksheet(sheet[:31])
        bold = workbook.add_format({"bold": True})
        worksheet.write_row(0, 0, table.header, bold)
        for number, row in enumerate(table.rows, start=1):
            worksheet.write_row(number, 0, row)
        worksheet.freeze_panes(1, 0)
    finally:
        workbook.close()


async def export_programme(
    programme_slug: str, fmt: str, out: Path, *, long: bool = False
) -> Table:
    if fmt not in FORMATS:
        raise AdminError(f"unknown format {fmt!r}; use --format csv or --format xlsx")
    if out.parent and not out.parent.exists():
        raise AdminError(
            f"the folder {out.parent} does not exist; create it or choose another --out"
        )
    table = await build_table(programme_slug, long=long)
    if fmt == "csv":
        write_csv(table, out)
    else:
        write_xlsx(table, out, programme_slug)
    return table
