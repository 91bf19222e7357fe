"""Reading results: a grantee's summary, a programme's digest, pooled evidence, exports."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bot.admin.export import export_programme
from bot.cli.common import ProgrammeSlug, SettingsPath, plain, run, settings_from, writable
from bot.clock import utc_now
from bot.summaries.build import funder_digest, pooled_evidence, summary_for_grantee
from bot.summaries.delivery import send_digest
from bot.summaries.render import SummaryRenderer, data_uris, digest_charts, summary_charts
from conversations.digests import FunderDigest

OutFile = Annotated[Path | None, typer.Option("--out", help="Write HTML to this file.")]


def summary(
    grantee: Annotated[str, typer.Option(help="The grantee's email address.")],
    programme: Annotated[
        str | None, typer.Option(help="The programme, if the grantee is in several.")
    ] = None,
    period: Annotated[str | None, typer.Option(help="A period (default: the latest).")] = None,
    out: OutFile = None,
    settings: SettingsPath = None,
) -> None:
    """A grantee's benchmarked summary: their figures beside peers and national figures."""

    config = settings_from(settings)
    result = run(config, lambda: summary_for_grantee(grantee, programme, period))
    renderer = SummaryRenderer()
    plain(renderer.summary_text(result))
    if out is not None:
        html = renderer.summary_html(result, data_uris(summary_charts(result)))
        writable(out).write_text(html, encoding="utf-8")
        plain(f"\nWrote {out}")


def digest(
    programme: ProgrammeSlug,
    period: Annotated[str | None, typer.Option(help="A period (default: the open round).")] = None,
    out: OutFile = None,
    send: Annotated[
        bool, typer.Option("--send", help="Queue it to the programme's contacts and Slack channel.")
    ] = False,
    settings: SettingsPath = None,
) -> None:
    """The funder digest of a programme: responses, outputs, pooled outcomes, what works."""

    config = settings_from(settings)
    renderer = SummaryRenderer()
    now = utc_now()

    async def work() -> tuple[FunderDigest, tuple[int, ...]]:
        if send:
            return await send_digest(programme, period, occasion=f"manual-{now:%Y-%m-%d}")
        return await funder_digest(programme, period, now=now), ()

    result, queued = run(config, work)
    if out is not None:
        html = renderer.digest_html(result, data_uris(digest_charts(result.indicators)))
        writable(out).write_text(html, encoding="utf-8")
        plain(f"Wrote the digest for {result.period} to {out}")
    else:
        plain(renderer.digest_text(result))
    if send:
        plain(
            f"Queued {len(queued)} message(s); the service sends them."
            if queued
            else "Already queued today; nothing new to send."
        )


def evidence(
    out: Annotated[Path, typer.Option("--out", help="Write the HTML report to this file.")],
    settings: SettingsPath = None,
) -> None:
    """Pooled, anonymous evidence across every programme on this instance."""

    config = settings_from(settings)
    result = run(config, pooled_evidence)
    html = SummaryRenderer().evidence_html(result, data_uris(digest_charts(result.indicators)))
    writable(out).write_text(html, encoding="utf-8")
    plain(
        f"Wrote pooled evidence from {result.programmes} programme(s) and {result.grantees} "
        f"reporting grantees to {out}"
    )


def export(
    programme: ProgrammeSlug,
    format: Annotated[str, typer.Option("--format", help="csv or xlsx.")],
    out: Annotated[Path, typer.Option("--out", help="The file to write.")],
    long: Annotated[
        bool, typer.Option("--long", help="One row per answer instead of per check-in.")
    ] = False,
    settings: SettingsPath = None,
) -> None:
    """Export a programme's check-ins: a column per question@version (or --long)."""

    config = settings_from(settings)
    table = run(config, lambda: export_programme(programme, format.lower(), out, long=long))
    plain(f"Wrote {len(table.rows)} row(s) and {len(table.header)} column(s) to {out}")
