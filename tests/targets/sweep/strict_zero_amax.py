"""Zeroes the scale only where amax < 2**-24, not <= (the CUDA extension's threshold)."""

from ._kernel import make

CONFORMANCE_TARGET = {"name": "broken: strict zero-amax threshold", "devices": ("cpu",)}
fake_tensor_quant, tensor_quant = make(zero_threshold="strict")
