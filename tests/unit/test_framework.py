"""The default framework's content and the load-time checks that guard funders' own files."""

from __future__ import annotations

from pathlib import Path

import pytest

from conversations.answers import answer_hint
from conversations.errors import FrameworkError
from conversations.framework import (
    ChoiceQuestion,
    CountQuestion,
    Framework,
    NumberQuestion,
    ProportionQuestion,
    TextQuestion,
    YesNoQuestion,
    builtin_framework_path,
    load_builtin,
    load_framework,
)

BROKEN = Path(__file__).parent.parent / "data" / "frameworks"

QUESTION_IDS = [
    *("O1", "O2", "O3", "O4", "O5", "O5H", "O6", "O7", "O8", "O8F"),
    *("P1", "P2", "P3", "P4", "P5", "P6", "P7N", "P7", "P8", "P9", "P10"),
    *("G1", "G1C", "G2", "G3", "G3D"),
]
PROPORTIONS = ["P1", "P2", "P3", "P4", "P5", "P6", "P8", "P9", "P10"]

# Copied from the reference (social-cohesion-measures.md §1a); the prompts must quote them verbatim.
OFFICIAL_WORDING = {
    "P1": "To what extent do you agree or disagree that this local area is a place where people "
    "from different backgrounds get on well together?",
    "P2": "How strongly do you feel you belong to your immediate neighbourhood?",
    "P3": "Thinking about the people who live in this neighbourhood, to what extent do you "
    "believe they can be trusted?",
    "P4": "How often do you chat to any of your neighbours, more than to just say hello?",
    "P5": "To what extent would you agree or disagree that people in your neighbourhood pull "
    "together to improve the neighbourhood?",
    "P6": "How often do you feel lonely?",
    "P7": "Overall, how satisfied are you with your life nowadays?",
}

# (question, nation, value, year) of every national figure the framework cites: each one the
# latest published for its wording, read from the producer's own page (docs/national-figures.md).
EXPECTED_FIGURES = {
    ("P2", "England", 62.0, "2024/25"),
    ("P6", "England", 6.6, "2024/25"),
    ("P7", "UK", 7.45, "year ending March 2023"),
}
# Figures that may not be cited: unconfirmed, secondary, or superseded by a later release.
FLAGGED_FIGURES = {
    ("P1", "England", 83.0, "2020/21"),  # cohesion: five years old, not the latest
    ("P3", "England", 41.0, "2023/24"),  # trust: secondary (press report)
    ("P4", "England", 69.0, "2023/24"),  # chatting: secondary
    ("P5", "England", 65.0, "2020/21"),  # pull together: the pandemic peak, not the latest
    ("P5", "England", 56.0, "2023/24"),  # pull together: secondary
    ("P8", "England", 16.0, "2023/24"),  # formal volunteering: secondary, and a proxy
    ("P9", "England", 80.0, "2007"),  # social mixing: historic, secondary
}


@pytest.fixture(scope="module")
def fw() -> Framework:
    return load_builtin("social_cohesion_v1")


def test_default_framework_loads_with_its_id_and_version(fw: Framework) -> None:
    assert (fw.id, fw.version, fw.key) == ("social_cohesion_v1", 1, "social_cohesion_v1@1")


def test_question_ids_are_exactly_the_ones_other_modules_depend_on(fw: Framework) -> None:
    assert [q.id for q in fw.questions] == QUESTION_IDS


def test_sections_in_order_with_titles(fw: Framework) -> None:
    assert [(s.id, s.title) for s in fw.sections] == [
        ("outputs", "This period's activity"),
        ("outcomes", "What participants told you"),
        ("project", "Your view of the period"),
    ]
    outcomes = fw.sections[1].intro
    assert "x of n" in outcomes and "feedback forms" in outcomes
    sections = [q.section for q in fw.questions]
    assert sections == sorted(sections, key=["outputs", "outcomes", "project"].index)


def test_every_question_is_explained(fw: Framework) -> None:
    for q in fw.questions:
        assert q.prompt.strip() and q.short.strip() and len(q.help) > 20, q.id
        assert q.version == 1, q.id


def test_counts_have_units_and_start_at_zero(fw: Framework) -> None:
    units = {
        "O1": "sessions",
        "O2": "attendances",
        "O3": "participants",
        "O4": "participants",
        "O5": "volunteers",
        "O5H": "hours",
        "O6": "sessions",
    }
    for qid, unit in units.items():
        q = fw.by_id[qid]
        assert isinstance(q, CountQuestion) and q.unit == unit and q.min == 0, qid
    counts = [q for q in fw.questions if isinstance(q, CountQuestion)]
    assert all(q.min == 0 and q.max is not None for q in counts)
    assert [q.id for q in counts if not q.required] == ["O5H", "P7N"]
    assert fw.by_id["O8"].required and fw.by_id["O8F"].required


