"""Frameworks as programmes store them, parsed once per text."""

from __future__ import annotations

import tomllib
from functools import lru_cache

from conversations.framework import Framework
from storage.records import Programme


@lru_cache(maxsize=32)
def _parse(toml_text: str) -> Framework:
    return Framework.model_validate(tomllib.loads(toml_text))


def framework_for(programme: Programme) -> Framework:
    """The framework a programme was loaded with (validated when the programme file was loaded)."""
    return _parse(programme.framework_toml)
