"""Forms submitted online and keyed from paper feed a check-in answered over real SMTP: the
figures are offered, accepted or typed over, and the summary reports the paired change."""

from __future__ import annotations

import re
from collections.abc import Mapping
from email.message import EmailMessage

import storage
from bot.conversation.frameworks import framework_for
from tests.e2e.test_email import ANSWERS, Running, first_email, running, sink, text_of
from tests.support.forms_feed import OFFERED_P1, feed

__all__ = ["running", "sink"]  # the fixtures, used by name


async def answer_by_email(
    running: Running, own: Mapping[str, str] | None = None
) -> tuple[list[str], EmailMessage]:
    """Reply to each email until the review: accept every figure offered (`N: yes`) unless
    `own` gives this question's answer, otherwise a plain answer. Submit; return the emails'
    texts and the summary email that follows."""
    fw = framework_for(running.context.programme)
    own = own or {}
    message = await first_email(running)
    seen = []
    for _ in range(10):
        text = text_of(message)
        seen.append(text)
        if "Here is everything before you submit" in text:
            break
        lines = []
        for number in (int(n) for n in re.findall(r"^(\d+)\. ", text, re.MULTILINE)):
            q = fw.questions[number - 1]
            if q.id in own:
                lines.append(f"{number}: {own[q.id]}")
            elif f'Write "{number}: yes"' in text:
                lines.append(f"{number}: yes")
            else:
                lines.append(f"{number}: {ANSWERS[q.kind]}")
        await running.reply(message, "\n".join(lines))
        message = await running.sink.next()
    else:
        raise AssertionError("never reached the review")
    await running.reply(message, "submit")
    seen.append(text_of(await running.sink.next()))  # the confirmation
    summary = await running.sink.next()
    return seen, summary


async def stored(running: Running) -> dict[str, storage.StoredAnswer]:
    return {a.question_id: a for a in await storage.answers_for_checkin(running.checkin_id)}


async def test_forms_figures_are_offered_by_email_accepted_and_reach_the_summary(
    running: Running,
) -> None:
    context = running.context
    await feed(framework_for(context.programme), context.grantee.id, context.round.period,
               context.round.opened_at)  # fmt: skip
    emails, summary = await answer_by_email(running)
    first = emails[0]
    assert '12 baseline forms stored for this period. Use these figures? Write "9: yes"' in first
    assert '39 follow-up forms stored for this period. Use these figures? Write "10: yes"' in first
    outcomes = next(t for t in emails if "11. " in t)
    # the held flood (8 forms, all agreeing) is in none of the figures: not 41 of 47
    assert f'{OFFERED_P1} Use these figures? Write "11: yes", or your own.' in outcomes
    assert "41 of 47" not in "".join(emails) and "47 follow-up" not in "".join(emails)
    assert "From your 39 follow-up forms: 39 answered" in outcomes  # life satisfaction's count
    mean = next(t for t in emails if "\n18. " in t)  # asked once its count is in
    assert "the average life satisfaction, 0 to 10 was 7.0 (39 answers)." in mean
    answers = await stored(running)
    assert (answers["O8"].value, answers["O8F"].value) == (12, 39)
    assert answers["P1"].value == {"x": 33, "n": 39}
    assert answers["P1"].raw_text == f"accepted from forms: {OFFERED_P1}"
    assert answers["P7"].value == 7.0 and answers["P7"].raw_text.startswith("accepted from forms")
    assert all(answers[q].channel == "email" for q in ("O8", "P1", "P7"))
    text = text_of(summary)
    assert summary["Subject"] == "Bridges Community Fund: how your 2026 Q4 check-in compares"
    assert "33 of 39" in text  # the figure accepted from the forms, in the summary itself
    assert (
        "Different backgrounds get on well: Among the same 12 people (fewer than 30 people: "
        "indicative only): 12 better, 0 the same, 0 worse (better means moving into "
        "\u201cagree\u201d)." in text
    )
    assert (
        "Average life satisfaction: Among the same 12 people (fewer than 30 people: indicative "
        "only): 10 better, 2 the same, 0 worse; on average up 1.5 points (95% interval +0.9 to "
        "+2.1), which is better." in text
    )
    assert "Wellbeing: 7.2 WELLBYs (95% interval " in text
    html = summary.get_body(preferencelist=("html",))
    assert html is not None and "Change among your participants" in str(html.get_content())


async def test_a_grantee_can_type_their_own_counts_by_email_instead(running: Running) -> None:
    context = running.context
    await feed(framework_for(context.programme), context.grantee.id, context.round.period,
               context.round.opened_at)  # fmt: skip
    emails, _ = await answer_by_email(running, {"P1": "30 of 35", "O8F": "40"})
    assert any(OFFERED_P1 in t for t in emails)  # offered, and not taken
    answers = await stored(running)
    assert answers["P1"].value == {"x": 30, "n": 35} and answers["P1"].raw_text == "30 of 35"
    assert answers["O8F"].value == 40 and answers["O8F"].raw_text == "40"
    assert answers["O8"].raw_text.startswith("accepted from forms")
