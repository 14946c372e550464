"""Names a folder as its expectations file."""

from .._kernel import QuantDescriptor, make  # noqa: F401

CONFORMANCE_TARGET = {"expectations": "."}

fake_tensor_quant, tensor_quant = make()
