"""Bug: writes the result into its inputs (caught by inputs_unmodified)."""

from .._kernel import QuantDescriptor, make  # noqa: F401

fake_tensor_quant, tensor_quant = make(write_inputs=True)
