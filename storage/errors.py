"""The errors storage raises, for every layer that catches them; they import nothing of ours."""

from __future__ import annotations


class StorageError(Exception):
    """Anything storage cannot do, explained for the person running the bot."""


class SchemaOutOfDate(StorageError):
    """The database exists but has migrations still to apply."""


class NotFound(StorageError):
    """A row named by id does not exist."""
