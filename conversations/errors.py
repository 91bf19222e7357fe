"""Typed errors for programming and configuration faults in the pure core."""


class ConversationsError(Exception):
    """Base of every error the pure core raises."""


class FrameworkError(ConversationsError):
    """A framework file is missing, malformed or inconsistent; the message says where."""
