"""The demo's last part: two past rounds, one grantee's benchmarked summary and the digest."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console

import storage
from bot.conversation.frameworks import framework_for
from bot.summaries.build import funder_digest, summary_for_grantee
from bot.summaries.render import SummaryRenderer, data_uris, digest_charts
from conversations.framework import Framework
from storage.records import AnswerWrite, Programme

PAST = (("2026 Q2", 182), ("2026 Q3", 91))  # (period, days before the current round opened)
STORIES = [
    "Our Saturday football now mixes the two estates; parents stay to watch together.",
    "The shared allotment gave older residents and new families a reason to talk.",
    "A lunch club volunteer started an English conversation table.",
]


def past_answers(framework: Framework, rng: random.Random, drift: float) -> list[AnswerWrite]:
    """Plausible answers to a whole check-in, keeping to the framework's own rules."""
    sessions = rng.randint(8, 30)
    attendance = sessions * rng.randint(9, 20)
    unique = rng.randint(attendance // 5, attendance // 2)
    forms = rng.randint(15, 60)
    values: dict[str, Any] = {
        "O1": sessions,
        "O2": attendance,
        "O3": unique,
        "O4": unique // 3,
        "O5": rng.randint(3, 15),
        "O5H": rng.randint(30, 250),
        "O6": rng.randint(sessions // 2, sessions),
        "O7": rng.choice(["p10_24", "p25_49"]),
        "O8": forms,
        "O8F": forms,
        "P7N": forms,
        "P7": round(rng.uniform(6.0, 7.8) + drift, 1),
        "G1": rng.choice(["better", "same"]),
        "G2": rng.choice(STORIES),
        "G3": False,
    }
    shares = {"P1": 0.72, "P2": 0.6, "P3": 0.4, "P4": 0.68, "P5": 0.62, "P6": 0.14, "P8": 0.3}
    shares |= {"P9": 0.7, "P10": 0.7}
    for qid, share in shares.items():
        respondents = rng.randint(forms * 2 // 3, forms)
        centre = share - drift / 10 if qid == "P6" else share + drift / 10
        agree = round(respondents * min(1.0, max(0.0, centre + rng.uniform(-0.12, 0.12))))
        values[qid] = {"x": agree, "n": respondents}
    return [
        AnswerWrite(qid, framework.question(qid).version, value, str(value))
        for qid, value in values.items()
        if qid in framework.by_id
    ]


async def add_past_rounds(programme: Programme, opened_at: datetime) -> None:
    """Two closed rounds before the current one, every grantee completed, for trend and peers."""
    framework = framework_for(programme)
    rng = random.Random(12)
    for step, (period, days_before) in enumerate(PAST):
        opened = await storage.open_round(
            programme.id, period, now=opened_at - timedelta(days=days_before), initial_state={}
        )
        for line in await storage.round_status(opened.round.id):
            assert line.checkin is not None  # open_round made one per active grantee
            await storage.save_step(
                line.checkin.id,
                expected_version=line.checkin.version,
                state={},
                status="completed",
                answers=past_answers(framework, rng, drift=-0.3 + 0.15 * step),
                channel="console",
                actor="demo",
                now=opened.round.opened_at + timedelta(days=5),
            )
        await storage.close_round(opened.round.id, now=opened.round.opened_at + timedelta(days=28))


async def show_summaries(
    directory: Path, out: Console, programme: Programme, *, email: str, now: datetime
) -> Path:
    """Print one grantee's summary; write the funder digest to DIRECTORY/digest.html."""
    renderer = SummaryRenderer()
    summary = await summary_for_grantee(email, programme.slug)
    out.rule(f"{summary.grantee_name}'s benchmarked summary (sent on completion)")
    out.print(renderer.summary_text(summary), markup=False, highlight=False, soft_wrap=True)
    digest = await funder_digest(programme.slug, None, now=now)
    path = directory / "digest.html"
    path.write_text(
        renderer.digest_html(digest, data_uris(digest_charts(digest.indicators))), encoding="utf-8"
    )
    out.rule("Funder digest")
    out.print(f"{digest.response.rate_text} The digest is in {path}", markup=False)
    return path
