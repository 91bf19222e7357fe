"""The keying screen: staff type paper forms in one after another, every item on one page, each
answer as its number; a form saved comes back empty, and the one just saved can be taken back."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from urllib.parse import urlencode

from aiohttp import web

from bot.channels.web.forms import MAX_FIELD_CHARS, field
from bot.channels.web.link_gate import LinkGate
from bot.channels.web.staff_setting import (
    KIND_PATTERN,
    NAMES,
    SLUGS,
    Staff,
    kind_in,
    setting,
    staff_for,
)
from bot.channels.web.views import Views
from bot.conversation.dispatcher import Dispatcher
from bot.participants.keying import key_form, take_back, tally
from conversations.participant_forms import FormLayout, SubmissionProblems, form_layout
from conversations.participant_items import FORM_KINDS, FormKind, ItemOption

_ENTRY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_REMEMBERED = 10_000  # forms posted lately, so that one posted twice is stored once
MAX_KEYED = 100_000  # a sane bound on the forms counted in one sitting


@dataclass(frozen=True)
class KeyField:
    """One short text input of the keying screen, in the order the paper form has them."""

    id: str  # its name, id and the error summary's anchor
    number: int | None  # the question's number on the form; None for age group and code
    label: str
    hint: str
    value: str = ""
    error: str | None = None
    code: bool = False  # the participant code: letters, wider


def _numbered(options: tuple[ItemOption, ...]) -> str:
    return ", ".join(f"{n} {o.label}" for n, o in enumerate(options, start=1))


def key_fields(
    layout: FormLayout,
    entered: Mapping[str, str] | None = None,
    problems: Mapping[str, str] | None = None,
) -> list[KeyField]:
    """The screen's fields with what was typed and, for each that cannot be taken, what to type."""
    entered, problems = entered or {}, problems or {}
    fields = []
    for number, item in enumerate(layout.items, start=1):
        if item.kind == "choice":
            hint = _numbered(item.options)
            error = f"Enter a number from 1 to {len(item.options)}, or leave it blank"
        else:
            ends = f"{item.min} {item.min_label}, {item.max} {item.max_label}"
            hint = f"{item.min} to {item.max}: {ends}"
            error = f"Enter a whole number from {item.min} to {item.max}, or leave it blank"
        fields.append(
            KeyField(
                item.id,
                number,
                item.wording,
                hint,
                entered.get(item.id, ""),
                error if item.id in problems else None,
            )
        )
    form = layout.form
    bands = len(form.age_bands)
    fields.append(
        KeyField(
            "age_band",
            None,
            form.age_question,
            _numbered(form.age_bands),
            entered.get("age_band", ""),
            f"Enter a number from 1 to {bands}, or leave it blank"
            if "age_band" in problems
            else None,
        )
    )
    fields.append(
        KeyField(
            "code",
            None,
            form.code_question,
            "As written on the form, for example MA07LE. Leave it blank if there is none.",
            entered.get("code", ""),
            problems.get("code"),
            code=True,
        )
    )
    if "form" in problems:  # nothing entered at all: said at the first field
        fields[0] = replace(fields[0], error="Enter the answers from the form: it is empty")
    return fields


def undo_check(form_key: str, kind: FormKind, response_id: int) -> str:
    """What lets the screen take back a form it saved: only this link's screen can make it."""
    message = f"take back:{kind}:{response_id}".encode()
    return hmac.new(form_key.encode(), message, hashlib.sha256).hexdigest()[:32]


def _count(text: str) -> int:
    return int(text) if text.isdigit() and int(text) <= MAX_KEYED else 0


