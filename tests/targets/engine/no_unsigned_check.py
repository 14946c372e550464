"""Bug: unsigned with negative inputs does not raise (caught by errors)."""

from .._kernel import QuantDescriptor, make  # noqa: F401

fake_tensor_quant, tensor_quant = make(skip_unsigned_check=True)
