"""Which UK nation a local authority is in, from the packaged list of local authority names."""

from __future__ import annotations

import csv
import difflib
import io
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal, get_args

Nation = Literal["England", "Scotland", "Wales", "Northern Ireland"]
NATIONS: tuple[Nation, ...] = get_args(Nation)
# What a name in the list is: a council of the lowest tier (the 361 local authority districts
# of April 2023 onwards), an English county council, a wider area (a region, a former county),
# a district abolished since 2019 (same_as names its successor), or another spelling.
Kind = Literal["district", "county", "area", "former", "alias"]
KINDS: tuple[Kind, ...] = get_args(Kind)
DATA_FILE = "local_authorities.csv"

# Words people add around a council's name that do not change which council it is.
_AROUND = re.compile(
    r"^(the |london borough of |royal borough of |metropolitan borough of |borough of |"
    r"county of |city and county of |city of )"
    r"|(( metropolitan)?( county)?( borough| district| city| county))? council$"
)


@dataclass(frozen=True)
class Place:
    """A local authority as the list knows it: `district` is None for a county or wider area."""

    name: str
    nation: Nation
    kind: Kind
    district: str | None


def normalised(name: str) -> str:
    """A name reduced to what tells councils apart: case, '&', punctuation and spacing ignored."""
    text = name.casefold().replace("&", " and ").replace("\u2019", "").replace("'", "")
    text = re.sub(r"[^\w]+", " ", text).strip()
    return re.sub(r"\s+", " ", text)


def _stripped(key: str) -> str:
    previous = None
    while previous != key:
        previous, key = key, _AROUND.sub("", key).strip()
    return key


@cache
def places() -> dict[str, Place]:
    """Every known name, normalised, to its place."""
    text = resources.files("conversations").joinpath(DATA_FILE).read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    districts = {r["name"] for r in rows if r["kind"] == "district"}
    found: dict[str, Place] = {}
    for row in rows:
        nation, kind = row["nation"], row["kind"]
        if nation not in NATIONS or kind not in KINDS:
            raise ValueError(f"{DATA_FILE}: {row['name']!r} has nation {nation!r}, kind {kind!r}")
        same_as = row["same_as"] or None
        if kind in ("former", "alias") and same_as not in districts:
            raise ValueError(f"{DATA_FILE}: {row['name']!r} refers to unknown {same_as!r}")
        district = row["name"] if kind == "district" else same_as
        key = normalised(row["name"])
        if key in found:
            raise ValueError(f"{DATA_FILE}: {row['name']!r} is listed twice")
        found[key] = Place(row["name"], nation, kind, district)
    return found


def place_of(local_authority: str) -> Place | None:
    """The place a grantee's local authority names, or None when it is not a UK council."""
    known = places()
    key = normalised(local_authority)
    return known.get(key) or known.get(_stripped(key))


def nation_of(local_authority: str) -> Nation | None:
    place = place_of(local_authority)
    return None if place is None else place.nation


def suggestions(local_authority: str, limit: int = 3) -> list[str]:
    """Council names close to a misspelt one, best first, to offer in an error message."""
    known = places()
    close = difflib.get_close_matches(
        _stripped(normalised(local_authority)), list(known), n=limit, cutoff=0.75
    )
    return [known[k].name for k in close]
