"""The participant form as a PDF to print, with the same wording as the page and the framework."""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

import segno
from reportlab.graphics.shapes import Drawing, Rect
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from conversations.framework import Framework
from conversations.participant_forms import FormLayout, form_layout
from conversations.participant_items import FormKind, ItemOption, ParticipantItem

# Helvetica is one of the PDF standard fonts: every reader has it, nothing is embedded, and it
# covers the framework's punctuation (en dash, section sign) through WinAnsi encoding
_BASE = getSampleStyleSheet()
_BODY = ParagraphStyle(
    "body", parent=_BASE["BodyText"], fontName="Helvetica", fontSize=11, leading=15
)
_HEADING = ParagraphStyle(
    "heading",
    parent=_BASE["Title"],
    fontName="Helvetica-Bold",
    fontSize=18,
    leading=22,
    alignment=0,
    spaceAfter=2 * mm,
)
_WHO = ParagraphStyle("who", parent=_BODY, textColor=colors.HexColor("#505a5f"))
_QUESTION = ParagraphStyle("question", parent=_BODY, fontName="Helvetica-Bold", spaceAfter=1 * mm)
_STATEMENT = ParagraphStyle("statement", parent=_BODY, leftIndent=3 * mm, spaceAfter=4 * mm)
_BOX = 3.6 * mm
_QR_SIZE = 32 * mm


def printable_pdf(
    framework: Framework,
    kind: FormKind,
    *,
    organisation: str,
    period: str,
    link: str | None,
) -> bytes:
    """The baseline or follow-up form as an A4 PDF; without a link, no QR code."""
    layout = form_layout(framework, kind)
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=f"{layout.title}: {layout.heading} ({organisation}, {period})",
        author=organisation,
    )
    document.build(_story(layout, organisation, period, link))
    return buffer.getvalue()


def _story(layout: FormLayout, organisation: str, period: str, link: str | None) -> list[Flowable]:
    story: list[Flowable] = [
        Paragraph(_text(layout.heading), _HEADING),
        Paragraph(_text(f"{layout.title} · {organisation} · {period}"), _WHO),
        Spacer(1, 3 * mm),
        Paragraph(_text(layout.form.statement), _STATEMENT),
    ]
    story.extend(_item(number, item) for number, item in enumerate(layout.items, start=1))
    age, code = len(layout.items) + 1, len(layout.items) + 2
    story.append(_choices(age, layout.form.age_question, layout.form.age_bands))
    recipe = f"{layout.form.code_recipe} {layout.form.code_help}".strip()
    story.append(
        KeepTogether(
            [
                Paragraph(_text(f"{code}. {layout.form.code_question}"), _QUESTION),
                Paragraph(_text(recipe), _BODY),
                Spacer(1, 1 * mm),
                _boxes(["" for _ in range(6)], width=8 * mm, height=8 * mm),
                Spacer(1, 4 * mm),
            ]
        )
    )
    if link:
        story.append(_online(link))
    return story


def _item(number: int, item: ParticipantItem) -> Flowable:
    if item.kind == "choice":
        return _choices(number, item.wording, item.options)
    scale = [str(score) for score in range(item.min, item.max + 1)]
    ends = f"{item.min} = {item.min_label}, {item.max} = {item.max_label}"
    return KeepTogether(
        [
            Paragraph(_text(f"{number}. {item.wording}"), _QUESTION),
            _boxes(scale, width=9 * mm, height=8 * mm),
            Paragraph(_text(ends), _WHO),
            Spacer(1, 4 * mm),
        ]
    )


def _choices(number: int, wording: str, options: tuple[ItemOption, ...]) -> Flowable:
    rows = [[_tick_box(), Paragraph(_text(option.label), _BODY)] for option in options]
    table = Table(rows, colWidths=[8 * mm, None], hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 1),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
            ]
        )
    )
    return KeepTogether(
        [Paragraph(_text(f"{number}. {wording}"), _QUESTION), table, Spacer(1, 4 * mm)]
    )


def _tick_box() -> Drawing:
    drawing = Drawing(_BOX, _BOX)
    drawing.add(_rect(0, 0, _BOX, stroke=1.2, fill=None))
    return drawing


def _boxes(labels: list[str], *, width: float, height: float) -> Table:
    """A row of boxes to write in: a score's numbers to circle, or empty boxes for the code."""
    table = Table([labels], colWidths=[width] * len(labels), rowHeights=[height], hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 1.2, colors.black),
                ("ALIGN", (0, 0), (-1, -1), "CENTER"),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("FONTNAME", (0, 0), (-1, -1), "Helvetica"),
                ("FONTSIZE", (0, 0), (-1, -1), 11),
            ]
        )
    )
    return table


def _online(link: str) -> Flowable:
    words = Paragraph(
        _text("You can fill in this form online instead: scan the code or go to")
        + f"<br/><b>{_text(link)}</b>",
        _BODY,
    )
    table = Table([[_qr(link), words]], colWidths=[_QR_SIZE + 6 * mm, None], hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("LINEABOVE", (0, 0), (-1, 0), 0.8, colors.HexColor("#b1b4b6")),
                ("TOPPADDING", (0, 0), (-1, -1), 3 * mm),
            ]
        )
    )
    return KeepTogether([Spacer(1, 4 * mm), table])


def _qr(link: str) -> Drawing:
    """The same QR code as the printable page's, drawn module by module."""
    matrix = segno.make(link, error="m").matrix
    quiet = 2  # modules of white border: the printed table cell adds more around it
    size = len(matrix) + 2 * quiet
    module = _QR_SIZE / size
    drawing = Drawing(_QR_SIZE, _QR_SIZE)
    for row, cells in enumerate(matrix):
        for column, dark in enumerate(cells):
            if dark:
                x = (column + quiet) * module
                y = _QR_SIZE - (row + quiet + 1) * module
                drawing.add(_rect(x, y, module, stroke=0, fill=colors.black))
    return drawing


def _rect(x: float, y: float, side: float, *, stroke: float, fill: colors.Color | None) -> Rect:
    square = Rect(x, y, side, side)
    # set after making it: the stubs type Rect's keyword arguments as one dictionary
    square.strokeWidth = stroke
    square.strokeColor = colors.black
    square.fillColor = fill
    return square


def _text(words: str) -> str:
    """Plain words for reportlab's paragraph markup, which reads <, > and & as tags."""
    return escape(words)
