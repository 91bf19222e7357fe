"""Private link tokens: minted at random, stored hashed, checked for expiry and revocation."""

from __future__ import annotations

import enum
import hashlib
import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime

from bot.clock import Clock, utc_now
from storage import web_links
from storage.records import CheckInContext
from storage.web_links import WebLink

TOKEN_BYTES = 32  # 256 bits from the system's CSPRNG
# a link's token, as it appears in a path: what token_urlsafe makes, and nothing longer
TOKEN_PATTERN = r"[A-Za-z0-9_-]{43}"
_CACHED_LINKS = 20_000  # check-ins whose link this process has minted and can put in messages
# how long messages keep carrying the same link before a fresh one is minted: a link revoked
# from the command line (another process) stops appearing in new messages after this long
REUSE_SECONDS = 600.0


def token_hash(token: str) -> str:
    """What is stored and looked up: a token of 256 random bits needs no salt or slow hash."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()


class LinkProblem(enum.StrEnum):
    UNKNOWN = "unknown"  # never issued (forged, mistyped, or cut short by a mail program)
    EXPIRED = "expired"  # the round closed
    REVOKED = "revoked"


@dataclass(frozen=True)
class OpenLink:
    """A link that works now, with the check-in it opens as just read."""

    token: str
    link: WebLink
    context: CheckInContext


class Links:
    """Mints links for messages and opens them for pages."""

    def __init__(self, base_url: str, *, clock: Clock = utc_now) -> None:
        self.base_url = base_url.rstrip("/")
        self.clock = clock
        # check-in id -> token of a link minted here: every message of a check-in carries the
        # same link without a write per message. Tokens live in memory only, never in logs.
        self._minted: OrderedDict[int, tuple[str, float]] = OrderedDict()
        self._monotonic = time.monotonic

    def url(self, token: str, page: str = "") -> str:
        return f"{self.base_url}/checkin/{token}{page}"

    async def mint(self, context: CheckInContext) -> str:
        """A new link's token for this check-in (stored hashed); it expires as the round closes."""
        token = secrets.token_urlsafe(TOKEN_BYTES)
        await web_links.issue_link(
            context.checkin.id,
            context.grantee.id,
            token_hash=token_hash(token),
            form_key=secrets.token_urlsafe(32),
            expires_at=context.round.closes_at,
            now=self.clock(),
        )
        self._remember(context.checkin.id, token)
        return token

    async def url_for(self, context: CheckInContext) -> str | None:
        """The link that messages about this check-in carry; None once its round has closed."""
        if not context.round.is_open:
            return None
        known = self._minted.get(context.checkin.id)
        if known is None or self._monotonic() - known[1] > REUSE_SECONDS:
            return self.url(await self.mint(context))
        self._minted.move_to_end(context.checkin.id)
        return self.url(known[0])

    def known_url(self, checkin_id: int) -> str | None:
        """The link this process already put in a message about the check-in, if any."""
        known = self._minted.get(checkin_id)
        if known is None or self._monotonic() - known[1] > REUSE_SECONDS:
            return None
        return self.url(known[0])

    def forget(self, checkin_ids: list[int]) -> None:
        """After a revocation: the next message mints a fresh link."""
        for checkin_id in checkin_ids:
            self._minted.pop(checkin_id, None)

    def _remember(self, checkin_id: int, token: str) -> None:
        self._minted[checkin_id] = (token, self._monotonic())
        self._minted.move_to_end(checkin_id)
        while len(self._minted) > _CACHED_LINKS:
            self._minted.popitem(last=False)

    async def open(self, token: str) -> OpenLink | LinkProblem:
        """The link behind a token from a URL, or why it does not open anything."""
        found = await web_links.find_link(token_hash(token))
        if found is None:
            return LinkProblem.UNKNOWN
        problem = link_problem(found.link, found.context, self.clock())
        return OpenLink(token, found.link, found.context) if problem is None else problem


def link_problem(link: WebLink, context: CheckInContext, now: datetime) -> LinkProblem | None:
    """Why a link, as read with its check-in, opens nothing at `now`; None when it works."""
    if link.revoked_at is not None:
        return LinkProblem.REVOKED
    closed = not context.round.is_open
    if closed or (link.expires_at is not None and now >= link.expires_at):
        return LinkProblem.EXPIRED
    if link.grantee_id != context.grantee.id or not context.grantee.active:
        return LinkProblem.REVOKED  # the check-in is no longer this grantee's to answer
    return None
