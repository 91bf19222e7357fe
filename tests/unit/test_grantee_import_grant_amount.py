"""The grantee file's optional grant_amount column: pounds as people type them, or a clear error."""

from __future__ import annotations

from pathlib import Path

from bot.admin.grantee_import import read_grantees_csv
from bot.admin.programme_file import DEFAULT_ACTIVITY_TYPES
from conversations.business_case import cost_per_participant
from tests.unit.test_grantee_import import AMINA, HEADER, RAJ, problems, write

WITH_AMOUNT = HEADER.rstrip("\n") + ",grant_amount\n"


def test_amounts_are_read_in_the_ways_people_type_them(tmp_path: Path) -> None:
    text = WITH_AMOUNT + AMINA.rstrip("\n") + ',"£12,500.50"\n' + RAJ.rstrip("\n") + ",\n"
    amina, raj = read_grantees_csv(write(tmp_path, text), DEFAULT_ACTIVITY_TYPES)
    assert amina.grant_amount == 12500.5
    assert raj.grant_amount is None  # left empty: no cost per participant for them
    assert cost_per_participant(amina.grant_amount, 50) == 250.01


def test_a_file_without_the_column_still_loads(tmp_path: Path) -> None:
    (amina,) = read_grantees_csv(write(tmp_path, HEADER + AMINA), DEFAULT_ACTIVITY_TYPES)
    assert amina.grant_amount is None


def test_an_amount_that_is_not_money_is_named(tmp_path: Path) -> None:
    text = WITH_AMOUNT + AMINA.rstrip("\n") + ",twelve grand\n"
    (problem,) = problems(write(tmp_path, text))
    assert str(problem) == (
        "row 2, grant_amount: 'twelve grand' is not an amount in pounds such as 12000 or "
        "£12,500.50; leave it empty if you do not want cost per participant shown"
    )
