"""Bug: ignores narrow_range (caught by golden_vectors among others)."""

from .._kernel import QuantDescriptor, make  # noqa: F401

fake_tensor_quant, tensor_quant = make(ignore_narrow=True)
