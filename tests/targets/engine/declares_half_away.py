"""Rounds .5 ties away from zero and declares it: conforms unless --strict."""

from .._kernel import QuantDescriptor, make  # noqa: F401

CONFORMANCE_TARGET = {"name": "half-away kernel", "variations": ("round_half_away",)}

fake_tensor_quant, tensor_quant = make(rounding="half_away")
