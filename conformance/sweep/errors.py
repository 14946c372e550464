"""The sweep library's argument errors: they name the argument, the command names the flag.

``run_sweep(jobs=0)`` should say ``jobs must be at least 1``; the command
line, where the user typed ``--jobs 0``, says ``--jobs must be at least 1``.
One exception type carries the argument's name so that the command layer
can phrase it (``phrased``) without the library knowing any flag.
"""

from __future__ import annotations

from ..errors import UsageError

__all__ = ["SweepArgumentError"]


class SweepArgumentError(UsageError):
    """``argument`` was given ``got``; it must be ``expected`` (a phrase: "at least 1")."""

    def __init__(self, argument: str, expected: str, got, hint: str = ""):
        self.argument = argument
        self.expected = expected
        self.got = got
        self.hint = hint
        super().__init__(self.phrased(argument))

    def phrased(self, name: str) -> str:
        """The message with the argument called ``name`` (e.g. its command-line flag)."""
        text = f"{name} must be {self.expected}, got {self.got!r}."
        return f"{text} {self.hint}" if self.hint else text
