"""Programme files: a funder's TOML becomes a ProgrammeSpec, or an error naming file and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.admin.programme_file import (
    DEFAULT_ACTIVITY_TYPES,
    ProgrammeFileError,
    builtin_framework_ids,
    load_programme_file,
)
from conversations.framework import builtin_framework_path
from storage.records import ContactSpec

REPO = Path(__file__).resolve().parents[2]

OWN_FRAMEWORK = """\
id = "northern_light_v2"
version = 3
title = "Northern Light check-in"

[[sections]]
id = "activity"
title = "Your activity"

[[questions]]
id = "A1"
section = "activity"
kind = "count"
prompt = "How many sessions did you run this quarter?"
short = "sessions"
"""

FUNDER = '[funder]\nslug = "northern-light"\nname = "Northern Light Foundation"\n'


def programme(framework: str = "social_cohesion_v1", extra: str = "") -> str:
    return (
        FUNDER
        + f'[programme]\nslug = "bridges-2026"\nname = "Bridges"\nframework = "{framework}"\n'
        + extra
    )


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(path: Path) -> str:
    with pytest.raises(ProgrammeFileError) as caught:
        load_programme_file(path)
    return str(caught.value)


def test_the_example_programme_loads() -> None:
    spec = load_programme_file(REPO / "examples" / "programme.toml")

    assert (spec.funder_slug, spec.funder_name) == ("northern-light", "Northern Light Foundation")
    assert (spec.slug, spec.name) == ("bridges-2026", "Bridges Community Fund")
    assert spec.framework_id == "social_cohesion_v1"
    assert spec.framework_toml == builtin_framework_path("social_cohesion_v1").read_text("utf-8")
    assert spec.activity_types == DEFAULT_ACTIVITY_TYPES
    assert spec.digest_slack_channel == "C0123456789"
    assert spec.contacts == (
        ContactSpec("Priya Shah", "priya.shah@northernlight.example", "U0PRIYA001"),
        ContactSpec("Tom Okafor", "tom.okafor@northernlight.example", None),
    )
    assert spec.schedule == {
        "cadence": "quarterly",
        "months": [1, 4, 7, 10],
        "day": "first monday",
        "send_time": "10:00",
        "weekdays_only": True,
        "due_after_days": 14,
        "reminders_after_days": [3, 7],
        "remind_on_due_date": True,
        "max_reminders": 3,
        "grace_days": 14,
        "digest_every": "round",
    }


def test_minimal_file_gets_default_activity_types_and_no_contacts(tmp_path: Path) -> None:
    spec = load_programme_file(write(tmp_path / "p.toml", programme()))

    assert spec.activity_types == DEFAULT_ACTIVITY_TYPES
    assert spec.contacts == ()
    assert spec.schedule == {}
    assert spec.digest_slack_channel is None


def test_own_framework_path_is_relative_to_the_programme_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "funder" / "frameworks" / "ours.toml", OWN_FRAMEWORK)
    path = write(tmp_path / "funder" / "programme.toml", programme("frameworks/ours.toml"))
    monkeypatch.chdir(tmp_path)

    spec = load_programme_file(path)

    assert (spec.framework_id, spec.framework_version) == ("northern_light_v2", 3)
    assert spec.framework_toml == OWN_FRAMEWORK


def test_missing_own_framework_file_is_named(tmp_path: Path) -> None:
    path = write(tmp_path / "p.toml", programme("frameworks/ours.toml"))

    message = problems_of(path)

    assert f"programme.framework: no framework file at {tmp_path}/frameworks/ours.toml" in message


def test_unknown_builtin_framework_lists_the_builtin_ones(tmp_path: Path) -> None:
    message = problems_of(write(tmp_path / "p.toml", programme("social_cohesion_v9")))

    assert "programme.framework: 'social_cohesion_v9' is not a built-in framework" in message
    assert ", ".join(builtin_framework_ids()) in message
    assert "social_cohesion_v1" in builtin_framework_ids()


def test_broken_framework_reports_its_own_problem(tmp_path: Path) -> None:
    write(tmp_path / "ours.toml", OWN_FRAMEWORK.replace('kind = "count"', 'kind = "counter"'))

    message = problems_of(write(tmp_path / "p.toml", programme("ours.toml")))

    assert "programme.framework:" in message
    assert "question A1" in message


def test_messages_name_the_file_and_the_key(tmp_path: Path) -> None:
    path = write(
        tmp_path / "p.toml",
        programme().replace('slug = "bridges-2026"', 'slug = "Bridges 2026"'),
    )

    message = problems_of(path)

    assert message.startswith(f"{path}: the programme file has problems:")
    assert (
        "programme.slug: 'Bridges 2026' is not 2 to 63 lower-case letters, digits or hyphens"
        in message
    )


def test_contact_problems_name_the_contact_by_position(tmp_path: Path) -> None:
    contacts = (
        '[[contacts]]\nname = "Priya Shah"\nemail = "priya.shah@northernlight.example"\n'
        '[[contacts]]\nname = "Tom Okafor"\nemail = "tom@"\nslack_user_id = "tom"\n'
    )

    message = problems_of(write(tmp_path / "p.toml", programme(extra=contacts)))

    assert "contacts[2].email: 'tom@' is not a valid email address" in message
    assert "contacts[2].slack_user_id: 'tom' is not a Slack member ID" in message
    assert "contacts[1]" not in message


def test_a_contact_needs_a_way_to_be_reached(tmp_path: Path) -> None:
    message = problems_of(
        write(tmp_path / "p.toml", programme(extra='[[contacts]]\nname = "Nobody"\n'))
    )

    assert "contacts[1]: give an email or a slack_user_id" in message


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    text = (
        '[funder]\nslug = "x"\n'
        '[programme]\nslug = "bridges-2026"\nname = "Bridges"\nframework = "social_cohesion_v1"\n'
        'frameworks = "typo"\ndigest_slack_channel = "#bridges"\n'
    )

    message = problems_of(write(tmp_path / "p.toml", text))

    assert "funder.slug: 'x' is not 2 to 63" in message
    assert "funder.name: is required but missing" in message
    assert "programme.frameworks: unknown key; the known keys here are slug, name, framework" in (
        message
    )
    assert "programme.digest_slack_channel: '#bridges' is not a Slack channel ID" in message


def test_missing_table_is_named(tmp_path: Path) -> None:
    message = problems_of(write(tmp_path / "p.toml", FUNDER))

    assert "programme: the [programme] table is missing" in message


def test_activity_types_are_lower_cased_and_must_be_distinct(tmp_path: Path) -> None:
    good = programme(extra='activity_types = ["Arts", "Food "]\n')
    bad = programme(extra='activity_types = ["arts", "Arts"]\n')

    assert load_programme_file(write(tmp_path / "good.toml", good)).activity_types == (
        "arts",
        "food",
    )
    assert "programme.activity_types: listed more than once: arts" in problems_of(
        write(tmp_path / "bad.toml", bad)
    )


def test_schedule_is_kept_as_given(tmp_path: Path) -> None:
    extra = '[schedule]\ncadence = "monthly"\nday = "last friday"\n'

    spec = load_programme_file(write(tmp_path / "p.toml", programme(extra=extra)))

    assert spec.schedule == {"cadence": "monthly", "day": "last friday"}


def test_schedule_problems_name_the_key(tmp_path: Path) -> None:
    extra = '[schedule]\ncadence = "fortnightly"\nsend_time = "9am"\nanything = 1\n'

    problems = problems_of(write(tmp_path / "p.toml", programme(extra=extra)))

    assert "schedule.cadence: 'fortnightly' is not a cadence; use one of 'weekly'" in problems
    assert "schedule.send_time: '9am' is not a time of day; write it as HH:MM" in problems
    assert "schedule.anything: unknown key; the keys are cadence, months, day" in problems


def test_contact_email_is_lower_cased(tmp_path: Path) -> None:
    extra = '[[contacts]]\nname = "Priya"\nemail = "Priya.Shah@NorthernLight.example"\n'

    spec = load_programme_file(write(tmp_path / "p.toml", programme(extra=extra)))

    assert spec.contacts[0].email == "priya.shah@northernlight.example"


def test_missing_and_broken_files_are_clear(tmp_path: Path) -> None:
    assert problems_of(tmp_path / "none.toml") == f"{tmp_path}/none.toml: no such programme file"
    broken = write(tmp_path / "broken.toml", "[funder\n")
    assert problems_of(broken).startswith(f"{broken}: not valid TOML (")
