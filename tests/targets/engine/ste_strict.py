"""Bug: the STE mask is |x| < amax, not <= (caught by ste_gradient)."""

from .._kernel import QuantDescriptor, make  # noqa: F401

fake_tensor_quant, tensor_quant = make(ste_strict=True)
