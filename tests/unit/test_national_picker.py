"""Which national figure a grantee or a programme is set against, and what is said otherwise."""

from __future__ import annotations

import re
import tomllib
from typing import Any

import pytest

from conversations.errors import FrameworkError
from conversations.framework import (
    FRAMEWORKS_DIR,
    Framework,
    NationalBenchmark,
    load_framework,
)
from conversations.national import NoFigure, context, for_grantee, for_group

FRAMEWORK = load_framework(FRAMEWORKS_DIR / "social_cohesion_v1.toml")
P2, P6, P7, P10 = (FRAMEWORK.question(q) for q in ("P2", "P6", "P7", "P10"))
WORDING = "How strongly do you feel you belong to your immediate neighbourhood?"


def figure(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "nation": "England",
        "value": 62,
        "unit": "percent",
        "measure": "very or fairly strongly",
        "wording": WORDING,
        "answers": "Very strongly / Fairly strongly / Not very strongly / Not at all strongly",
        "population": "adults aged 16 and over",
        "year": "2024/25",
        "source_title": "Community Life Survey 2024/25: Neighbourhood and community",
        "table": "Figure 1.1",
        "source_url": "https://www.gov.uk/government/statistics/community-life-survey-202425",
        "mode": "self_completion",
    }
    return base | changes


def framework_with(*figures: dict[str, Any]) -> Framework:
    data = tomllib.loads((FRAMEWORKS_DIR / "social_cohesion_v1.toml").read_text("utf-8"))
    p2 = next(q for q in data["questions"] if q["id"] == "P2")
    p2["national"] = list(figures)
    return Framework.model_validate(data)


def test_an_english_grantee_sees_englands_figure() -> None:
    chosen = for_grantee(P2, "Bradford")
    assert isinstance(chosen, NationalBenchmark)
    assert (chosen.nation, chosen.value, chosen.year) == ("England", 62, "2024/25")


@pytest.mark.parametrize(
    ("council", "nation"),
    [
        ("Cardiff", "Wales"),
        ("Glasgow City", "Scotland"),
        ("Derry City and Strabane", "Northern Ireland"),
    ],
)
def test_elsewhere_englands_figure_is_never_shown_and_the_reason_is(
    council: str, nation: str
) -> None:
    for q in (P2, P6):
        chosen = for_grantee(q, council)
        assert isinstance(chosen, NoFigure), (q.id, council)
        assert chosen.reason.startswith(f"No comparable national figure for {nation}: ")
        assert "covers England only" in chosen.reason


def test_a_uk_figure_covers_every_nation() -> None:
    for council in ("Bradford", "Cardiff", "Glasgow City", "Belfast"):
        chosen = for_grantee(P7, council)
        assert isinstance(chosen, NationalBenchmark) and chosen.nation == "UK", council


def test_a_question_without_figures_says_nothing_and_an_unknown_council_says_why() -> None:
    assert for_grantee(P10, "Cardiff") is None
    unknown = for_grantee(P2, "Atlantis")
    assert isinstance(unknown, NoFigure) and "'Atlantis' is not a UK council area" in unknown.reason


def test_the_nations_own_figure_wins_over_the_uks_and_a_council_areas_over_both() -> None:
    fw = framework_with(
        figure(nation="UK", value=60),
        figure(nation="Wales", value=70, source_url="https://www.gov.wales/national-survey"),
        figure(local_authority="Bradford", value=55, table="Table B1c"),
    )
    q = fw.question("P2")
    assert getattr(for_grantee(q, "Cardiff"), "value", None) == 70
    assert getattr(for_grantee(q, "Bradford Council"), "value", None) == 55
    assert getattr(for_grantee(q, "Leeds"), "value", None) == 60  # England has no own figure
    assert getattr(for_grantee(q, "Belfast"), "value", None) == 60


