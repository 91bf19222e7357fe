"""The corpus of replies as mail clients write them (tests/data/email/replies/), and its filling.

Each `.eml` is a reply to the first check-in email, in the shape one client gives it; its `.json`
says which client, the answers that must be stored, and what our reply must say. Placeholders
are filled from the email the service really sent: %NAME%, %DUE%, %FROM%, %REPLY_TO%,
%IN_REPLY_TO%, %MESSAGE_ID% (and %BASE64_BODY%, from a `body` file, for base64 bodies).
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

CORPUS = Path(__file__).resolve().parents[1] / "data" / "email" / "replies"


def corpus() -> list[tuple[str, dict[str, Any]]]:
    return [
        (path.name, json.loads(path.with_suffix(".json").read_text(encoding="utf-8")))
        for path in sorted(CORPUS.glob("*.eml"))
    ]


def filled(name: str, spec: dict[str, Any], values: dict[str, str]) -> bytes:
    def fill(text: str) -> str:
        for key, value in values.items():
            text = text.replace(f"%{key}%", value)
        return text

    text = fill((CORPUS / name).read_text(encoding="utf-8"))
    if "body" in spec:
        body = fill((CORPUS / spec["body"]).read_text(encoding="utf-8"))
        encoded = base64.encodebytes(body.replace("\n", "\r\n").encode()).decode()
        text = text.replace("%BASE64_BODY%", encoded)
    return text.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8")
