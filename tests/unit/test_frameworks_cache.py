"""A programme's framework is parsed once per text, and a changed text is parsed again."""

from __future__ import annotations

from bot.conversation.frameworks import framework_for
from conversations.framework import builtin_framework_path
from storage.records import Programme

TEXT = builtin_framework_path("social_cohesion_v1").read_text("utf-8")


def programme(framework_toml: str) -> Programme:
    return Programme(
        id=41,
        slug="bridges",
        name="Bridges",
        funder_slug="fund",
        funder_name="Fund",
        framework_id="social_cohesion_v1",
        framework_version=1,
        framework_toml=framework_toml,
        contacts=(),
        activity_types=(),
        schedule={},
        digest_slack_channel=None,
    )


def test_the_same_text_read_again_gives_the_same_framework() -> None:
    first = framework_for(programme(TEXT))
    again = framework_for(programme("".join(TEXT)))  # equal text, another string
    assert again is first
    assert first.title


def test_a_changed_text_for_the_same_programme_is_parsed_again() -> None:
    before = framework_for(programme(TEXT))
    retitled = TEXT.replace(f'title = "{before.title}"', 'title = "Bridges outcomes, revised"', 1)
    assert retitled != TEXT
    after = framework_for(programme(retitled))
    assert after.title == "Bridges outcomes, revised"
    assert framework_for(programme(TEXT)).title == before.title
