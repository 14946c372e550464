"""Ignores narrow_range=False (the CUDA extension never passes the flag)."""

from ._kernel import make

CONFORMANCE_TARGET = {"name": "broken: always narrow range", "devices": ("cpu",)}
fake_tensor_quant, tensor_quant = make(always_narrow=True)
