"""The participants' secret: set, or made on first use and kept in a file only its owner reads."""

from __future__ import annotations

import logging
import stat
import threading
from pathlib import Path

import pytest

from bot.participants.secret import participant_secret
from bot.settings import Settings, SettingsError


def _settings(path: Path, secret: str | None = None) -> Settings:
    values: dict[str, object] = {"link_secret_file": str(path)}
    if secret is not None:
        values["link_secret"] = secret
    return Settings.model_validate({"participants": values})


def test_made_on_first_use_kept_with_mode_0600_and_found_again(tmp_path: Path) -> None:
    path = tmp_path / "var" / "secret"
    made = participant_secret(_settings(path))
    assert len(made) >= 40 and path.read_text().strip() == made
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert participant_secret(_settings(path)) == made
    assert [p.name for p in path.parent.iterdir()] == ["secret"]  # no drafts left behind


def test_the_setting_wins_over_the_file(tmp_path: Path) -> None:
    path = tmp_path / "secret"
    assert participant_secret(_settings(path, "s" * 32)) == "s" * 32
    assert not path.exists()


def test_two_processes_making_it_at_once_agree(tmp_path: Path) -> None:
    path = tmp_path / "secret"
    found: list[str] = []
    threads = [
        threading.Thread(target=lambda: found.append(participant_secret(_settings(path))))
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(found)) == 1 and path.read_text().strip() == found[0]


def test_a_short_secret_is_refused_by_key(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=r"participants\.link_secret is 5 characters long"):
        participant_secret(_settings(tmp_path / "secret", "short"))
    (tmp_path / "empty").write_text("\n")
    with pytest.raises(SettingsError, match="holds 0 characters"):
        participant_secret(_settings(tmp_path / "empty"))


def test_a_place_it_cannot_be_made_is_named(tmp_path: Path) -> None:
    (tmp_path / "var").write_text("a file where the folder should be")
    with pytest.raises(SettingsError, match=r"participants\.link_secret_file = .* cannot be made"):
        participant_secret(_settings(tmp_path / "var" / "secret"))


def test_a_file_others_can_read_is_warned_about(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "secret"
    path.write_text("r" * 43 + "\n")
    path.chmod(0o644)
    with caplog.at_level(logging.WARNING):
        assert participant_secret(_settings(path)) == "r" * 43
    assert "can be read by other users; chmod 600 it" in caplog.text
