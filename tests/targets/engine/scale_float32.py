"""Bug: tensor_quant returns the scale in float32 for every dtype (caught by quant_per_tensor)."""

from .._kernel import QuantDescriptor, make  # noqa: F401

fake_tensor_quant, tensor_quant = make(scale_float32=True)
