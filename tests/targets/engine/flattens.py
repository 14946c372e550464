"""Bug: returns 0-d results with shape (1,) (caught by degenerate_shapes)."""

from .._kernel import QuantDescriptor, make  # noqa: F401

fake_tensor_quant, tensor_quant = make(flatten=True)
