"""Reading email replies (client fixtures, numbered answers, quote headers) and email steps."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

import pytest

from bot.channels.email.bodies import html_to_text
from bot.channels.email.lines import Ours, Written, written_lines
from bot.channels.email.parsing import (
    ReadReply,
    automated,
    bounce,
    external_id,
    parse_message,
    quote_headers,
    read_reply,
    referenced_ids,
    sender_address,
    token_from_address,
)
from bot.channels.email.steps import advance_all, open_questions, replies_for
from bot.channels.email.understand import LineNotRead, LineReply, ReadInOrder, numbered
from conversations import engine
from conversations.framework import load_builtin
from conversations.state import (
    Ask,
    EngineOptions,
    Invalid,
    Recorded,
    Reply,
    SessionState,
)

FIXTURES = Path(__file__).resolve().parents[1] / "data" / "email"
OURS = "<177.abc@replies.example.org>"


def fixture(name: str, **values: str) -> bytes:
    text = (FIXTURES / name).read_text(encoding="utf-8")
    defaults = {
        "MESSAGE_ID": "<reply-1@mail.example.org>",
        "IN_REPLY_TO": OURS,
        "REPLY_TO": "reply+" + "a1" * 20 + "@replies.example.org",
        "FROM": "amina@unitythroughfood.example.org",
    }
    for key, value in {**defaults, **values}.items():
        text = text.replace(f"%{key}%", value)
    return text.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8")


CLIENTS = {
    "gmail_top_posted_en.eml": [(1, "12"), (2, "300"), (3, "90")],
    "outlook_desktop_fr.eml": [(1, "12"), (2, "300"), (3, "90")],
    "outlook_web_de_html_only.eml": [(1, "12"), (2, "300"), (3, "90")],
    "apple_mail_es.eml": [(1, "12"), (2, "300"), (3, "90")],
    "thunderbird_inline_en.eml": [(1, "12"), (2, "About 300"), (3, "90")],
}


def _numbered(read: ReadReply) -> list[tuple[int, str]]:
    replies = replies_for(FRAMEWORK, _started(), read)
    return [(FRAMEWORK.number_of(r.question_id or ""), r.text) for r in replies]


@pytest.mark.parametrize("name", sorted(CLIENTS))
def test_numbered_and_inline_answers_from_each_client(name: str) -> None:
    read = read_reply(parse_message(fixture(name)))
    assert _numbered(read) == CLIENTS[name]
    assert read.attachments == ()


def test_phone_reply_in_welsh_is_one_bare_answer_without_signature_or_quote() -> None:
    read = read_reply(parse_message(fixture("phone_cy.eml")))
    assert replies_for(FRAMEWORK, _started(), read) == [
        LineReply("12 sessions", line=1, written="12 sessions")
    ]
    assert read.text.splitlines()[0] == "12 sessions"
    assert "ysgrifennodd" not in read.text and "How many" not in read.text
    assert "Sent from my iPhone" not in read.text


@pytest.mark.parametrize(
    ("header", "language"),
    [
        ("On Mon, 5 Oct 2026 at 10:00, Cohesion Check-ins <c@x.org> wrote:", "en"),
        ("Le lun. 5 oct. 2026 à 10:00, Cohesion Check-ins <c@x.org> a écrit :", "fr"),
        ("Am Mo., 5. Okt. 2026 um 10:00 Uhr schrieb Cohesion Check-ins <c@x.org>:", "de"),
        ("El lun, 5 oct 2026 a las 10:00, Cohesion Check-ins (<c@x.org>) escribió:", "es"),
        ("Ar Llun, 5 Hyd 2026 am 10:00, Cohesion Check-ins <c@x.org> ysgrifennodd:", "cy"),
        ("Oddi wrth: Cohesion Check-ins\nAnfonwyd: 05 Hydref 2026 10:00\nAt: Amina", "cy"),
        ("From: Cohesion Check-ins\nSent: 05 October 2026 10:00\nTo: Amina", "en"),
        ("-----Original Message-----", "en"),
    ],
)
def test_quote_headers_in_each_language_cut_the_quoted_text(header: str, language: str) -> None:
    text = f"12 sessions\n\n{header}\n> 1. How many sessions did you run?\n> Reply with a number."
    lines = written_lines(text, Ours(()), quote_headers())
    assert [line.text for line in lines] == ["12 sessions"], language


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("3: 12", (3, "12")),
        ("3) 12", (3, "12")),
        ("Q3 - 12", (3, "12")),
        ("q3-12", (3, "12")),
        ("Question 3: 12", (3, "12")),
        ("3. 12", (3, "12")),
        ("#4: 40", (4, "40")),
        ('"3: 12"', (3, "12")),  # copied with the quotation marks of our example
        ("3 sessions run: 12", (3, "12")),  # words of a question before the answer
        ("1. Sessions run: 12", (1, "12")),
        ("Q4 people who came 40", (4, "40")),
        ("Q2 total attendance three hundred and forty", (2, "three hundred and forty")),
        ("4 first-time participants 40", (4, "40")),
        ("2 - Total attendance - 300", (2, "300")),
        ("5. How many volunteers were active this period? 8", (5, "8")),
        ("3.5", None),  # a decimal answer, not question 3
        ("12", None),
        ("12 sessions", None),  # a bare answer with its unit
        ("3 of 10", None),  # a proportion
        ("2 things went well", None),
        ("2017: the year we began", None),  # a year, not a question
    ],
)
def test_numbered_answer_forms(line: str, expected: tuple[int, str] | None) -> None:
    assert numbered(line, FRAMEWORK) == expected


def _lines(*texts: str) -> ReadReply:
    return ReadReply(tuple(Written(i, t) for i, t in enumerate(texts, start=1)), ())


def test_lines_after_an_answer_in_words_continue_it() -> None:
    read = _lines("1: 12", "24: We cooked together.", "The new arrivals led it.", "12) 8 of 10")
    assert _numbered(read) == [
        (1, "12"),
        (24, "We cooked together.\nThe new arrivals led it."),
        (12, "8 of 10"),
    ]


def test_a_line_that_cannot_be_placed_is_named_with_what_was_expected() -> None:
    from bot.channels.email.steps import understood

    found = understood(FRAMEWORK, _started(), _lines("1: 12", "about 300 people came", "Amina"))
    assert [FRAMEWORK.number_of(r.question_id or "") for r in found.replies] == [1]
    assert found.notes == (LineNotRead(2, "about 300 people came", "1: 12"),)


def test_unnumbered_lines_are_read_in_order_when_they_match_what_was_asked() -> None:
    from bot.channels.email.steps import understood

    state = _started()
    read = _lines("12", "three hundred and forty", "90")
    found = understood(FRAMEWORK, state, read, per_message=3)
    assert [(r.question_id, r.text) for r in found.replies] == [
        ("O1", "12"),
        ("O2", "three hundred and forty"),
        ("O3", "90"),
    ]
    assert found.notes == (ReadInOrder((1, 2, 3)),)
    # the whole section was asked (10 questions): three lines are not read as its first three
    found = understood(FRAMEWORK, state, read, per_message=0)
    assert [r.text for r in found.replies] == ["12"]
    assert [n.line for n in found.notes if isinstance(n, LineNotRead)] == [2, 3]


def test_thanks_above_the_answers_is_a_greeting_and_below_them_a_signature() -> None:
    text = "Thanks!\n\n1: 12\n2: 30\n\nThanks,\nAmina\n07700 900123"
    lines = written_lines(text, Ours(()), quote_headers())
    assert [line.text for line in lines] == ["1: 12", "2: 30"]


def test_signature_words_inside_an_answer_line_are_kept() -> None:
    lines = written_lines("1: 12\n- a list item\n2: 30", Ours(()), quote_headers())
    assert [line.text for line in lines] == ["1: 12", "- a list item", "2: 30"]


def test_html_quotes_are_marked_and_scripts_dropped() -> None:
    html = (
        "<html><head><style>p{color:red}</style></head><body><div>1: 12<br>2: 40</div>"
        "<div class='gmail_quote'>On Mon X wrote:<blockquote>1. How many?</blockquote></div>"
        "<script>alert(1)</script></body></html>"
    )
    text = html_to_text(html)
    assert text.splitlines()[:2] == ["1: 12", "2: 40"]
    assert "> > 1. How many?" in text and "alert" not in text and "color" not in text


def _message(headers: dict[str, str], body: str = "1: 12") -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Amina <AMINA@UnityThroughFood.example.org>"
    for name, value in headers.items():
        message[name] = value
    message.set_content(body)
    return message


@pytest.mark.parametrize(
    "headers",
    [
        {"Auto-Submitted": "auto-replied"},
        {"Auto-Submitted": "auto-generated"},
        {"X-Autoreply": "yes"},
        {"X-Autorespond": "Out of office"},
        {"Precedence": "bulk"},
        {"Precedence": "junk"},
        {"Precedence": "auto_reply"},
        {"Subject": "Automatic reply: Check-in for Bridges"},
        {"Subject": "Abwesenheitsnotiz: Check-in"},
    ],
)
def test_automated_mail_is_recognised(headers: dict[str, str]) -> None:
    assert automated(_message(headers), "amina@unitythroughfood.example.org") is not None


def test_empty_return_path_is_automated_and_a_person_is_not() -> None:
    assert automated(_message({}), "<>") == "empty return path"
    assert automated(_message({"Auto-Submitted": "no"}), "amina@x.org") is None
    assert automated(_message({"Subject": "Re: Check-in"}), "amina@x.org") is None


def test_dsn_bounce_names_the_failed_address_and_our_message() -> None:
    raw = (FIXTURES / "bounce_dsn.eml").read_bytes().replace(b"%ORIGINAL_ID%", OURS.encode())
    found = bounce(parse_message(raw))
    assert found is not None and found.permanent
    assert found.recipients == ("amina@unitythroughfood.example.org",)
    assert found.original_ids == (OURS,)
    assert bounce(_message({})) is None


def test_addresses_tokens_and_ids() -> None:
    token = "0f" * 20
    assert token_from_address(f"Reply+{token.upper()}@Replies.Example.org", "replies.example.org")
    assert token_from_address(f"reply+{token}@elsewhere.org", "replies.example.org") is None
    assert token_from_address("checkins@replies.example.org", "replies.example.org") is None
    assert token_from_address("reply+a.b@replies.example.org", "replies.example.org") is None
    message = parse_message(
        b"From: Amina <AMINA@UnityThroughFood.example.org>\r\nIn-Reply-To: <b@x>\r\n"
        b"References: <a@x> <b@x>\r\n <c@x>\r\n\r\n1: 12\r\n"
    )
    assert referenced_ids(message) == ["<b@x>", "<c@x>", "<a@x>"]
    assert sender_address(message) == "amina@unitythroughfood.example.org"
    assert external_id(message, b"raw").startswith("<sha256:")  # no Message-ID: a digest


def test_attachments_are_listed_and_not_read() -> None:
    message = _message({}, "1: 12")
    message.add_attachment(b"%PDF-1.4", maintype="application", subtype="pdf", filename="a.pdf")
    read = read_reply(message)
    assert read.attachments == ("a.pdf",)
    assert _numbered(read) == [(1, "12")]


# ---- from what was read to engine replies, and what one email asks ------------------------------

FRAMEWORK = load_builtin("social_cohesion_v1")


def _started() -> SessionState:
    return engine.start(FRAMEWORK, engine.new_state(FRAMEWORK)).state


def test_an_email_asks_the_rest_of_the_section_or_n_questions() -> None:
    state = _started()
    section = [q.id for q in open_questions(FRAMEWORK, state, 0)]
    assert section[0] == "O1" and len(section) == 10  # the outputs section
    assert [q.id for q in open_questions(FRAMEWORK, state, 2)] == ["O1", "O2"]
    assert [q.id for q in open_questions(FRAMEWORK, state, 1)] == ["O1"]


def test_numbered_answers_become_targeted_replies_and_skips_commands() -> None:
    read = _lines("2: 300", "6: skip", "42: 5")
    assert replies_for(FRAMEWORK, _started(), read) == [
        LineReply("300", question_id="O2", line=1, written="2: 300"),
        Reply("skip 6"),
        Reply("5", question_id="42"),  # the engine says there is no question 42
    ]


def test_a_bare_answer_is_its_first_line_unless_the_question_wants_words() -> None:
    read = _lines("12", "Amina", "Unity Through Food")
    assert [r.text for r in replies_for(FRAMEWORK, _started(), read)] == ["12"]
    text_question = next(q for q in FRAMEWORK.questions if q.kind == "text")
    asking_text = _started().with_(current=text_question.id)
    assert replies_for(FRAMEWORK, asking_text, read) == [Reply("12\nAmina\nUnity Through Food")]


def test_several_answers_are_one_step_with_one_list_of_what_is_next() -> None:
    replies = [Reply("12", question_id="O1"), Reply("lots", question_id="O2")]
    step = advance_all(FRAMEWORK, _started(), replies, EngineOptions(), per_message=0)
    kinds = [type(p) for p in step.prompts]
    assert kinds[:2] == [Recorded, Invalid]
    asked = [p.question_id for p in step.prompts if isinstance(p, Ask)]
    assert asked[:2] == ["O2", "O3"] and "O1" not in asked
    assert [a.question_id for a in step.answers] == ["O1"]
    assert step.state.answers == {"O1": 12}


# ---- Authentication-Results (email_auth.py) -----------------------------------------------------


def test_only_our_servers_topmost_authentication_results_is_read() -> None:
    from bot.channels.email.authentication import sender_check

    message = _message(
        {
            "Authentication-Results": "MX.Bridges.example.org 1; dkim=pass (good signature)"
            " header.d=x.org; spf=pass; dmarc=fail (p=reject) header.from=x.org",
        }
    )
    message["Authentication-Results"] = "mx.bridges.example.org; dmarc=pass header.from=x.org"
    message["Authentication-Results"] = "mx.forger.example; dmarc=pass"
    check = sender_check(message, "mx.bridges.example.org")
    assert check is not None and check.failed and check.dmarc == "fail"  # the topmost of ours
    assert sender_check(message, None) is None  # not configured: not read at all
    assert sender_check(message, "mx.other.example") is None
    forged = _message({"Authentication-Results": "mx.forger.example; dmarc=pass"})
    assert sender_check(forged, "mx.bridges.example.org") is None
    unchecked = _message({"Authentication-Results": "mx.bridges.example.org; spf=pass"})
    found = sender_check(unchecked, "mx.bridges.example.org")
    assert found is not None and not found.failed and found.dmarc == ""
