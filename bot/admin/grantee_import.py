"""Read a grantee list exported from a spreadsheet (CSV); report every problem by row and column."""

from __future__ import annotations

import csv
import difflib
import io
import re
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from email_validator import EmailNotValidError, validate_email

from bot.errors import BotError
from conversations.nations import place_of, suggestions
from storage.records import GranteeSpec

COLUMNS = (
    "name",
    "organisation",
    "email",
    "slack_user_id",
    "timezone",
    "activity_type",
    "local_authority",
    "grant_amount",
)
# A programme without Slack need not carry an empty column; the grant amount (in pounds, for
# cost per participant) is given only where it is known.
OPTIONAL_COLUMNS = frozenset({"slack_user_id", "grant_amount"})
_AMOUNT = re.compile(r"^£?\s*(\d{1,3}(,\d{3})+|\d+)(\.\d{1,2})?$")
SLACK_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
# Spellings people reasonably type in a heading; the value is the column they mean.
_COLUMN_ALIASES = {
    "organization": "organisation",
    "time_zone": "timezone",
    "slack_id": "slack_user_id",
    "grant": "grant_amount",
}
_ZONE_ABBREVIATIONS = {"bst": "Europe/London", "uk": "Europe/London"}
_NEEDS = {
    "name": "every grantee needs a contact name",
    "organisation": "every grantee needs an organisation",
    "email": "every grantee needs an email address",
    "timezone": "every grantee needs a time zone such as 'Europe/London'",
    "activity_type": "",  # the message lists the programme's activity types
    "local_authority": "every grantee needs a local authority, such as 'Bradford'",
}


@dataclass(frozen=True)
class ImportProblem:
    """One thing to fix; rows are numbered as a spreadsheet shows them (the header is row 1)."""

    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = ", ".join(
            part for part in (f"row {self.row}" if self.row else "", self.column or "") if part
        )
        return f"{where}: {self.message}" if where else self.message


