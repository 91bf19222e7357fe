"""The Slack endpoint reads request bodies exactly as bolt would, only faster."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from slack_bolt.request.internals import parse_body

from bot.channels.slack.guard import read_body

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"

text_values = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)))
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | text_values,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text_values, inner, max_size=4),
    max_leaves=12,
)


def test_a_button_click_reads_as_its_payload() -> None:
    payload = {
        "type": "block_actions",
        "user": {"id": "U1"},
        "actions": [{"action_id": "ci:answer", "value": '{"q": "P1", "v": 3} & more=+%'}],
        "message": {"blocks": [{"type": "section", "text": {"text": "Café “quoted” 10%"}}]},
    }
    body = urlencode({"payload": json.dumps(payload)})
    assert read_body(body, FORM) == payload


def test_a_slash_command_reads_as_its_fields() -> None:
    body = urlencode({"command": "/checkin", "text": "status now", "user_id": "U1"})
    assert read_body(body, FORM) == {"command": "/checkin", "text": "status now", "user_id": "U1"}


def test_an_event_reads_as_its_json() -> None:
    envelope = {"type": "event_callback", "event": {"type": "message", "text": "4"}}
    assert read_body(json.dumps(envelope), JSON) == envelope


@settings(max_examples=300, deadline=None)
@given(fields=st.lists(st.tuples(text_values, text_values), max_size=5))
def test_forms_read_as_bolt_reads_them(fields: list[tuple[str, str]]) -> None:
    body = urlencode(fields)
    assert read_body(body, FORM) == parse_body(body, FORM)


@settings(max_examples=300, deadline=None)
@given(payload=json_values)
def test_payloads_read_as_bolt_reads_them(payload: object) -> None:
    body = urlencode({"payload": json.dumps(payload)})
    assert read_body(body, FORM) == parse_body(body, FORM)


@settings(max_examples=300, deadline=None)
@given(payload=json_values, ascii_only=st.booleans())
def test_json_bodies_read_as_bolt_reads_them(payload: object, ascii_only: bool) -> None:
    body = json.dumps(payload, ensure_ascii=ascii_only)
    assert read_body(body, JSON) == parse_body(body, JSON)


@settings(max_examples=300, deadline=None)
@given(text=text_values)
def test_any_form_text_reads_as_bolt_reads_it(text: str) -> None:
    """Raw text, percent signs and all, as a form body: the same fields and values."""
    try:
        expected = parse_body(text, FORM)
    except ValueError:  # a `payload` field that is not JSON
        with pytest.raises(ValueError):
            read_body(text, FORM)
    else:
        assert read_body(text, FORM) == expected


@pytest.mark.parametrize("body", ['{"a": NaN}', '{"a": 1e400}', '{"a": "\\ud800"}', "{"])
def test_json_that_is_not_standard_json_is_refused(body: str) -> None:
    """Python's json takes NaN, infinities and lone surrogates; Slack never sends them."""
    with pytest.raises(ValueError):
        read_body(body, JSON)


def test_an_empty_body_reads_as_nothing() -> None:
    assert read_body("", JSON) == read_body("", FORM) == {}
