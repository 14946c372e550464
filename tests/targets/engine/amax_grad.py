"""Bug: backward returns a zero gradient for amax instead of None (caught by amax_no_gradient)."""

from .._kernel import QuantDescriptor, make  # noqa: F401

fake_tensor_quant, tensor_quant = make(amax_grad=True)
