"""Correct, but declares that it runs on CUDA only: on cpu nothing can be checked."""

from .._kernel import QuantDescriptor, make  # noqa: F401

CONFORMANCE_TARGET = {"name": "cuda-only kernel", "devices": ("cuda",)}

fake_tensor_quant, tensor_quant = make()
