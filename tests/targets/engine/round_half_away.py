"""Bug: rounds .5 ties away from zero (caught by fake_per_tensor)."""

from .._kernel import QuantDescriptor, make  # noqa: F401

fake_tensor_quant, tensor_quant = make(rounding="half_away")
