"""The participant form's PDF: the framework's exact wording in order, every option, the link."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from bot.participants.printable_pdf import printable_pdf
from conversations.framework import load_builtin
from conversations.participant_forms import form_layout
from conversations.participant_items import FormKind

FW = load_builtin("social_cohesion_v1")
LINK = "https://checkins.example.org/p/abcdefgh23456712"


def _text(pdf: bytes) -> str:
    """The PDF's words as a reader would copy them, with line breaks made spaces."""
    reader = PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def _in_order(text: str, pieces: list[str]) -> list[str]:
    """The pieces not found, each looked for after the one before it."""
    missing, at = [], 0
    for piece in pieces:
        found = text.find(" ".join(piece.split()), at)
        if found < 0:
            missing.append(piece)
        else:
            at = found + len(piece)
    return missing


@pytest.mark.parametrize("kind", ["baseline", "follow_up"])
def test_every_question_and_option_is_printed_in_the_frameworks_words(kind: FormKind) -> None:
    layout = form_layout(FW, kind)
    text = _text(printable_pdf(FW, kind, organisation="Riverside Hub", period="2026 Q4", link=None))
    expected: list[str] = [layout.heading, layout.form.statement]
    for number, item in enumerate(layout.items, start=1):
        expected.append(f"{number}. {item.wording}")
        if item.kind == "choice":
            expected.extend(option.label for option in item.options)
        else:
            expected.append(" ".join(str(s) for s in range(item.min, item.max + 1)))
            expected.append(f"{item.min} = {item.min_label}, {item.max} = {item.max_label}")
    expected.append(f"{len(layout.items) + 1}. {layout.form.age_question}")
    expected.extend(band.label for band in layout.form.age_bands)
    expected.append(f"{len(layout.items) + 2}. {layout.form.code_question}")
    assert _in_order(text, expected) == []
    assert "Riverside Hub" in text and "2026 Q4" in text
    assert "fill in this form online" not in text


def test_the_follow_up_asks_about_the_project_and_the_baseline_does_not() -> None:
    only_follow_up = [
        item.wording for item in form_layout(FW, "follow_up").items if "baseline" not in item.forms
    ]
    assert only_follow_up  # the project-attribution item
    baseline = _text(printable_pdf(FW, "baseline", organisation="A", period="P", link=None))
    follow_up = _text(printable_pdf(FW, "follow_up", organisation="A", period="P", link=None))
    for wording in only_follow_up:
        assert " ".join(wording.split()) in follow_up
        assert " ".join(wording.split()) not in baseline


def test_the_online_link_is_printed_beside_its_qr_code() -> None:
    pdf = printable_pdf(FW, "follow_up", organisation="A", period="P", link=LINK)
    text = _text(pdf)
    assert "You can fill in this form online instead" in text
    assert LINK in text


def test_names_with_markup_characters_are_printed_as_written() -> None:
    text = _text(
        printable_pdf(FW, "baseline", organisation="Smith & Jones <North>", period="P", link=None)
    )
    assert "Smith & Jones <North>" in text
