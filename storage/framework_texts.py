"""Programmes' framework texts as check-in contexts read them: each read once, then by its hash."""

from __future__ import annotations

import hashlib
from functools import lru_cache

from storage import sql
from storage.errors import StorageError

# Every framework text this process has read, by its SHA-256. A programme's text changes only
# when the programme is loaded again, so a process meets a handful in its life. None is ever
# let go: a statement leaves out each text held when it was made, and the text must still be
# here when its rows are read.
_held: dict[str, str] = {}


def sha256_of(text: str) -> str:
    """What `programme.framework_sha256` holds for `text`."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def held() -> list[str]:
    """The hashes of the texts held now: a context statement's values for `column(len(...))`."""
    return list(_held)


@lru_cache(maxsize=64)
def column(known: int) -> str:
    """The SELECT expression for `p_framework_toml`: NULL when the programme's text is one of
    the `known` held (their hashes are the statement's first values), else the text."""
    if not known:
        return "p.framework_toml AS p_framework_toml"
    return (
        f"CASE WHEN p.framework_sha256 IN ({sql.placeholders(known)}) THEN NULL "
        "ELSE p.framework_toml END AS p_framework_toml"
    )


def text_of(read: str | None, sha256: str) -> str:
    """A row's framework text: as read (and held from now on, when it is what its hash says),
    or the held text the statement left out."""
    if read is None:
        found = _held.get(sha256)
        if found is None:
            raise StorageError(f"framework text {sha256[:12]} was left out but is not held")
        return found
    if sha256 and sha256 not in _held and sha256_of(read) == sha256:
        _held[sha256] = read
    return read
