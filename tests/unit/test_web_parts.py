"""The web check-in's pure parts: tokens, forms, rate limits, log redaction, the link in DMs."""

from __future__ import annotations

import re
from dataclasses import replace

from bot.channels.slack import blocks as slack_blocks
from bot.channels.web import forms, pages
from bot.channels.web.ratelimit import RateLimit
from bot.channels.web.security import redacted_path
from bot.conversation.rendering import ConversationView, Renderer
from bot.conversation.web_links import TOKEN_PATTERN, token_hash
from conversations import engine
from conversations.framework import load_builtin

FW = load_builtin("social_cohesion_v1")
TOKEN = "yVxixUjIrRy_EQus37sh9c3U4v-V_YLwGPBb9CS81UU"


def test_a_token_is_stored_as_its_sha256_and_matches_the_route_pattern() -> None:
    assert re.fullmatch(TOKEN_PATTERN, TOKEN)
    assert len(token_hash(TOKEN)) == 64 and TOKEN not in token_hash(TOKEN)
    assert token_hash(TOKEN) != token_hash(TOKEN[:-1] + "V")


def test_paths_in_logs_never_show_a_token() -> None:
    assert redacted_path(f"/checkin/{TOKEN}/question/O1") == "/checkin/…/question/O1"
    assert redacted_path(f"/checkin/{TOKEN}") == "/checkin/…"
    assert redacted_path("/link") == "/link"


def test_a_proportion_is_read_from_its_two_fields() -> None:
    q = FW.question("P1")
    assert forms.read_answer(q, {"x": " 32 ", "n": "41"}).text == "32 of 41"
    half = forms.read_answer(q, {"x": "32", "n": ""})
    assert half.text == "" and half.problem is not None and "how many" in half.problem
    assert forms.read_answer(q, {}).text == ""


def test_words_the_engine_reads_as_commands_are_not_taken_as_answers() -> None:
    count = FW.question("O1")
    assert forms.read_answer(count, {"answer": "back"}).problem is not None
    assert forms.read_answer(count, {"answer": "stop it"}).problem is not None
    text = FW.question("G2")
    assert forms.read_answer(text, {"answer": "stop"}).problem is not None
    kept = forms.read_answer(text, {"answer": "Stop the rumours, we said, and they did."})
    assert kept.problem is None and kept.text.startswith("Stop the rumours")


def test_a_text_answer_over_its_limit_is_refused_at_the_edge() -> None:
    text = FW.question("G2")
    assert text.kind == "text"
    read = forms.read_answer(text, {"answer": "x" * (text.max_length + 1)})
    assert read.text == "" and read.problem is not None and "limit" in read.problem
    assert read.entered.answer == "x" * (text.max_length + 1)  # shown again, nothing lost


def test_a_rate_limit_counts_per_key_and_resets_after_its_window() -> None:
    now = [0.0]
    limit = RateLimit(2, 60.0, now=lambda: now[0])
    assert [limit.allow("a"), limit.allow("a"), limit.allow("a")] == [True, True, False]
    assert limit.allow("b")
    assert 1 <= limit.retry_after("a") <= 61
    now[0] = 61.0
    assert limit.allow("a")


def test_the_page_for_each_state() -> None:
    state = engine.new_state(FW)
    assert pages.page_for(state) == ""
    started = engine.start(FW, state).state
    assert pages.page_for(started) == "/question/O1"
    assert pages.minutes_needed(FW) % 5 == 0 and pages.minutes_needed(FW) >= 5
    outline = pages.outline(FW)
    assert sum(len(s.questions) for s in outline) == len(FW.questions)


def test_every_question_says_why_it_is_asked() -> None:
    assert all(q.why for q in FW.questions)
    assert FW.answers_used and FW.funder_sees


def test_a_slack_dm_carries_the_form_link_only_when_there_is_one() -> None:
    view = ConversationView(FW, "Amina", "Bridges", "2026 Q4")
    prompts = engine.start(FW, engine.new_state(FW)).prompts
    plain = slack_blocks.render(prompts, view, Renderer())
    assert "Prefer a form?" not in str(plain["blocks"])
    link = f"https://checkins.example.org/checkin/{TOKEN}"
    linked = slack_blocks.render(prompts, replace(view, form_link=link), Renderer())
    last = linked["blocks"][-1]
    assert last["type"] == "context"
    assert last["elements"][0]["text"] == f"Prefer a form? <{link}|Answer on the web>"
    assert linked["blocks"][:-1] == plain["blocks"]
