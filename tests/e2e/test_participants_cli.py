"""`checkins participants`: paper forms imported, figures and change shown, forms deleted."""

from __future__ import annotations

import asyncio
import re
import stat
from pathlib import Path

import pytest

import storage
from bot.participants.online import form_status
from bot.participants.printable import form_token
from storage.db import database
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


def _link(output: str) -> str:
    found = re.search(r"Online: (\S+)", output)
    assert found is not None, output
    return found.group(1)


def _paper(settings: Path, out: Path, kind: str = "baseline", what: str = "form") -> str:
    code, output = run(
        settings, "participants", what, "--grantee", EMAIL, "--period", "2026 Q4",
        "--kind", kind, "--out", str(out),
    )  # fmt: skip
    assert code == 0, output
    return _link(output)


def test_printed_forms_carry_the_online_link_with_a_secret_made_on_first_use(
    settings_file: Path, tmp_path: Path
) -> None:
    setup_programme(settings_file)
    out = tmp_path / "form.html"
    link = _paper(settings_file, out)
    made = tmp_path / "var" / "participant_link_secret"  # beside the settings file
    assert stat.S_IMODE(made.stat().st_mode) == 0o600
    token = link.rsplit("/p/", 1)[1]
    grantee_id = 1  # the first grantee of the example file
    assert token == form_token(made.read_text().strip(), grantee_id, "2026 Q4", "baseline")
    html = out.read_text()
    assert "How strongly do you feel you belong to your immediate neighbourhood?" in html
    assert "Unity Through Food" in html
    assert f"<strong>{link}</strong>" in html and "<svg" in html
    assert _paper(settings_file, tmp_path / "again.html") == link  # the same secret, kept


def test_a_secret_from_the_environment_wins_and_a_form_keeps_its_first_address(
    settings_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    setup_programme(settings_file)
    first = _paper(settings_file, tmp_path / "form.html", "follow_up")
    monkeypatch.setenv("CHECKINS_PARTICIPANTS__LINK_SECRET", "a-long-random-secret")
    monkeypatch.setenv("CHECKINS_WEB__PUBLIC_URL", "https://checkins.example.org")
    poster = tmp_path / "poster.html"
    link = _paper(settings_file, poster, "follow_up", "poster")
    # printed before the secret was set: the same address, now under the public URL
    assert link == "https://checkins.example.org/p/" + first.rsplit("/p/", 1)[1]
    html = poster.read_text()
    assert "checkins.example.org/p/" in html and f"QR code for {link}" in html
    assert "<style>" in html  # a file to print: its styles inside it
    baseline = _paper(settings_file, tmp_path / "base.html", "baseline", "poster")
    token = form_token("a-long-random-secret", 1, "2026 Q4", "baseline")
    assert baseline == f"https://checkins.example.org/p/{token}"


def test_a_short_secret_is_refused_with_what_to_do(
    settings_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    setup_programme(settings_file)
    monkeypatch.setenv("CHECKINS_PARTICIPANTS__LINK_SECRET", "short")
    code, output = run(
        settings_file, "participants", "poster", "--grantee", EMAIL, "--period", "2026 Q4",
        "--out", str(tmp_path / "p.html"),
    )  # fmt: skip
    assert code == 1 and "participants.link_secret is 5 characters long" in output
    assert not (tmp_path / "p.html").exists()


def _status(db_url: str, email: str = EMAIL) -> str:
    async def read() -> str:
        async with database(db_url):
            (grantee,) = await storage.find_grantees_by_email(email)
            return await form_status(grantee.id, "2026 Q4", "follow_up")

    return asyncio.run(read())


def test_pause_close_and_reopen_a_form(settings_file: Path, db_url: str) -> None:
    setup_programme(settings_file)
    where = ("--grantee", EMAIL, "--period", "2026 Q4", "--kind", "follow_up")
    assert _status(db_url) == "open"
    code, output = run(settings_file, "participants", "pause", *where)
    assert code == 0, output
    assert output.startswith(
        "The follow-up form of Unity Through Food for 2026 Q4 is paused: its page says it is "
        "not taking answers just now"
    )
    assert _status(db_url) == "paused" and _status(db_url, OTHER) == "open"
    assert run(settings_file, "participants", "close", *where)[0] == 0
    assert _status(db_url) == "closed"
    code, output = run(settings_file, "participants", "reopen", *where)
    assert "is open: it takes answers." in output and _status(db_url) == "open"
    code, output = run(settings_file, "participants", "pause", "--grantee", "nobody@x.org",
                       "--period", "2026 Q4")  # fmt: skip
    assert code == 1 and "no grantee has the email" in output
