"""Check-in emails' wording: questions rendered once are shown again only where still true."""

from __future__ import annotations

from bot.channels.email import render as email_render
from bot.channels.email.render import EmailRenderer
from bot.conversation.rendering import ConversationView, Renderer
from conversations.framework import Framework, load_builtin
from conversations.state import Ask

FRAMEWORK = load_builtin("social_cohesion_v1")


def view_of(framework: Framework) -> ConversationView:
    return ConversationView(framework, "Amina", "Bridges Community Fund", "2026 Q4")


def ask(question_id: str, number: int, *, current: str | None = None) -> Ask:
    return Ask(
        question_id, number, 0, 14, section_start=number == 1, current=current, optional=False
    )


def test_a_question_reads_the_same_each_time_and_changes_with_its_answer() -> None:
    renderer = EmailRenderer(Renderer())
    first = renderer.render([ask("O1", 1), ask("O2", 2)], view_of(FRAMEWORK))
    again = renderer.render([ask("O1", 1), ask("O2", 2)], view_of(FRAMEWORK))
    assert again == first
    assert "== This period's activity ==" in first["text"]
    assert "1. How many sessions, activities or events did you run this period?" in first["text"]
    edited = renderer.render([ask("O1", 1, current="12")], view_of(FRAMEWORK))
    assert "Your answer so far: 12. Reply with a new answer to change it." in edited["text"]
    assert "Your answer so far: 12." in edited["html"]
    assert "== This period's activity ==" not in edited["text"]  # going back: no heading


def test_a_changed_framework_is_worded_anew_even_with_the_same_ids() -> None:
    renderer = EmailRenderer(Renderer())
    before = renderer.render([ask("O1", 1)], view_of(FRAMEWORK))
    data = FRAMEWORK.model_dump()
    for question in data["questions"]:
        if question["id"] == "O1":
            question["prompt"] = "How many <sessions> did you hold?"
    reworded = Framework.model_validate(data)  # a framework file changed and loaded again
    after = renderer.render([ask("O1", 1)], view_of(reworded))
    assert "1. How many sessions, activities or events" in before["text"]
    assert "1. How many <sessions> did you hold?" in after["text"]
    assert "How many &lt;sessions&gt; did you hold?" in after["html"]  # still escaped


def test_the_questions_kept_stay_within_their_bound() -> None:
    renderer = EmailRenderer(Renderer())
    bound = email_render._KEPT_QUESTIONS
    for n in range(bound + 50):
        renderer.render([ask("O1", 1, current=str(n))], view_of(FRAMEWORK))
    assert len(renderer._questions) == bound
    latest = renderer.render([ask("O1", 1, current=str(bound + 49))], view_of(FRAMEWORK))
    assert f"Your answer so far: {bound + 49}." in latest["text"]
