"""The sweep tests' kernels: ``tests.switchable_kernel`` (each target flips one switch)."""

from tests.switchable_kernel import make

__all__ = ["make"]
