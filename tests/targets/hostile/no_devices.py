"""Declares no device at all (devices=())."""

from .._kernel import QuantDescriptor, make  # noqa: F401

CONFORMANCE_TARGET = {"devices": ()}

fake_tensor_quant, tensor_quant = make()
