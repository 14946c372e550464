"""Names an expectations file that is not UTF-8 text."""

from .._kernel import QuantDescriptor, make  # noqa: F401

CONFORMANCE_TARGET = {"expectations": "not_utf8.toml"}

fake_tensor_quant, tensor_quant = make()
