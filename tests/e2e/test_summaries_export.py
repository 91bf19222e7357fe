"""Exports: wide and long, CSV and XLSX, formula-safe, and stable when the framework changes."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pytest

from bot.admin.export import export_programme
from bot.admin.operations import AdminError
from storage.records import Programme
from tests.e2e import summary_seed as seed
from tests.e2e.summary_seed import proportion

pytestmark = pytest.mark.usefixtures("db")
NASTY = '=HYPERLINK("http://evil.example","click")'


@pytest.fixture
async def bridges(db: str) -> Programme:
    target = await seed.programme("bridges", "northern", ("arts", "food"))
    await seed.grantees(target, [("Alder Arts", "arts"), ("Birch Kitchen", "food")])
    await seed.open_round(target, "2026 Q1", 0)
    await seed.complete(
        target, "2026 Q1", "Alder Arts", {"O1": 12, "P1": proportion(32, 41), "G2": NASTY}
    )
    await seed.open_round(target, "2026 Q2", 1)
    # the framework moved P1 to version 2; the export keeps both columns
    await seed.complete(
        target,
        "2026 Q2",
        "Birch Kitchen",
        {"O1": 7, "P1": proportion(5, 9), "G2": "+44 20 7946 0000 or @birch"},
        versions={"P1": 2},
    )
    return target


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


async def test_wide_csv_has_a_column_per_question_version(
    bridges: Programme, tmp_path: Path
) -> None:
    out = tmp_path / "bridges.csv"
    table = await export_programme("bridges", "csv", out)
    rows = read_csv(out)
    assert len(rows) == len(table.rows) == 4  # every check-in, answered or not
    assert {"O1@1", "P1@1", "P1@2", "G2@1"} <= set(rows[0])
    alder = next(r for r in rows if r["organisation"] == "Alder Arts" and r["period"] == "2026 Q1")
    birch = next(
        r for r in rows if r["organisation"] == "Birch Kitchen" and r["period"] == "2026 Q2"
    )
    assert alder["P1@1"] == "32 of 41" and alder["P1@2"] == ""
    assert birch["P1@2"] == "5 of 9" and birch["P1@1"] == ""
    assert alder["G2@1"] == "'" + NASTY  # neutralised: a spreadsheet shows it as text
    assert birch["G2@1"].startswith("'+44")
    assert alder["O1@1"] == "12"


async def test_long_xlsx_has_a_row_per_answer_and_no_formulas(
    bridges: Programme, tmp_path: Path
) -> None:
    out = tmp_path / "bridges.xlsx"
    await export_programme("bridges", "xlsx", out, long=True)
    book = openpyxl.load_workbook(out)
    sheet = book.active
    assert sheet is not None
    header = [c.value for c in sheet[1]]
    rows = [
        dict(zip(header, (c.value for c in row), strict=True)) for row in sheet.iter_rows(min_row=2)
    ]
    assert len(rows) == 6
    story = next(r for r in rows if r["question_id"] == "G2" and r["organisation"] == "Alder Arts")
    assert story["value"] == "'" + NASTY
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)  # no formula cells
    p1 = [(r["question_version"], r["value"]) for r in rows if r["question_id"] == "P1"]
    assert sorted(p1) == [(1, "32 of 41"), (2, "5 of 9")]


async def test_an_unknown_format_is_refused_with_what_to_use(
    bridges: Programme, tmp_path: Path
) -> None:
    with pytest.raises(AdminError, match="use --format csv or --format xlsx"):
        await export_programme("bridges", "pdf", tmp_path / "x.pdf")
    assert not (tmp_path / "x.pdf").exists()