class GranteeImportError(BotError):
    """The file cannot be imported; `problems` holds every problem found, in file order."""

    def __init__(self, problems: list[ImportProblem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def read_grantees_csv(path: Path, activity_types: Sequence[str]) -> list[GranteeSpec]:
    """Every grantee in the file, or GranteeImportError listing every problem (never a part)."""
    text = _read_text(path)
    records: list[tuple[int, list[str]]] = []
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        # Counting records, not physical lines, matches spreadsheet rows even when a quoted cell
        # holds a line break.
        for number, cells in enumerate(reader, start=1):
            if any(cell.strip() for cell in cells):
                records.append((number, [cell.strip() for cell in cells]))
    except csv.Error as exc:
        raise _fail(f"cannot read the file as CSV near line {reader.line_num}: {exc}") from None
    if not records:
        raise _fail(_empty_message())

    header_row, header = records[0]
    problems, columns = _check_header(header_row, header)
    # Keep the programme's order (dict keys): "other" reads best last, as the funder wrote it.
    allowed = list(dict.fromkeys(a.strip().lower() for a in activity_types))
    # Excel often leaves trailing unnamed columns; they matter only if something was typed there.
    unnamed = {i for i, heading in enumerate(header) if not heading}
    checker = _RowChecker(columns, unnamed, allowed, problems)
    grantees = [g for row, cells in records[1:] if (g := checker.check(row, cells)) is not None]
    if not problems and not grantees:
        problems.append(ImportProblem(None, None, "the file has a header row but no grantees"))
    if problems:
        raise GranteeImportError(problems)
    return grantees


def _fail(message: str) -> GranteeImportError:
    return GranteeImportError([ImportProblem(None, None, message)])


def _empty_message() -> str:
    return f"the file is empty; it needs a header row naming the columns {', '.join(COLUMNS)}"


def _read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise _fail(f"{path}: no such file") from None
    except OSError as exc:
        raise _fail(f"{path}: cannot be read ({exc.strerror})") from None
    try:
        # utf-8-sig drops the byte-order mark Excel writes at the start of "CSV UTF-8" files.
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise _fail(
            f"the file is not UTF-8 text (the first unreadable character is on line {line}); "
            "in your spreadsheet, save it as 'CSV UTF-8' and try again"
        ) from None


def _column_name(heading: str) -> str:
    name = re.sub(r"[\s-]+", "_", heading.strip().lower())
    return _COLUMN_ALIASES.get(name, name)


def _letter(index: int) -> str:
    """Spreadsheet column letter: 0 -> A, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def _check_header(row: int, header: list[str]) -> tuple[list[ImportProblem], dict[str, int]]:
    problems: list[ImportProblem] = []
    columns: dict[str, int] = {}
    unknown: list[str] = []
    if len(header) == 1 and any(sep in header[0] for sep in ";\t"):
        problems.append(
            ImportProblem(row, None, "the columns are not separated by commas; save as CSV")
        )
        return problems, columns
    for index, heading in enumerate(header):
        name = _column_name(heading)
        if not name:
            continue
        if name in columns:
            problems.append(
                ImportProblem(
                    row,
                    name,
                    f"appears twice (columns {_letter(columns[name])} "
                    f"and {_letter(index)}); keep one",
                )
            )
        elif name in COLUMNS:
            columns[name] = index
        else:
            unknown.append(heading)
    missing = [c for c in COLUMNS if c not in columns and c not in OPTIONAL_COLUMNS]
    expected = f"the columns are {', '.join(COLUMNS)}"
    if missing:
        problems.append(
            ImportProblem(row, None, f"missing columns: {', '.join(missing)}; {expected}")
        )
    if unknown:
        named = ", ".join(repr(u) for u in unknown)
        problems.append(ImportProblem(row, None, f"unknown columns: {named}; {expected}"))
    return problems, columns


class _RowChecker:
    """Checks rows in order, remembering emails and Slack ids to catch repeats."""

    def __init__(
        self,
        columns: dict[str, int],
        unnamed: set[int],
        allowed: list[str],
        problems: list[ImportProblem],
    ) -> None:
        self.columns = columns
        self.unnamed = unnamed
        self.allowed = ", ".join(allowed)
        self.allowed_set = set(allowed)
        self.problems = problems
        self.first_row: dict[tuple[str, str], int] = {}

    def check(self, row: int, cells: list[str]) -> GranteeSpec | None:
        before = len(self.problems)
        stray = [_letter(i) for i, cell in enumerate(cells) if cell and i in self.unnamed]
        if stray:
            self._add(row, None, f"a value in column {', '.join(stray)}, which has no heading")
        value: dict[str, str] = {}
        for name in COLUMNS:
            if name not in self.columns:
                continue
            index = self.columns[name]
            given = cells[index] if index < len(cells) else ""
            if not given and name in _NEEDS:
                need = _NEEDS[name] if name != "activity_type" else f"choose one of {self.allowed}"
                self._add(row, name, f"is empty; {need}")
            value[name] = self._clean(row, name, given) if given else ""
        if len(self.problems) > before or any(name not in value for name in _NEEDS):
            return None
        return GranteeSpec(
            name=value["name"],
            organisation=value["organisation"],
            email=value["email"],
            slack_user_id=value.get("slack_user_id") or None,
            timezone=value["timezone"],
            activity_type=value["activity_type"],
            local_authority=value["local_authority"],
            grant_amount=float(value["grant_amount"]) if value.get("grant_amount") else None,
        )

    def _add(self, row: int, column: str | None, message: str) -> None:
        self.problems.append(ImportProblem(row, column, message))

    def _once(self, row: int, column: str, value: str) -> None:
        first = self.first_row.setdefault((column, value), row)
        if first != row:
            self._add(row, column, f"{value!r} is already used on row {first}")

    def _clean(self, row: int, name: str, given: str) -> str:
        """The stored form of a non-empty cell, recording a problem if it is unusable."""
        if name == "email":
            try:
                email = validate_email(given, check_deliverability=False).normalized.lower()
            except EmailNotValidError as exc:
                reason = str(exc).rstrip(".")
                reason = reason[:1].lower() + reason[1:]
                self._add(row, name, f"{given!r} is not a valid email address ({reason})")
                return given
            self._once(row, name, email)
            return email
        if name == "slack_user_id":
            # Slack member ids are upper-case; accepting any case spares a re-export for a typo.
            slack = given.upper()
            if not SLACK_USER_ID.match(slack):
                self._add(
                    row,
                    name,
                    f"{given!r} is not a Slack member ID such as 'U0AMINA001' (in Slack: profile, "
                    "then ⋮, then 'Copy member ID'); leave it empty to use email only",
                )
            else:
                self._once(row, name, slack)
            return slack
        if name == "timezone" and given not in _zones():
            suggestion = suggest_timezone(given)
            hint = f"did you mean {suggestion!r}?" if suggestion else "use one like 'Europe/London'"
            self._add(row, name, f"{given!r} is not a time zone name; {hint}")
        if name == "grant_amount":
            if not _AMOUNT.match(given):
                self._add(
                    row,
                    name,
                    f"{given!r} is not an amount in pounds such as 12000 or £12,500.50; "
                    "leave it empty if you do not want cost per participant shown",
                )
                return given
            return given.lstrip("£").strip().replace(",", "")
        if name == "activity_type":
            if given.lower() not in self.allowed_set:
                self._add(
                    row,
                    name,
                    f"{given!r} is not one of this programme's activity types: {self.allowed}",
                )
            return given.lower()
        if name == "local_authority" and place_of(given) is None:
            close = suggestions(given)
            hint = f"did you mean {' or '.join(repr(c) for c in close)}? " if close else ""
            self._add(
                row,
                name,
                f"{given!r} is not a UK local authority we know, so we can't tell which nation's "
                f"figures apply; {hint}use the council's name, such as 'Bradford', "
                "'Glasgow City', 'Cardiff' or 'Belfast'",
            )
        return given


@cache
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def suggest_timezone(name: str) -> str | None:
    """The IANA zone someone probably meant: 'europe/london' or 'London' -> 'Europe/London'."""
    key = re.sub(r"\s+", "_", name.strip()).lower()
    lowered = {zone.lower(): zone for zone in _zones()}
    if key in lowered:
        return lowered[key]
    if key in _ZONE_ABBREVIATIONS:
        return _ZONE_ABBREVIATIONS[key]
    cities: dict[str, str] = {}
    for zone in sorted(_zones(), key=lambda z: (z.count("/") != 1, z)):
        # Prefer "Europe/London" over deeper or legacy names that share the last part.
        cities.setdefault(zone.rsplit("/", 1)[-1].lower(), zone)
    if key in cities:
        return cities[key]
    close = difflib.get_close_matches(key, list(lowered), n=1, cutoff=0.8)
    if close:
        return lowered[close[0]]
    close = difflib.get_close_matches(key, list(cities), n=1, cutoff=0.8)
    return cities[close[0]] if close else None
