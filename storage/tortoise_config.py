"""TORTOISE_ORM for tortoise's CLI: `python -m tortoise -c storage.tortoise_config.TORTOISE_ORM`."""

from __future__ import annotations

import os
from typing import Any

from storage.db import tortoise_config

DEFAULT_URL = "sqlite://var/checkins.db"

TORTOISE_ORM: dict[str, Any] = tortoise_config(
    os.environ.get("CHECKINS_DATABASE__URL", DEFAULT_URL)
)
