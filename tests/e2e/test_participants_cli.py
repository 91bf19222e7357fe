"""`checkins participants`: paper forms imported, figures and change shown, forms deleted."""

from __future__ import annotations

from pathlib import Path

import pytest
from pypdf import PdfReader

from tests.e2e.test_cli import EMAIL, settings_file, setup_programme
from tests.support.cli import run_cli as run

__all__ = ["settings_file"]  # the fixture, used by name

OTHER = "raj@belgravearts.example.org"


def _csv(tmp_path: Path, name: str, rows: list[str]) -> Path:
    path = tmp_path / name
    path.write_text("get_on_well,life_satisfaction,age_band,code\n" + "\n".join(rows) + "\n")
    return path


def _import(settings: Path, path: Path, kind: str, email: str = EMAIL) -> tuple[int, str]:
    return run(
        settings, "participants", "import", str(path), "--grantee", email,
        "--period", "2026 Q4", "--kind", kind,
    )  # fmt: skip


def test_keyed_forms_give_figures_and_paired_change(settings_file: Path, tmp_path: Path) -> None:
    setup_programme(settings_file)
    baseline = _csv(tmp_path, "b.csv", [f"3,{4 + n % 2},a25_34,PA0{n}XY" for n in range(6)])
    follow = _csv(
        tmp_path,
        "f.csv",
        [f"Tend to agree,{6 + n % 2},a25_34,pa0{n}xy" for n in range(6)] + ["4,3,,"],
    )
    assert _import(settings_file, baseline, "baseline") == (
        0,
        f"Imported 6 baseline forms for {EMAIL}, 2026 Q4.\n",
    )
    assert _import(settings_file, follow, "follow_up")[0] == 0
    code, output = run(
        settings_file, "participants", "figures", "--grantee", EMAIL, "--period", "2026 Q4"
    )
    assert code == 0, output
    assert "Forms: 6 baseline, 7 follow-up." in output
    assert "P1: 6 of 7 agree that this local area" in output
    assert "P7: mean 6.0 from 7 answers." in output
    assert (
        "P7 change (paired: the same people before and after, 6 people): 6 better, 0 the same, "
        "0 worse; mean change +2.00 (95% interval +2.00 to +2.00)."
    ) in output
    assert "P1 change (paired: the same people before and after, 6 people): 6 better" in output
    assert "WELLBYs for 6 people" in output
    assert "No money value is shown" in output


def test_a_bad_row_imports_nothing_and_says_where(settings_file: Path, tmp_path: Path) -> None:
    setup_programme(settings_file)
    bad = _csv(tmp_path, "bad.csv", ["1,7,,", "maybe,12,,"])
    code, output = _import(settings_file, bad, "follow_up")
    assert code == 1
    assert "nothing imported" in output
    assert "row 3, get_on_well: Choose one of: Definitely agree" in output
    assert "row 3, life_satisfaction: Give a whole number from 0 to 10" in output
    code, output = run(
        settings_file, "participants", "figures", "--grantee", EMAIL, "--period", "2026 Q4"
    )
    assert "Forms: 0 baseline, 0 follow-up." in output


def test_delete_removes_one_grantees_forms_only(settings_file: Path, tmp_path: Path) -> None:
    setup_programme(settings_file)
    forms = _csv(tmp_path, "f.csv", ["1,7,,", "2,8,,"])
    assert _import(settings_file, forms, "follow_up")[0] == 0
    assert _import(settings_file, forms, "follow_up", OTHER)[0] == 0
    code, output = run(settings_file, "participants", "delete", "--grantee", EMAIL, "--yes")
    assert (code, output) == (0, "Deleted 2 participant forms of Unity Through Food.\n")
    figures = ("participants", "figures", "--period", "2026 Q4", "--grantee")
    assert "Forms: 0 baseline, 0 follow-up." in run(settings_file, *figures, EMAIL)[1]
    assert "Forms: 0 baseline, 2 follow-up." in run(settings_file, *figures, OTHER)[1]


def test_purge_keeps_recent_forms(settings_file: Path, tmp_path: Path) -> None:
    setup_programme(settings_file)
    assert _import(settings_file, _csv(tmp_path, "f.csv", ["1,7,,"]), "follow_up")[0] == 0
    code, output = run(settings_file, "participants", "purge")
    assert (code, output) == (0, "Deleted 0 participant forms received more than 730 days ago.\n")


@pytest.mark.parametrize("secret", [None, "a-long-random-secret"])
def test_printable_form_with_and_without_a_link(
    settings_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, secret: str | None
) -> None:
    setup_programme(settings_file)
    if secret:
        monkeypatch.setenv("CHECKINS_PARTICIPANTS__LINK_SECRET", secret)
        monkeypatch.setenv("CHECKINS_WEB__PUBLIC_URL", "https://checkins.example.org")
    out = tmp_path / "form.html"
    code, output = run(
        settings_file, "participants", "form", "--grantee", EMAIL, "--period", "2026 Q4",
        "--kind", "baseline", "--out", str(out),
    )  # fmt: skip
    assert code == 0, output
    html = out.read_text()
    assert "How strongly do you feel you belong to your immediate neighbourhood?" in html
    assert "Unity Through Food" in html
    if secret:
        assert "https://checkins.example.org/p/" in html and "<svg" in html
    else:
        assert "<svg" not in html and "CHECKINS_PARTICIPANTS__LINK_SECRET" in output


def test_printable_form_as_a_pdf(settings_file: Path, tmp_path: Path) -> None:
    setup_programme(settings_file)
    out = tmp_path / "form.pdf"
    code, output = run(
        settings_file, "participants", "form", "--grantee", EMAIL, "--period", "2026 Q4",
        "--kind", "follow_up", "--out", str(out),
    )  # fmt: skip
    assert code == 0, output
    reader = PdfReader(out)
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    assert text.startswith("Now that you have taken part")
    assert "How strongly do you feel you belong to your immediate neighbourhood?" in text
    assert "Unity Through Food" in text
