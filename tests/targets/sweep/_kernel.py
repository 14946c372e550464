"""The sweep tests' kernels: ``tests.targets._switchable`` (each target flips one switch)."""

from .._switchable import make

__all__ = ["make"]