def test_a_programme_across_nations_is_only_set_against_a_figure_covering_them_all() -> None:
    assert getattr(for_group(P2, ["Leeds", "Bradford"]), "nation", None) == "England"
    mixed = for_group(P2, ["Leeds", "Glasgow City"])
    assert isinstance(mixed, NoFigure)
    assert mixed.reason == (
        "No single national figure: grantees work in England and Scotland, and the official "
        "figure for this question covers England only."
    )
    assert getattr(for_group(P7, ["Leeds", "Glasgow City"]), "nation", None) == "UK"
    only_scots = for_group(P2, ["Glasgow City", "Fife"])
    assert isinstance(only_scots, NoFigure) and "for Scotland" in only_scots.reason
    assert for_group(P2, []) is None
    assert isinstance(for_group(P2, ["Leeds", "Atlantis"]), NoFigure)


def test_the_context_says_which_table_who_and_how_they_were_asked() -> None:
    assert context(P2.national[0]) == (
        "Table: Figure 1.1 (section 1.1, Headline findings). Asked of adults aged 16 and over in "
        "England; self-completed online or on paper, like participants' forms."
    )
    assert "adults aged 16 and over in the UK; asked by an interviewer" in context(P7.national[0])


@pytest.mark.parametrize(
    ("figures", "words"),
    [
        ((figure(), figure(value=61, year="2023/24")), "more than one national figure for England"),
        (
            (figure(local_authority="Leeds"), figure(local_authority="Leeds City Council")),
            "more than one national figure for Leeds (England)",
        ),
        (
            (figure(wording="How strongly do you belong to Britain?"),),
            "which the prompt does not quote",
        ),
        ((figure(unit="mean", scale_max=10, value=7),), "needs a number or scale question"),
    ],
)
def test_framework_checks_refuse_figures_that_are_not_like_for_like(
    figures: tuple[dict[str, Any], ...], words: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(words)):
        framework_with(*figures)


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"source_url": "https://www.example-news.com/loneliness"}, "not a primary publication"),
        ({"local_authority": "Cardiff"}, "Cardiff is in Wales, not England"),
        ({"local_authority": "Atlantis"}, "not a council area of England"),
        ({"nation": "UK", "local_authority": "Leeds"}, "not a council area of UK"),
        ({"mode": "telephone"}, "self_completion"),
        ({"table": ""}, "table"),
    ],
)
def test_a_figure_must_name_a_primary_source_its_table_mode_and_a_real_council(
    changes: dict[str, Any], words: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(words)):
        NationalBenchmark.model_validate(figure(**changes))


def test_a_figure_from_the_producers_subdomains_is_accepted() -> None:
    for url in (
        "https://statswales.gov.wales/x",
        "https://datavis.nisra.gov.uk/y",
        "https://www.gov.scot/z",
    ):
        assert NationalBenchmark.model_validate(figure(source_url=url)).source_url.host


def test_a_file_with_the_old_single_benchmark_is_refused_with_what_to_write(tmp_path: Any) -> None:
    old = FRAMEWORKS_DIR.parent.parent / "tests" / "data" / "frameworks"
    path = old / "stored_social_cohesion_v1_with_old_benchmarks.toml"
    with pytest.raises(FrameworkError) as caught:
        load_framework(path)
    message = str(caught.value)
    assert "question P1, P2, P5, P6, P7: `benchmark = {...}` is the old form" in message
    assert "[[questions.national]]" in message


def test_a_programmes_stored_text_with_old_benchmarks_still_loads_without_them() -> None:
    old = FRAMEWORKS_DIR.parent.parent / "tests" / "data" / "frameworks"
    text = (old / "stored_social_cohesion_v1_with_old_benchmarks.toml").read_text("utf-8")
    fw = Framework.model_validate(tomllib.loads(text))
    assert fw.key == FRAMEWORK.key
    assert all(q.national == () for q in fw.questions)
    # wording is untouched, so answers stored under it keep their question versions
    assert [(q.id, q.version, q.prompt) for q in fw.questions] == [
        (q.id, q.version, q.prompt) for q in FRAMEWORK.questions
    ]
