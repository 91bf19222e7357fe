"""What the grantee's forms screens rest on: answers keyed as numbers, why a form was held, the
keying screen's fields and errors, and the printable form's own style policy."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime, timedelta

from bot.channels.web.participant_keying import key_fields, undo_check
from bot.channels.web.security import CONTENT_SECURITY_POLICY, inline_style_policy
from conversations.framework import load_builtin
from conversations.participant_bursts import (
    Arrival,
    BurstRule,
    HoldReason,
    answers_signature,
    hold_reasons,
    to_hold,
)
from conversations.participant_forms import (
    Submission,
    SubmissionProblems,
    form_layout,
    read_submission,
)

FW = load_builtin("social_cohesion_v1")
T0 = datetime(2026, 12, 1, 18, 0, tzinfo=UTC)
FULL = {"get_on_well": "definitely_agree", "belong": "very_strongly", "lonely": "never"}


def test_an_age_group_is_read_as_its_value_label_or_position() -> None:
    layout = form_layout(FW, "baseline")
    for typed in ("a25_34", "25 to 34", "3"):
        read = read_submission(layout, {"belong": "1", "age_band": typed})
        assert isinstance(read, Submission) and read.age_band == "a25_34", typed
    for typed in ("9", "25-34", "0"):
        read = read_submission(layout, {"belong": "1", "age_band": typed})
        assert isinstance(read, SubmissionProblems) and "age_band" in read.problems, typed


def test_a_flood_from_one_address_is_said_to_be_one() -> None:
    flood = [
        Arrival(i, T0 + timedelta(seconds=30 * i), "addr-1", answers_signature({"b": str(i)}), 1)
        for i in range(7)
    ]
    assert to_hold(flood) == frozenset(range(7))
    assert hold_reasons(flood) == dict.fromkeys(range(7), HoldReason.ONE_SOURCE)


def test_identical_forms_from_many_addresses_are_said_to_be_alike() -> None:
    alike = [
        Arrival(i, T0 + timedelta(seconds=i), f"addr-{i}", answers_signature(FULL), 3)
        for i in range(6)
    ]
    assert hold_reasons(alike) == dict.fromkeys(range(6), HoldReason.IDENTICAL)


def test_a_rush_to_one_form_and_a_burst_broken_up_are_told_apart() -> None:
    rule = BurstRule(per_source=2)  # the form-wide limit is then 20
    rush = [
        Arrival(i, T0 + timedelta(seconds=i), f"addr-{i}", answers_signature({"b": str(i)}), 1)
        for i in range(21)
    ]
    assert hold_reasons(rush, rule) == dict.fromkeys(range(21), HoldReason.PER_FORM)
    # what is left held once most of a burst was accepted no longer breaks any rule
    assert hold_reasons(rush[:3], rule) == dict.fromkeys(range(3), HoldReason.BURST)


def test_the_keying_screen_lists_the_form_in_order_and_says_what_to_type() -> None:
    layout = form_layout(FW, "follow_up")
    fields = key_fields(layout)
    assert [f.id for f in fields] == [i.id for i in layout.items] + ["age_band", "code"]
    assert [f.number for f in fields[: len(layout.items)]] == list(range(1, len(layout.items) + 1))
    first = fields[0]
    assert first.label == layout.items[0].wording
    assert first.hint.startswith("1 Definitely agree, 2 Tend to agree, 3 Tend to disagree")
    typed = {"get_on_well": "7", "life_satisfaction": "12", "age_band": "x", "code": "a"}
    read = read_submission(layout, typed)
    assert isinstance(read, SubmissionProblems)
    shown = {f.id: f for f in key_fields(layout, typed, read.problems)}
    assert shown["get_on_well"].error == "Enter a number from 1 to 4, or leave it blank"
    assert shown["life_satisfaction"].error == (
        "Enter a whole number from 0 to 10, or leave it blank"
    )
    assert shown["age_band"].error == "Enter a number from 1 to 8, or leave it blank"
    assert shown["code"].error is not None and "MA07LE" in shown["code"].error
    assert shown["belong"].error is None
    assert {k: shown[k].value for k in typed} == typed


def test_an_empty_form_is_said_at_its_first_field() -> None:
    layout = form_layout(FW, "baseline")
    read = read_submission(layout, {})
    assert isinstance(read, SubmissionProblems)
    fields = key_fields(layout, {}, read.problems)
    assert [f.id for f in fields if f.error] == [layout.items[0].id]


def test_undo_checks_belong_to_one_link_kind_and_form() -> None:
    check = undo_check("key-a", "follow_up", 12)
    assert check == undo_check("key-a", "follow_up", 12)
    assert check not in {
        undo_check("key-b", "follow_up", 12),
        undo_check("key-a", "baseline", 12),
        undo_check("key-a", "follow_up", 13),
    }


def test_a_page_with_its_own_style_allows_that_style_only() -> None:
    css = "body { color: #0b0c0c; }"
    page = f"<html><head><style>{css}</style></head><body></body></html>"
    digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
    policy = inline_style_policy(page)
    assert f"style-src 'sha256-{digest}';" in policy
    assert policy.replace(f"'sha256-{digest}'", "'self'") == CONTENT_SECURITY_POLICY
    assert "style-src 'none';" in inline_style_policy("<p>no style</p>")
