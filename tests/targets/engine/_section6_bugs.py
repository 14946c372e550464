"""The section 6 engine targets: the correct target with one section 6 method overridden."""

from tests.zoo._section6 import export_section6

from .._kernel import QuantDescriptor, make  # noqa: F401


def target(kernel) -> dict:
    """A module namespace: the article's functions and ``kernel``'s section 6 functions."""
    fake_tensor_quant, tensor_quant = make()
    return {"fake_tensor_quant": fake_tensor_quant, "tensor_quant": tensor_quant,
            "QuantDescriptor": QuantDescriptor, **export_section6(kernel)}
