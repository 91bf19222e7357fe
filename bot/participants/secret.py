"""The participants' secret: from the settings, else made once and kept in a file of its own.

It keys the online forms' addresses, the form keys of their pages and the hashes of participant
codes and senders' addresses. An operator need not set it: the first use makes 32 random bytes
and keeps them in `participants.link_secret_file` (mode 0600), where every later use, the
command line's included, finds them. `CHECKINS_PARTICIPANTS__LINK_SECRET` overrides the file.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
from pathlib import Path

from bot.settings import Settings, SettingsError

log = logging.getLogger(__name__)
SECRET_BYTES = 32
MIN_CHARS = 16  # a secret shorter than this (in the file or the setting) is refused


def participant_secret(settings: Settings) -> str:
    """The secret to key participants' forms with; made and kept on first use when unset."""
    given = settings.participants.link_secret
    if given is not None:
        value = given.get_secret_value()
        if len(value) < MIN_CHARS:
            raise SettingsError(
                f"participants.link_secret is {len(value)} characters long; give at least "
                f"{MIN_CHARS} random characters (e.g. from `openssl rand -base64 32`), or unset "
                "it to have one made and kept in participants.link_secret_file"
            )
        return value
    path = settings.participant_secret_file()
    try:
        return _read(path) if path.exists() else _make(path)
    except OSError as exc:
        raise SettingsError(
            f"participants.link_secret_file = {settings.participants.link_secret_file!r} "
            f"({path}): cannot be {'read' if path.exists() else 'made'} ({exc.strerror or exc}); "
            "let the service's user write that folder, choose another file, or set "
            "CHECKINS_PARTICIPANTS__LINK_SECRET"
        ) from None


def _read(path: Path) -> str:
    value = path.read_text(encoding="ascii").strip()
    if len(value) < MIN_CHARS:
        raise SettingsError(
            f"participants.link_secret_file ({path}) holds {len(value)} characters; it should "
            f"hold at least {MIN_CHARS}. Delete it to have a new one made (online forms' "
            "addresses already printed stay known; participant codes given before will not "
            "pair with those given after)"
        )
    if path.stat().st_mode & 0o077:
        log.warning("%s can be read by other users; chmod 600 it", path)
    return value


def _make(path: Path) -> str:
    """Write a new secret so that it appears whole or not at all: into a file of this process's
    own, then linked into place, which fails if another process made one first (theirs wins)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(SECRET_BYTES)
    draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(value + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(draft, path)
        except FileExistsError:
            return _read(path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(draft)
    log.info("made the participants' secret and kept it in %s", path)
    return value
