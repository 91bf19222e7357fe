"""The packaged list of UK local authorities: every council is found, in its own nation."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from conversations.nations import nation_of, place_of, places, suggestions

EXAMPLES = Path(__file__).parent.parent.parent / "examples" / "grantees.csv"


def test_every_council_of_the_uk_is_listed_once_in_its_nation() -> None:
    districts = [p for p in places().values() if p.kind == "district"]
    # ONS local authority districts since April 2023: 296 + 32 + 22 + 11
    assert Counter(p.nation for p in districts) == {
        "England": 296,
        "Scotland": 32,
        "Wales": 22,
        "Northern Ireland": 11,
    }
    assert all(p.district == p.name for p in districts)


def test_the_example_grantees_span_all_four_nations() -> None:
    with EXAMPLES.open(encoding="utf-8") as f:
        nations = {
            row["local_authority"]: nation_of(row["local_authority"]) for row in csv.DictReader(f)
        }
    assert nations["Cardiff"] == "Wales"
    assert nations["Glasgow City"] == "Scotland"
    assert nations["Derry City and Strabane"] == "Northern Ireland"
    assert nations["Bradford"] == "England"
    assert None not in nations.values()
    assert set(nations.values()) == {"England", "Scotland", "Wales", "Northern Ireland"}


@pytest.mark.parametrize(
    ("typed", "district", "nation"),
    [
        ("bradford", "Bradford", "England"),
        ("Bradford Metropolitan District Council", "Bradford", "England"),
        ("London Borough of Newham", "Newham", "England"),
        ("Royal Borough of Kensington & Chelsea", "Kensington and Chelsea", "England"),
        ("Bristol", "Bristol, City of", "England"),
        ("St Helens", "St. Helens", "England"),
        ("King\u2019s Lynn and West Norfolk", "King's Lynn and West Norfolk", "England"),
        ("Harrogate", "North Yorkshire", "England"),  # abolished in 2023: its successor
        ("Edinburgh", "City of Edinburgh", "Scotland"),
        ("Western Isles", "Na h-Eileanan Siar", "Scotland"),
        ("Caerdydd", "Cardiff", "Wales"),
        ("Blaenau Gwent County Borough Council", "Blaenau Gwent", "Wales"),
        (
            "Armagh City Banbridge and Craigavon",
            "Armagh City, Banbridge and Craigavon",
            "Northern Ireland",
        ),
        ("Derry", "Derry City and Strabane", "Northern Ireland"),
    ],
)
def test_councils_are_found_however_people_write_them(
    typed: str, district: str, nation: str
) -> None:
    place = place_of(typed)
    assert place is not None
    assert (place.district, place.nation) == (district, nation)


def test_a_county_council_gives_the_nation_but_no_district() -> None:
    place = place_of("Kent County Council")
    assert place is not None
    assert (place.nation, place.kind, place.district) == ("England", "county", None)


def test_an_unknown_name_has_no_nation_and_close_names_are_suggested() -> None:
    assert place_of("Glasgo") is None and nation_of("Atlantis") is None
    assert suggestions("Glasgo") == ["Glasgow"]
    assert suggestions("Cardif") == ["Cardiff"]
    assert suggestions("Atlantis") == []
