"""A zoo of tensor_quant kernels that prove the suite can fail.

Every module here is a conformance target (``--target tests.zoo.NAME``).
``correct_*`` modules implement the article exactly, written differently
from the built-in kernel, and must pass everything. Every other public
module is the article's kernel (``_base.Kernel``) with exactly one bug,
named with the SPEC rule it breaks in its docstring, and declares
``CAUGHT_BY``: the properties of which at least one must fail for it, and,
while the engine cannot catch it yet, ``KNOWN_MISS`` (the reason).

The helpers below are the one way to load members and judge them, shared by
``tests/test_zoo.py`` and the kill matrix (``python -m tests.zoo --matrix``).
"""

import importlib
import pkgutil

__all__ = ["is_correct", "known_miss", "member", "members", "verdict"]


def members() -> list[str]:
    """The names of every zoo member module, sorted (private helpers excluded)."""
    return sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))


def member(name: str):
    """The member's module (its ``CAUGHT_BY``, ``KNOWN_MISS`` and docstring)."""
    return importlib.import_module(f"{__name__}.{name}")


def is_correct(name: str) -> bool:
    """A ``correct_*`` member: one that must conform."""
    return name.startswith("correct_")


def known_miss(name: str) -> str | None:
    """Why the engine does not catch the member yet, or None when it must."""
    return getattr(member(name), "KNOWN_MISS", None)


def verdict(name: str, *, profile: str = "ci", properties=None, seed: int | None = None):
    """The engine's ``TargetReport`` on the member, in this process (as the tests run it)."""
    from conformance.runner import run_target
    from conformance.targets import load_target

    return run_target(load_target(f"{__name__}.{name}"), profile=profile,
                      properties=properties, seed=seed)
