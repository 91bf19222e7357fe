"""The shell's one error base: what a command or the service cannot do, said for who can mend it."""

from __future__ import annotations


class BotError(Exception):
    """Raised by the shell's packages; the command line prints it as a message, not a trace."""