def test_o7_share_bands(fw: Framework) -> None:
    q = fw.by_id["O7"]
    assert isinstance(q, ChoiceQuestion)
    assert [(o.value, o.label) for o in q.options] == [
        ("lt10", "Under 10%"),
        ("p10_24", "10\u201324%"),
        ("p25_49", "25\u201349%"),
        ("p50", "50% or more"),
        ("dont_know", "Don't know"),
    ]


@pytest.mark.parametrize("qid", PROPORTIONS)
def test_participant_questions_are_optional_x_of_n_after_follow_up_forms(
    fw: Framework, qid: str
) -> None:
    q = fw.by_id[qid]
    assert isinstance(q, ProportionQuestion)
    assert not q.required and q.denominator == "respondents" and len(q.numerator) >= 2
    assert q.ask_if is not None
    assert (q.ask_if.question, q.ask_if.op, q.ask_if.value) == ("O8F", "gt", 0)
    assert q.prompt.startswith('Of the participants who answered "')
    assert q.prompt.endswith("?")
    assert answer_hint(q) == "Reply as x of n, like 32 of 41."  # said once, by the hint


@pytest.mark.parametrize("qid", sorted(OFFICIAL_WORDING))
def test_official_wording_is_quoted_verbatim(fw: Framework, qid: str) -> None:
    q = fw.by_id[qid]
    assert f'"{OFFICIAL_WORDING[qid]}"' in q.prompt
    assert q.official_wording


def test_only_official_items_claim_official_wording(fw: Framework) -> None:
    assert {q.id for q in fw.questions if q.official_wording} == set(OFFICIAL_WORDING)


def test_life_satisfaction_mean_follows_its_respondent_count(fw: Framework) -> None:
    count, mean = fw.by_id["P7N"], fw.by_id["P7"]
    assert isinstance(count, CountQuestion) and not count.required
    assert count.ask_if is not None and count.ask_if.question == "O8F"
    assert isinstance(mean, NumberQuestion) and not mean.required
    assert (mean.min, mean.max, mean.decimals) == (0, 10, 1)
    assert mean.ask_if is not None
    assert (mean.ask_if.question, mean.ask_if.op, mean.ask_if.value) == ("P7N", "gt", 0)


def test_headlines(fw: Framework) -> None:
    headlines = {q.id for q in fw.questions if q.headline}
    assert headlines == {"O1", "O3", "P1", "P2", "P5", "P6", "P7", "P10"}


def test_project_questions(fw: Framework) -> None:
    g1, g1c, g2, g3, g3d = (fw.by_id[i] for i in ("G1", "G1C", "G2", "G3", "G3D"))
    assert isinstance(g1, ChoiceQuestion)
    assert [(o.value, o.label) for o in g1.options] == [
        ("better", "Better"),
        ("same", "About the same"),
        ("worse", "Worse"),
        ("dont_know", "Don't know"),
    ]
    assert isinstance(g1c, TextQuestion) and not g1c.required
    assert isinstance(g2, TextQuestion) and g2.required
    assert isinstance(g3, YesNoQuestion)
    assert g3.prompt == "Were there any tensions or incidents between groups this period?"
    assert isinstance(g3d, TextQuestion) and g3d.required and g3d.flags_incident
    assert g3d.ask_if is not None
    assert (g3d.ask_if.question, g3d.ask_if.op, g3d.ask_if.value) == ("G3", "eq", True)
    assert [q.id for q in fw.questions if isinstance(q, TextQuestion) and q.flags_incident] == [
        "G3D"
    ]


def test_national_figures_exist_exactly_where_wording_and_scale_match(fw: Framework) -> None:
    cited = {(q.id, f.nation, f.value, f.year) for q in fw.questions for f in q.national}
    assert cited == EXPECTED_FIGURES
    assert not cited & FLAGGED_FIGURES
    for qid in ("P1", "P3", "P4", "P5", "P8", "P9", "P10"):
        assert fw.by_id[qid].national == (), qid


def test_every_national_figure_is_fully_sourced_from_a_primary_publication(fw: Framework) -> None:
    for q in fw.questions:
        for f in q.national:
            assert f.wording == OFFICIAL_WORDING[q.id], q.id
            assert f.wording in q.prompt, q.id
            assert f.source_title and f.table and f.measure and f.answers, q.id
            assert f.population == "adults aged 16 and over", q.id
            assert f.source_url.scheme == "https", q.id
            assert f.source_url.host in ("www.gov.uk", "www.ons.gov.uk"), q.id
            assert "/previous/" not in str(f.source_url), q.id  # never a superseded page
            assert f.unit == ("mean" if q.id == "P7" else "percent"), q.id
    p6, p7 = fw.by_id["P6"].national[0], fw.by_id["P7"].national[0]
    assert p6.measure == "often or always" and p6.mode == "self_completion"
    # ONS's figure is from an interview survey, which the summary says beside it
    assert (p7.scale_max, p7.nation, p7.mode) == (10, "UK", "interviewer")


