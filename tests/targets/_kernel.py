"""The engine test targets' kernel: ``tests.targets._switchable`` under the engine's names.

Each module in ``tests/targets/engine`` calls ``make`` with one bug turned
on, so every property of the suite can be shown to catch its bug. With no
bug it conforms.
"""

from __future__ import annotations

from reference.descriptor import QuantDescriptor  # noqa: F401  (re-exported by targets)

from ._switchable import make as _make

__all__ = ["make"]


def make(*, ignore_narrow=False, skip_unsigned_check=False, **switches):
    """``(fake_tensor_quant, tensor_quant)`` with the named bug switched on."""
    return _make(always_full=ignore_narrow, check_unsigned=not skip_unsigned_check, **switches)
