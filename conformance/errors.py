"""Errors the command line turns into exit code 2 with a message that says what to fix."""


class UsageError(Exception):
    """Bad arguments, an unusable target, or a missing device."""
