"""The page a form's redirect asks for, drawn from the check-in as the form's step stored it."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import replace

from bot.clock import Clock
from bot.conversation.web_links import OpenLink, link_problem
from storage.records import CheckIn

# How long a stored step's check-in waits for the page after it. A browser asks for that page
# as soon as the form's answer (a redirect) arrives, so this is a ceiling, not a wait.
KEEP_SECONDS = 5.0
_MOST_KEPT = 10_000  # links whose page has not been asked for yet; the oldest go first


class AfterSteps:
    """Each link's check-in as its last form's step stored it, until the next page is asked for.

    Every form is checked against the database as it stands (its link, the round, the
    grantee, the check-in's version), and its step is stored with a compare-and-set. The page
    its redirect asks for then needs no second read: the step returned the check-in as it
    stored it, and this process's later steps of the same check-in (a second tab, an email)
    replace it here. Each is used once, for the next page of that link within KEEP_SECONDS,
    and only while the link has not expired; any later page reads the database again. A
    change made by another process in that moment (a revocation, a round closed by hand,
    another instance's step) shows from the page after, and a form sent from that one page is
    checked against the database as every form is.
    """

    def __init__(self, clock: Clock, *, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._monotonic = monotonic
        self._kept: OrderedDict[str, tuple[OpenLink, float]] = OrderedDict()
        self._tokens: dict[int, set[str]] = {}  # check-in id -> its tokens kept above

    def keep(self, opened: OpenLink, checkin: CheckIn) -> None:
        """`opened`'s check-in is now `checkin`, as a step of its form stored it."""
        now = self._monotonic()
        while self._kept:  # kept in the order they came, so the expired ones are first
            oldest, (_, until) = next(iter(self._kept.items()))
            if until > now and len(self._kept) < _MOST_KEPT:
                break
            self._drop(oldest)
        self._drop(opened.token)
        context = replace(opened.context, checkin=checkin)
        self._kept[opened.token] = (replace(opened, context=context), now + KEEP_SECONDS)
        self._tokens.setdefault(checkin.id, set()).add(opened.token)

    def take(self, token: str) -> OpenLink | None:
        """The link's check-in as its last step stored it, once; None if there is none, or
        it is too old, or the link has expired since (the database then says why)."""
        kept = self._drop(token)
        if kept is None:
            return None
        opened, until = kept
        if self._monotonic() >= until:
            return None
        if link_problem(opened.link, opened.context, self.clock()) is not None:
            return None
        return opened

    def stored(self, checkin: CheckIn) -> None:
        """A step of this process stored `checkin` (the dispatcher's on_stored hook)."""
        for token in self._tokens.get(checkin.id, ()):
            opened, until = self._kept[token]
            if opened.context.checkin.version < checkin.version:
                context = replace(opened.context, checkin=checkin)
                self._kept[token] = (replace(opened, context=context), until)

    def _drop(self, token: str) -> tuple[OpenLink, float] | None:
        kept = self._kept.pop(token, None)
        if kept is not None:
            checkin_id = kept[0].context.checkin.id
            tokens = self._tokens[checkin_id]
            tokens.discard(token)
            if not tokens:
                del self._tokens[checkin_id]
        return kept