class KeyingPages:
    """Handlers for /checkin/{token}/participants/key/{kind}."""

    def __init__(
        self,
        dispatcher: Dispatcher,
        gate: LinkGate,
        views: Views,
        *,
        secret: Callable[[], str],
        clock: Callable[[], datetime],
    ) -> None:
        self.dispatcher = dispatcher
        self.gate = gate
        self.views = views
        self.secret = secret  # keys participant codes, so keyed ones pair with those online
        self.clock = clock
        # link and entry -> where the first post of it went: a form posted twice (Enter pressed
        # twice, or sent again) is stored once. Per instance, as the rate limits are.
        self._posted: OrderedDict[str, str] = OrderedDict()

    def add_routes(self, app: web.Application, base: str) -> None:
        path = base + "/key/{kind:" + KIND_PATTERN + "}"
        app.router.add_get(path, self.screen)
        app.router.add_post(path, self.save)
        app.router.add_post(path + "/undo", self.undo)

    def _page(
        self,
        staff: Staff,
        kind: FormKind,
        *,
        keyed: int,
        fields: list[KeyField],
        counted: int,
        entry: str | None = None,
        status: int = 200,
        just_saved: tuple[int, str] | None = None,
        taken_back: bool = False,
    ) -> web.Response:
        errors = [f for f in fields if f.error]
        return self.views.html(
            "participants_key",
            status,
            **setting(staff, self.dispatcher),
            kind=kind,
            kind_name=NAMES[kind],
            other=next(k for k in FORM_KINDS if k != kind),
            action=f"{staff.base}/key/{SLUGS[kind]}",
            fields=fields,
            errors=errors,
            keyed=keyed,
            entry=entry or secrets.token_urlsafe(16),
            counted=counted,
            just_saved=just_saved,
            taken_back=taken_back,
        )

    async def screen(self, request: web.Request) -> web.Response:
        staff = staff_for(await self.gate.open(request), self.dispatcher, self.views)
        kind = kind_in(request)
        keyed = _count(request.query.get("n", ""))
        saved = request.query.get("saved", "")
        check = request.query.get("check", "")
        form_key = staff.opened.link.form_key
        just_saved = None
        if saved.isdigit() and hmac.compare_digest(check, undo_check(form_key, kind, int(saved))):
            just_saved = (int(saved), check)
        counted = (await tally(staff.grantee_id, staff.period)).counted.get(kind, 0)
        return self._page(
            staff,
            kind,
            keyed=keyed,
            fields=key_fields(form_layout(staff.framework, kind)),
            just_saved=just_saved,
            taken_back=request.query.get("undone") == "1",
            counted=counted,
        )

    async def save(self, request: web.Request) -> web.Response:
        opened, form = await self.gate.posted(request)
        staff = staff_for(opened, self.dispatcher, self.views)
        kind = kind_in(request)
        entry = field(form, "entry")
        if not _ENTRY.match(entry):
            raise self.views.bad_form(opened)
        seen = f"{opened.link.id}:{entry}"
        if seen in self._posted:
            raise web.HTTPSeeOther(self._posted[seen])
        keyed = _count(field(form, "keyed"))
        layout = form_layout(staff.framework, kind)
        names = [f.id for f in key_fields(layout)]
        typed = {name: field(form, name)[:MAX_FIELD_CHARS] for name in names}
        taken = await key_form(
            staff.framework,
            grantee_id=staff.grantee_id,
            period=staff.period,
            kind=kind,
            fields=typed,
            now=self.clock(),
            secret=self.secret(),
        )
        if isinstance(taken, SubmissionProblems):
            counted = (await tally(staff.grantee_id, staff.period)).counted.get(kind, 0)
            return self._page(
                staff,
                kind,
                keyed=keyed,
                fields=key_fields(layout, typed, taken.problems),
                entry=entry,
                status=400,
                counted=counted,
            )
        query = {
            "saved": taken.response_id,
            "n": keyed + 1,
            "check": undo_check(opened.link.form_key, kind, taken.response_id),
        }
        location = f"{staff.base}/key/{SLUGS[kind]}?{urlencode(query)}"
        self._remember(seen, location)
        raise web.HTTPSeeOther(location)

    async def undo(self, request: web.Request) -> web.Response:
        """Take back the form just saved: only one this link's screen saved, and only keyed."""
        opened, form = await self.gate.posted(request)
        staff = staff_for(opened, self.dispatcher, self.views)
        kind = kind_in(request)
        saved = field(form, "saved")
        check = field(form, "check")
        keyed = _count(field(form, "keyed"))
        if not saved.isdigit() or not hmac.compare_digest(
            check, undo_check(opened.link.form_key, kind, int(saved))
        ):
            raise self.views.bad_form(opened)
        screen = f"{staff.base}/key/{SLUGS[kind]}"
        if not await take_back(staff.grantee_id, staff.period, kind, int(saved)):
            raise self.views.problem(
                409,
                "That form was already taken back",
                "It is no longer stored, so it is not counted. Nothing else has changed.",
                link=(screen, f"Key in {NAMES[kind]} forms"),
            )
        raise web.HTTPSeeOther(f"{screen}?{urlencode({'undone': 1, 'n': max(0, keyed - 1)})}")

    def _remember(self, seen: str, location: str) -> None:
        self._posted[seen] = location
        while len(self._posted) > _REMEMBERED:
            self._posted.popitem(last=False)