def test_each_omitted_benchmark_says_why_in_the_file() -> None:
    text = builtin_framework_path("social_cohesion_v1").read_text(encoding="utf-8")
    blocks = {b.split('"')[1]: b for b in text.split("[[questions]]\nid = ")[1:]}
    for qid in ("P1", "P3", "P4", "P5", "P8", "P9", "P10"):
        assert "# No benchmark:" in blocks[qid], qid


def test_rules(fw: Framework) -> None:
    pairs = {(r.left, r.right) for r in fw.rules}
    assert pairs == {
        ("O3", "O2"),
        ("O4", "O3"),
        ("O6", "O1"),
        ("P7N", "O8F"),
        *((f"{qid}.n", "O8F") for qid in PROPORTIONS),
    }
    for rule in fw.rules:
        shown = rule.message.format(left="40", right="30")
        assert "40" in shown and "30" in shown and "can't be more than" in shown


# ---- broken files ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("file", "question", "words"),
    [
        ("unknown_key.toml", "Q2", "colour"),
        ("duplicate_id.toml", "Q2", "more than once"),
        ("impossible_bounds.toml", "Q2", "below min"),
        ("ask_if_later.toml", "Q2", "not an earlier question"),
        ("ask_if_missing.toml", "Q2", "'Q9', which is not a question"),
        ("ask_if_missing_option.toml", "Q3", "no option 'great'"),
        ("label_without_letters.toml", "Q2", "no letters or digits"),
        ("rule_missing_question.toml", "Q9", "does not exist"),
        ("rule_on_text.toml", "Q2", "not numeric"),
        ("rule_on_whole_proportion.toml", "Q2", "name Q2.x or Q2.n"),
        ("rule_message_placeholder.toml", "Q2", "{total}"),
        ("benchmark_on_text.toml", "Q2", "numeric kind"),
        ("benchmark_without_official_wording.toml", "Q2", "official_wording = true"),
        ("benchmark_scale_mismatch.toml", "Q2", "scale ends at 10"),
        ("syntax_error.toml", "Q2", "not valid TOML"),
    ],
)
def test_broken_framework_names_file_and_question(file: str, question: str, words: str) -> None:
    with pytest.raises(FrameworkError) as caught:
        load_framework(BROKEN / file)
    message = str(caught.value)
    assert file in message
    assert question in message
    assert words in message


def test_not_toml_at_all_names_the_file() -> None:
    with pytest.raises(FrameworkError, match=r"not_toml\.toml: not valid TOML"):
        load_framework(BROKEN / "not_toml.toml")


def test_missing_file_is_a_framework_error(tmp_path: Path) -> None:
    with pytest.raises(FrameworkError, match="no such framework file"):
        load_framework(tmp_path / "nope.toml")


def test_unreadable_bytes_are_a_framework_error(tmp_path: Path) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes(b'title = "Caf\xe9"\n')
    with pytest.raises(FrameworkError, match=r"latin1\.toml: cannot be read"):
        load_framework(path)


def test_each_problem_gets_its_own_line(tmp_path: Path) -> None:
    text = (BROKEN / "duplicate_id.toml").read_text(encoding="utf-8")
    path = tmp_path / "two_problems.toml"
    path.write_text(text.replace('kind = "yes_no"', 'kind = "yes_no"\nbenchmark_typo = 1'))
    with pytest.raises(FrameworkError) as caught:
        load_framework(path)
    assert "question Q2, field benchmark_typo" in str(caught.value)
    path.write_text(text + '\n[[rules]]\nleft = "Q1"\nright = "Q8"\nmessage = "No way {left}."\n')
    with pytest.raises(FrameworkError) as caught:
        load_framework(path)
    lines = str(caught.value).splitlines()
    assert lines[1:] == [
        "  question id 'Q2' is used more than once",
        "  rule Q1 <= Q8: question 'Q8' does not exist",
    ]


def test_questions_are_numbered_in_order_as_grantees_see_them(fw: Framework) -> None:
    assert [fw.number_of(q.id) for q in fw.questions] == list(range(1, len(fw.questions) + 1))
    assert fw.number_of("O1") == 1
    with pytest.raises(FrameworkError, match="no question 'Z9'"):
        fw.number_of("Z9")
