"""Bug: reads non-contiguous inputs as if contiguous (caught by strided_inputs)."""

from .._kernel import QuantDescriptor, make  # noqa: F401

fake_tensor_quant, tensor_quant = make(assume_contiguous=True)
