"""Correct, but declares that it runs on CPU only (device skips)."""

from .._kernel import QuantDescriptor, make  # noqa: F401

CONFORMANCE_TARGET = {"name": "cpu-only kernel", "devices": ("cpu",)}

fake_tensor_quant, tensor_quant = make()
