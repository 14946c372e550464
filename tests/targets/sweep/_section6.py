"""The section 6 sweep tests' kernels: ``tests.zoo._section6.Section6Kernel`` (SPEC 6 step by
step, in plain torch ops) with one step changed, exported as a target module's functions."""

from __future__ import annotations

from tests.zoo._base import export
from tests.zoo._section6 import Section6Kernel, export_section6

__all__ = ["Section6Kernel", "export_target"]


def export_target(kernel: Section6Kernel, *, only=None) -> dict:
    """``kernel``'s functions by upstream name (the article's two and section 6's three), or
    only those named in ``only`` besides ``fake_tensor_quant`` (which every target has)."""
    fake_tensor_quant, tensor_quant = export(kernel)
    functions = {"fake_tensor_quant": fake_tensor_quant, "tensor_quant": tensor_quant,
                 **export_section6(kernel)}
    if only is not None:
        functions = {k: v for k, v in functions.items() if k == "fake_tensor_quant" or k in only}
    return functions
