"""Grantee CSV import: every problem reported by spreadsheet row and column, nothing partial."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.admin.grantee_import import (
    GranteeImportError,
    ImportProblem,
    read_grantees_csv,
    suggest_timezone,
)
from bot.admin.programme_file import DEFAULT_ACTIVITY_TYPES
from storage.records import GranteeSpec

REPO = Path(__file__).resolve().parents[2]
HEADER = "name,organisation,email,slack_user_id,timezone,activity_type,local_authority\n"
AMINA = (
    "Amina Hussain,Unity Through Food,amina@unitythroughfood.example.org,U0AMINA001,"
    "Europe/London,food,Bradford\n"
)
RAJ = "Raj Patel,Belgrave Arts,raj@belgravearts.example.org,,Europe/London,arts,Leicester\n"


def write(tmp_path: Path, text: str | bytes, name: str = "grantees.csv") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def problems(path: Path) -> list[ImportProblem]:
    with pytest.raises(GranteeImportError) as caught:
        read_grantees_csv(path, DEFAULT_ACTIVITY_TYPES)
    return caught.value.problems


def test_the_example_grantees_load() -> None:
    grantees = read_grantees_csv(REPO / "examples" / "grantees.csv", DEFAULT_ACTIVITY_TYPES)

    assert len(grantees) == 12
    assert grantees[0] == GranteeSpec(
        name="Amina Hussain",
        organisation="Unity Through Food",
        email="amina@unitythroughfood.example.org",
        slack_user_id="U0AMINA001",
        timezone="Europe/London",
        activity_type="food",
        local_authority="Bradford",
    )
    assert len({g.email for g in grantees}) == 12
    assert len({g.local_authority for g in grantees}) == 12
    assert sum(g.slack_user_id is None for g in grantees) == 2


def test_the_example_with_errors_reports_each_one() -> None:
    found = problems(REPO / "examples" / "grantees_with_errors.csv")

    assert [(p.row, p.column) for p in found] == [
        (3, "email"),
        (4, "timezone"),
        (5, "email"),
        (6, "slack_user_id"),
        (6, "activity_type"),
        (7, "timezone"),
        (7, "activity_type"),
    ]


def test_values_are_trimmed_and_normalised(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        HEADER + "  Amina Hussain , Unity ,  Amina@UnityThroughFood.example.org , u0amina001 ,"
        " Europe/London , FOOD , Bradford \n",
    )

    [grantee] = read_grantees_csv(path, DEFAULT_ACTIVITY_TYPES)

    assert grantee == GranteeSpec(
        "Amina Hussain",
        "Unity",
        "amina@unitythroughfood.example.org",
        "U0AMINA001",
        "Europe/London",
        "food",
        "Bradford",
    )


def test_column_order_is_free_and_bom_and_blank_lines_are_tolerated(tmp_path: Path) -> None:
    text = (
        "\ufefflocal_authority,activity_type,timezone,slack_user_id,email,organisation,name\r\n"
        "Bradford,food,Europe/London,,amina@unity.example.org,Unity,Amina\r\n"
        "\r\n"
        ",,,,,,\r\n"
        "Leicester,arts,Europe/London,,raj@belgrave.example.org,Belgrave,Raj\r\n"
    )

    grantees = read_grantees_csv(write(tmp_path, text), DEFAULT_ACTIVITY_TYPES)

    assert [(g.name, g.local_authority) for g in grantees] == [
        ("Amina", "Bradford"),
        ("Raj", "Leicester"),
    ]


def test_slack_user_id_column_may_be_left_out(tmp_path: Path) -> None:
    text = "name,organisation,email,timezone,activity_type,local_authority\n"
    text += "Raj,Belgrave,raj@belgrave.example.org,Europe/London,arts,Leicester\n"

    [grantee] = read_grantees_csv(write(tmp_path, text), DEFAULT_ACTIVITY_TYPES)

    assert grantee.slack_user_id is None


def test_bad_email_message_reads_as_promised(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + AMINA + RAJ + "Bob,Bobs Club,bob@,,Europe/London,food,Luton\n")

    [problem] = problems(path)

    assert (problem.row, problem.column) == (4, "email")
    assert str(problem).startswith("row 4, email: 'bob@' is not a valid email address")


def test_duplicate_email_is_reported_on_each_later_row_naming_the_first(tmp_path: Path) -> None:
    again = AMINA.replace("Amina Hussain", "A. Hussain").replace("amina@", "AMINA@")
    path = write(tmp_path, HEADER + AMINA + RAJ + again + again)

    assert [str(p) for p in problems(path)] == [
        "row 4, email: 'amina@unitythroughfood.example.org' is already used on row 2",
        "row 4, slack_user_id: 'U0AMINA001' is already used on row 2",
        "row 5, email: 'amina@unitythroughfood.example.org' is already used on row 2",
        "row 5, slack_user_id: 'U0AMINA001' is already used on row 2",
    ]


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("europe/london", "'europe/london' is not a time zone name; did you mean 'Europe/London'?"),
        ("London", "'London' is not a time zone name; did you mean 'Europe/London'?"),
        ("Europe/Londn", "'Europe/Londn' is not a time zone name; did you mean 'Europe/London'?"),
        ("BST", "'BST' is not a time zone name; did you mean 'Europe/London'?"),
        ("Narnia/Cair", "'Narnia/Cair' is not a time zone name; use one like 'Europe/London'"),
    ],
)
def test_unknown_timezone_gets_a_suggestion(tmp_path: Path, given: str, message: str) -> None:
    path = write(tmp_path, HEADER + AMINA.replace("Europe/London", given))

    assert [str(p) for p in problems(path)] == [f"row 2, timezone: {message}"]


def test_suggest_timezone_prefers_the_usual_name() -> None:
    assert suggest_timezone("new york") == "America/New_York"
    assert suggest_timezone("belfast") == "Europe/Belfast"
    assert suggest_timezone("xyzzy") is None


def test_activity_type_must_be_one_of_the_programmes(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + AMINA.replace(",food,", ",Cooking,"))

    with pytest.raises(GranteeImportError) as caught:
        read_grantees_csv(path, ["Food", "Arts"])

    assert str(caught.value) == (
        "row 2, activity_type: 'Cooking' is not one of this programme's activity types: food, arts"
    )


def test_activity_type_is_case_insensitive(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + AMINA.replace(",food,", ",Food,"))

    [grantee] = read_grantees_csv(path, ["FOOD"])

    assert grantee.activity_type == "food"


def test_every_empty_required_cell_is_reported(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + ",,,,,,\n" + " , ,  ,U0AMINA001, , , \n")

    found = problems(path)

    assert [(p.row, p.column) for p in found] == [
        (3, "name"),
        (3, "organisation"),
        (3, "email"),
        (3, "timezone"),
        (3, "activity_type"),
        (3, "local_authority"),
    ]
    assert str(found[4]) == (
        "row 3, activity_type: is empty; choose one of " + ", ".join(DEFAULT_ACTIVITY_TYPES)
    )


def test_bad_slack_id_is_explained(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + AMINA.replace("U0AMINA001", "@amina"))

    [problem] = problems(path)

    assert (problem.row, problem.column) == (2, "slack_user_id")
    assert "'@amina' is not a Slack member ID such as 'U0AMINA001'" in problem.message


def test_all_problems_are_reported_at_once_and_nothing_is_returned(tmp_path: Path) -> None:
    text = (
        HEADER
        + AMINA
        + "Raj,Belgrave,raj@,,Europe/London,arts,Leicester\n"
        + "Grace,Forest Gate,grace@fg.example.org,,Mars/Base,youth,Newham\n"
        + RAJ
        + "Ewa,Millfield,ewa@mill.example.org,,Europe/London,knitting,\n"
    )

    with pytest.raises(GranteeImportError) as caught:
        read_grantees_csv(write(tmp_path, text), DEFAULT_ACTIVITY_TYPES)

    assert [(p.row, p.column) for p in caught.value.problems] == [
        (3, "email"),
        (4, "timezone"),
        (6, "activity_type"),
        (6, "local_authority"),
    ]
    assert str(caught.value).splitlines() == [str(p) for p in caught.value.problems]


def test_missing_columns_are_reported_together(tmp_path: Path) -> None:
    path = write(tmp_path, "name,organisation,slack_user_id,local_authority\nA,B,,Leeds\n")

    [problem] = problems(path)

    assert (problem.row, problem.column) == (1, None)
    assert problem.message.startswith("missing columns: email, timezone, activity_type;")


def test_unknown_columns_are_named(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER.rstrip("\n") + ",Phone,notes\n" + AMINA.rstrip("\n") + ",1,\n")

    [problem] = problems(path)

    assert str(problem).startswith("row 1: unknown columns: 'Phone', 'notes'; the columns are name")


def test_friendly_headings_are_understood(tmp_path: Path) -> None:
    text = "Name,Organization,Email,Slack user ID,Time zone,Activity type,Local authority\n"

    [grantee] = read_grantees_csv(write(tmp_path, text + AMINA), DEFAULT_ACTIVITY_TYPES)

    assert grantee.organisation == "Unity Through Food"


def test_duplicate_heading_is_reported(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER.rstrip("\n") + ",email\n" + AMINA.rstrip("\n") + ",x\n")

    assert [str(p) for p in problems(path)] == [
        "row 1, email: appears twice (columns C and H); keep one"
    ]


def test_value_under_a_blank_heading_is_reported(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER.rstrip("\n") + ",\n" + AMINA.rstrip("\n") + ",stray\n")

    assert [str(p) for p in problems(path)] == ["row 2: a value in column H, which has no heading"]


@pytest.mark.parametrize("text", ["", "\n\n", ",,,\n"])
def test_empty_file_is_one_clear_problem(tmp_path: Path, text: str) -> None:
    [problem] = problems(write(tmp_path, text))

    assert problem == ImportProblem(None, None, problem.message)
    assert problem.message.startswith("the file is empty; it needs a header row naming the columns")


def test_header_without_grantees_is_a_problem(tmp_path: Path) -> None:
    assert [str(p) for p in problems(write(tmp_path, HEADER))] == [
        "the file has a header row but no grantees"
    ]


def test_file_that_is_not_utf8_is_one_clear_problem(tmp_path: Path) -> None:
    latin1 = (HEADER + AMINA + RAJ.replace("Raj", "Raúl")).encode("latin-1")

    [problem] = problems(write(tmp_path, latin1))

    assert problem.row is None
    assert "not UTF-8 text (the first unreadable character is on line 3)" in problem.message
    assert "CSV UTF-8" in problem.message


def test_semicolon_separated_file_is_explained(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER.replace(",", ";") + AMINA.replace(",", ";"))

    [problem] = problems(path)

    assert problem.message == "the columns are not separated by commas; save as CSV"


def test_missing_file_is_a_problem_not_a_traceback(tmp_path: Path) -> None:
    [problem] = problems(tmp_path / "nope.csv")

    assert problem.message == f"{tmp_path}/nope.csv: no such file"


def test_quoted_cells_keep_commas_and_rows_match_the_spreadsheet(tmp_path: Path) -> None:
    text = (
        HEADER
        + '"Hussain, Amina","Unity Through Food, Bradford",amina@u.example.org,,'
        + "Europe/London,food,Bradford\n"
        + '"Raj","Belgrave\nArts",raj@,,Europe/London,arts,Leicester\n'
    )

    [problem] = problems(write(tmp_path, text))

    assert (problem.row, problem.column) == (3, "email")


def test_problem_text_forms() -> None:
    assert str(ImportProblem(4, "email", "bad")) == "row 4, email: bad"
    assert str(ImportProblem(1, None, "bad")) == "row 1: bad"
    assert str(ImportProblem(None, None, "bad")) == "bad"


def test_a_local_authority_must_be_a_uk_council_so_its_nation_is_known(tmp_path: Path) -> None:
    glasgo = (
        AMINA.replace(",Bradford", ",Glasgo").replace("amina@", "amina2@").replace("U0AMINA001", "")
    )
    atlantis = RAJ.replace(",Leicester", ",Atlantis")
    path = write(tmp_path, HEADER + AMINA + glasgo + atlantis)

    found = problems(path)

    assert [(p.row, p.column) for p in found] == [(3, "local_authority"), (4, "local_authority")]
    assert str(found[0]) == (
        "row 3, local_authority: 'Glasgo' is not a UK local authority we know, so we can't tell "
        "which nation's figures apply; did you mean 'Glasgow'? use the council's name, such as "
        "'Bradford', 'Glasgow City', 'Cardiff' or 'Belfast'"
    )
    assert str(found[1]).endswith(
        "figures apply; use the council's name, such as 'Bradford', 'Glasgow City', 'Cardiff' "
        "or 'Belfast'"
    )


def test_council_names_are_accepted_as_people_write_them(tmp_path: Path) -> None:
    welsh = RAJ.replace(",Leicester", ",Cardiff Council")
    path = write(tmp_path, HEADER + AMINA.replace(",Bradford", ",City of Bradford") + welsh)
    assert [g.local_authority for g in read_grantees_csv(path, DEFAULT_ACTIVITY_TYPES)] == [
        "City of Bradford",
        "Cardiff Council",
    ]
