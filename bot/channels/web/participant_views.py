"""A participant form's pages: the form (with its answers and problems), thanks, and refusals."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from aiohttp import web

from bot.channels.web.views import Views
from bot.participants.online import OnlineForm
from conversations.participant_forms import FormLayout, form_layout
from conversations.participant_items import ParticipantItem

SEND_BUTTON = "send"  # the id of the form's button, where a problem with the whole form points
STALE_FORM = (
    "This page was open for more than a day, so your answers were not sent. Check them and "
    "send the form again."
)


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True)
class Question:
    """One question as the page shows it: a fieldset of radios, in the framework's words."""

    name: str  # the field's name; its radios' ids are name-1, name-2, ...
    legend: str
    hint: str
    choices: tuple[Choice, ...]
    inline: bool  # a 0 to 10 score: its numbers side by side
    entered: str
    error: str | None


@dataclass(frozen=True)
class Problem:
    anchor: str  # the id the error summary links to
    message: str


def questions(
    layout: FormLayout, entered: Mapping[str, str], errors: Mapping[str, str]
) -> list[Question]:
    """The form's questions in order, the age group last, each with what was entered and its
    problem; a problem with the whole form ("empty") is shown at the first question."""
    shown = [_question(item, entered, errors) for item in layout.items]
    form = layout.form
    shown.append(
        Question(
            "age_band",
            form.age_question,
            "",
            tuple(Choice(b.value, b.label) for b in form.age_bands),
            False,
            entered.get("age_band", ""),
            errors.get("age_band"),
        )
    )
    if "form" in errors:
        shown[0] = replace(shown[0], error=shown[0].error or errors["form"])
    return shown


def _question(
    item: ParticipantItem, entered: Mapping[str, str], errors: Mapping[str, str]
) -> Question:
    if item.kind == "score":
        numbers = tuple(Choice(str(n), str(n)) for n in range(item.min, item.max + 1))
        hint = f"{item.min} = {item.min_label}, {item.max} = {item.max_label}"
        inline = True
    else:
        numbers = tuple(Choice(o.value, o.label) for o in item.options)
        hint, inline = "", False
    return Question(
        item.id, item.wording, hint, numbers, inline, entered.get(item.id, ""), errors.get(item.id)
    )


def summary(shown: list[Question], errors: Mapping[str, str]) -> list[Problem]:
    """The error summary: each problem in page order, linking to its field."""
    problems = [Problem(f"{q.name}-1", q.error) for q in shown if q.error]
    if "code" in errors:
        problems.append(Problem("code", errors["code"]))
    if "stale" in errors:
        problems.insert(0, Problem(SEND_BUTTON, errors["stale"]))
    return problems


class ParticipantViews:
    """Renders the participant pages, in the web check-in's layout with a footer of their own."""

    def __init__(self, views: Views) -> None:
        self.views = views

    def form(
        self,
        opened: OnlineForm,
        form_key: str,
        *,
        entered: Mapping[str, str] | None = None,
        errors: Mapping[str, str] | None = None,
        status: int = 200,
    ) -> web.Response:
        layout = form_layout(opened.framework, opened.kind)
        entered = entered or {}
        errors = errors or {}
        shown = questions(layout, entered, errors)
        return self.views.html(
            "participant/form",
            status,
            form=opened,
            round_label=opened.organisation,
            layout=layout,
            questions=shown,
            problems=summary(shown, errors),
            code=entered.get("code", ""),
            code_error=errors.get("code"),
            form_key=form_key,
            send_button=SEND_BUTTON,
        )

    def thanks(self, opened: OnlineForm) -> web.Response:
        return self.views.html("participant/thanks", form=opened, round_label=opened.organisation)

    def _problem(
        self,
        status: int,
        title: str,
        *paragraphs: str,
        opened: OnlineForm | None = None,
        link: tuple[str, str] | None = None,
    ) -> web.HTTPException:
        header = {"round_label": opened.organisation} if opened is not None else {}
        return self.views.problem(
            status, title, *paragraphs, link=link, page="participant/problem", form=opened, **header
        )

    def unknown(self) -> web.HTTPException:
        return self._problem(
            404,
            "This form's address does not work",
            "Check the address: it is /p/ followed by 16 letters and numbers, as printed on the "
            "poster or handout. Or scan its QR code with your phone's camera.",
        )

    def paused(self, opened: OnlineForm, *, posted: bool) -> web.Response:
        """Shown, not raised: a paused form's address is still the right one."""
        sent = " Nothing was sent from this page." if posted else ""
        return self.views.html(
            "participant/problem",
            409 if posted else 200,
            title="This form is not taking answers just now",
            paragraphs=(
                f"{opened.organisation} has paused this form for a while.{sent} Please try "
                "again later, or ask the person who gave you the address.",
            ),
            link=None,
            form=opened,
            round_label=opened.organisation,
        )

    def closed(self, opened: OnlineForm, *, posted: bool) -> web.HTTPException:
        sent = " Nothing was sent from this page." if posted else ""
        return self._problem(
            410,
            "This form has closed",
            f"{opened.organisation} is no longer collecting answers with this form.{sent} "
            "Thank you for wanting to take part.",
            opened=opened,
        )

    def bad_key(self, opened: OnlineForm) -> web.HTTPException:
        return self._problem(
            400,
            "This form could not be accepted",
            "What was sent did not come from this form's page, or part of it was missing. "
            "Nothing was sent.",
            opened=opened,
            link=(f"/p/{opened.token}", "Open the form again"),
        )

    def too_many(self, retry_after: int, opened: OnlineForm | None = None) -> web.HTTPException:
        error = self._problem(
            429,
            "Too many forms sent just now",
            f"Nothing was sent from this one. Please wait {retry_after} seconds, then go back "
            "and send the form again.",
            opened=opened,
        )
        error.headers["Retry-After"] = str(retry_after)
        return error
