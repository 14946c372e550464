"""The switchable kernel with every switch at the article's value: must pass."""

from ._kernel import make

CONFORMANCE_TARGET = {"name": "sweep test kernel (correct)", "devices": ("cpu",)}
fake_tensor_quant, tensor_quant = make()
