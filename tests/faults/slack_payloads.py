"""Hypothesis strategies for what reaches the Slack endpoint: odd, broken and hostile payloads."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from hypothesis import strategies as st

from bot.channels.slack import blocks as slack_blocks
from bot.demo.slack_standin import TEAM_ID
from tests.support.fake_slack import message_event

TEAM = TEAM_ID
_UNICODE = st.text(alphabet=st.characters(codec="utf-8"), max_size=60)
_PIECES = ["12", "skip", "back", "later", "help", "<!channel>", "<@U0RHYS0001>", "&lt;b&gt;"]
_PIECES += ["\u202e", "\x00", "\ufeff", "\U0001f600", "\r\n", "*bold*", "`x`", "<script>"]
# what a grantee might type, in any script and at any length
TEXTS = st.one_of(
    _UNICODE,
    st.lists(st.sampled_from(_PIECES), max_size=6).map("".join),
    st.tuples(st.sampled_from(["a", "é", "<", "&", "9 "]), st.integers(500, 5000)).map(
        lambda p: p[0] * p[1]
    ),
)
# values of the wrong type for any field
WRONG = st.one_of(
    st.none(),
    st.integers(-(2**63), 2**63),
    st.floats(allow_nan=False),
    st.booleans(),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.sampled_from(["id", "x"]), st.integers(), max_size=2),
    _UNICODE,
)
JSON = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), _UNICODE),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(_UNICODE, inner, max_size=4)
    ),
    max_leaves=12,
)


def dm(user: str, text: Any) -> dict[str, Any]:
    """An Events API envelope for a DM, as Slack sends it; `text` may be of any type here."""
    return message_event(user, text)


def click(user: Any, *, question: str, text: str, tag: str) -> dict[str, Any]:
    """A block_actions payload for a check-in button."""
    value = json.dumps({"q": question, "t": text, "s": 1})
    return {
        "type": "block_actions",
        "team": {"id": TEAM},
        "user": {"id": user},
        "api_app_id": "A0APP00001",
        "trigger_id": uuid.uuid4().hex,
        "container": {"type": "message", "message_ts": "1.0", "channel_id": f"D{user}"},
        "channel": {"id": f"D{user}"},
        "actions": [
            {
                "type": "button",
                "action_id": f"{slack_blocks.ACTION_PREFIX}answer:0",
                "block_id": f"ci:{tag}:answer:{question}",
                "value": value,
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }


@st.composite
def not_grantee_events(draw: st.DrawFn, grantee: str, strangers: list[str]) -> dict[str, Any]:
    """A signed event that is no grantee's DM: broken where it matters, odd everywhere else."""
    envelope = dm(grantee, draw(st.one_of(TEXTS, WRONG)))
    event = envelope["event"]
    breakage = draw(
        st.sampled_from(
            [
                "no_user",
                "user_type",
                "stranger",
                "not_im",
                "subtype",
                "bot",
                "event_type",
                "event_shape",
                "no_event",
                "body_type",
            ]
        )
    )
    if breakage == "no_user":
        del event["user"]
    elif breakage == "user_type":
        event["user"] = draw(WRONG.filter(lambda v: v != grantee))
    elif breakage == "stranger":
        event["user"] = draw(st.sampled_from(strangers))
    elif breakage == "not_im":
        event["channel_type"] = draw(
            st.one_of(st.sampled_from(["channel", "group", "mpim"]), WRONG)
        )
    elif breakage == "subtype":
        event["subtype"] = draw(st.sampled_from(["message_changed", "bot_message", "x"]))
    elif breakage == "bot":
        event["bot_id"] = "B0OTHER001"
    elif breakage == "event_type":
        event["type"] = draw(st.one_of(st.sampled_from(["reaction_added", "app_mention"]), WRONG))
    elif breakage == "event_shape":
        envelope["event"] = draw(st.one_of(WRONG, st.lists(_UNICODE, max_size=2)))
    elif breakage == "no_event":
        del envelope["event"]
    else:
        envelope["type"] = draw(st.one_of(st.just("app_rate_limited"), WRONG))
    # and anything else odd that a valid DM could also have
    for name in draw(st.lists(st.sampled_from(["event_id", "team_id", "event_time"]), max_size=2)):
        envelope[name] = draw(WRONG)
    if draw(st.booleans()):
        envelope[draw(_UNICODE)] = draw(JSON)
    return envelope


@st.composite
def not_grantee_clicks(
    draw: st.DrawFn, grantee: str, strangers: list[str], tag: str
) -> dict[str, Any]:
    """A signed block_actions payload that is no grantee's click on a check-in button."""
    payload = click(grantee, question="O1", text=draw(TEXTS), tag=tag)
    action = payload["actions"][0]
    breakage = draw(
        st.sampled_from(
            [
                "no_user",
                "user_type",
                "stranger",
                "no_actions",
                "actions_shape",
                "action_id",
                "value_json",
                "value_shape",
                "round_tag",
            ]
        )
    )
    if breakage == "no_user":
        del payload["user"]
    elif breakage == "user_type":
        payload["user"] = draw(st.one_of(WRONG, st.builds(lambda v: {"id": v}, WRONG)))
    elif breakage == "stranger":
        payload["user"] = {"id": draw(st.sampled_from(strangers))}
    elif breakage == "no_actions":
        payload["actions"] = draw(st.sampled_from([[], None]))
    elif breakage == "actions_shape":
        payload["actions"] = draw(st.one_of(WRONG, st.lists(WRONG, min_size=1, max_size=2)))
    elif breakage == "action_id":
        action["action_id"] = draw(st.one_of(WRONG, st.sampled_from(["answer:0", "other:ci:"])))
    elif breakage == "value_json":
        action["value"] = draw(st.one_of(_UNICODE, st.just("{not json")))
    elif breakage == "value_shape":
        shapes = st.one_of(JSON, st.builds(lambda t: {"q": "O1", "t": t}, WRONG))
        # a dict with a text "t" would be a real click; everything else is not
        action["value"] = json.dumps(
            draw(shapes.filter(lambda v: not (isinstance(v, dict) and isinstance(v.get("t"), str))))
        )
    else:  # a round this grantee is in no check-in of, or garbage where the tag goes
        action["block_id"] = draw(
            st.one_of(
                st.sampled_from(["ci:0123456789:answer:O1", "ci::", "nope", ""]),
                WRONG,
            )
        )
    for name in draw(st.lists(st.sampled_from(["container", "channel", "trigger_id"]), max_size=2)):
        payload[name] = draw(WRONG)
    return payload
