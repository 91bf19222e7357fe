"""The printable participant form: the framework's exact wording, every answer box, the QR link."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from bot.participants.printable import form_link, form_token, printable_form
from conversations.framework import load_builtin
from conversations.participant_items import FormKind

FW = load_builtin("social_cohesion_v1")


class _Page(HTMLParser):
    """The text of each question paragraph and each option line, as a reader sees them."""

    def __init__(self) -> None:
        super().__init__()
        self.questions: list[str] = []
        self.options: list[str] = []
        self.svg_titles: list[str] = []
        self._into: list[str] | None = None
        self._buffer = ""
        self._in_options = False
        self._in_svg_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = dict(attrs).get("class") or ""
        if tag == "p" and "question" in classes.split():
            self._into, self._buffer = self.questions, ""
        elif tag == "ul" and "options" in classes.split():
            self._in_options = True
        elif tag == "li" and self._in_options:
            self._into, self._buffer = self.options, ""
        elif tag == "title" and self.svg_titles is not None:
            self._in_svg_title = True

    def handle_endtag(self, tag: str) -> None:
        if tag in ("p", "li") and self._into is not None:
            self._into.append(" ".join(self._buffer.split()))
            self._into = None
        if tag == "ul":
            self._in_options = False
        if tag == "title":
            self._in_svg_title = False

    def handle_data(self, data: str) -> None:
        if self._into is not None:
            self._buffer += data
        if self._in_svg_title:
            self.svg_titles.append(data)


def _read(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    return page


@pytest.mark.parametrize("kind", ["baseline", "follow_up"])
def test_printed_questions_are_the_frameworks_wording_exactly(kind: FormKind) -> None:
    html = printable_form(FW, kind, organisation="Unity Through Food", period="2026 Q4", link=None)
    page = _read(html)
    items = [i for i in FW.participant_items if kind in i.forms]
    form = FW.participant_form
    assert form is not None
    assert page.questions == [i.wording for i in items] + [form.age_question, form.code_question]
    expected_options = [o.label for i in items for o in i.options] + [
        b.label for b in form.age_bands
    ]
    assert page.options == expected_options
    assert "0 = Not at all, 10 = Completely" in html
    assert form.statement.split(".")[0] in html
    assert "Unity Through Food" in html and "2026 Q4" in html
    assert "<svg" not in html  # no link, no QR code


def test_the_follow_up_form_asks_the_project_question_and_the_baseline_does_not() -> None:
    base = _read(printable_form(FW, "baseline", organisation="O", period="P", link=None))
    follow = _read(printable_form(FW, "follow_up", organisation="O", period="P", link=None))
    met = next(i for i in FW.participant_items if i.id == "met_people").wording
    assert met in follow.questions and met not in base.questions


def test_the_online_link_is_printed_with_its_qr_code() -> None:
    token = form_token("s3cret", 7, "2026 Q4", "follow_up")
    link = form_link("https://checkins.example.org/", token)
    assert link == f"https://checkins.example.org/p/{token}" and len(token) == 16
    html = printable_form(FW, "follow_up", organisation="O", period="P", link=link)
    assert f"<strong>{link}</strong>" in html
    assert f"QR code for {link}" in _read(html).svg_titles
    assert "<path" in html


def test_form_tokens_differ_by_grantee_period_kind_and_secret() -> None:
    tokens = {
        form_token("a", 1, "2026 Q4", "follow_up"),
        form_token("a", 2, "2026 Q4", "follow_up"),
        form_token("a", 1, "2027 Q1", "follow_up"),
        form_token("a", 1, "2026 Q4", "baseline"),
        form_token("b", 1, "2026 Q4", "follow_up"),
    }
    assert len(tokens) == 5
