"""The participant form as a print-friendly page, with a QR code for its online link."""

from __future__ import annotations

import base64
import hashlib
import hmac
from pathlib import Path

import segno
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from conversations.framework import Framework
from conversations.participant_forms import FormLayout, form_layout
from conversations.participant_items import FormKind

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "templates"
POSTER_CSS = TEMPLATES_DIR / "participant" / "poster.css"
_env = Environment(
    loader=FileSystemLoader(TEMPLATES_DIR),
    autoescape=select_autoescape(["html", "j2"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def form_token(secret: str, grantee_id: int, period: str, kind: FormKind) -> str:
    """A short, unguessable name for one grantee's form for one period (16 characters)."""
    digest = hmac.new(
        secret.encode(), f"{grantee_id}\x00{period}\x00{kind}".encode(), hashlib.sha256
    ).digest()
    return base64.b32encode(digest).decode().lower()[:16]


def form_link(public_url: str, token: str) -> str:
    """The form's online address: `web.public_url` followed by /p/<token>."""
    return f"{public_url.rstrip('/')}/p/{token}"


def qr_svg(link: str, *, scalable: bool = False) -> Markup:
    """The link as an inline SVG QR code, big enough to scan from a printed page; `scalable`
    leaves its size to the stylesheet (a poster's code fills a third of the page)."""
    code = segno.make(link, error="m")
    return Markup(code.svg_inline(scale=4, title=f"QR code for {link}", omitsize=scalable))


def printable_form(
    framework: Framework,
    kind: FormKind,
    *,
    organisation: str,
    period: str,
    link: str | None,
) -> str:
    """The print-friendly HTML of a baseline or follow-up form; without a link, no QR code."""
    layout = form_layout(framework, kind)
    return _env.get_template("participant/form.html.j2").render(
        layout=layout,
        organisation=organisation,
        period=period,
        link=link,
        qr_svg=qr_svg(link) if link else "",
    )


def minutes_to_fill(layout: FormLayout) -> int:
    """About how long the form takes: a quarter of a minute a question, and one to read it."""
    return 1 + -(-(len(layout.items) + 2) // 4)


def poster(
    framework: Framework,
    kind: FormKind,
    *,
    organisation: str,
    period: str,
    link: str,
    stylesheet: str | None = None,
) -> str:
    """A print-friendly poster or handout for the online form: its QR code and short address in
    large type. With `stylesheet` (an address) the page links its styles, as the web app serves
    it under a strict CSP; without, they are written into the page, for a file to print."""
    layout = form_layout(framework, kind)
    return _env.get_template("participant/poster.html.j2").render(
        layout=layout,
        organisation=organisation,
        period=period,
        link=link,
        shown_link=link.split("://", 1)[-1],
        minutes=minutes_to_fill(layout),
        qr_svg=qr_svg(link, scalable=True),
        stylesheet=stylesheet,
        styles=Markup(POSTER_CSS.read_text(encoding="utf-8")) if stylesheet is None else "",
    )
