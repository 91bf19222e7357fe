"""Frameworks as programmes store them, parsed once per text."""

from __future__ import annotations

import tomllib
from functools import lru_cache

from conversations.framework import Framework
from storage.records import Programme

# Each programme's last framework text and its parse. Every message reads its programme
# afresh, so the text is a new string each time: looking it up by value would hash all of
# it (tens of KB) on every message, where comparing it with the last one seen is a memcmp.
_latest: dict[int, tuple[str, Framework]] = {}


@lru_cache(maxsize=32)
def _parse(toml_text: str) -> Framework:
    return Framework.model_validate(tomllib.loads(toml_text))


def framework_for(programme: Programme) -> Framework:
    """The framework a programme was loaded with (validated when the programme file was loaded)."""
    text = programme.framework_toml
    seen = _latest.get(programme.id)
    if seen is not None and seen[0] == text:
        return seen[1]
    framework = _parse(text)
    _latest[programme.id] = (text, framework)
    return framework
