"""Bug: returns its outputs on the meta device (caught by output_device)."""

from .._kernel import QuantDescriptor, make  # noqa: F401

fake_tensor_quant, tensor_quant = make(output_device="meta")
