"""Quantizes negative inputs with unsigned=True instead of raising TypeError (SPEC 2.1)."""

from ._kernel import make

CONFORMANCE_TARGET = {"name": "broken: unsigned accepts negatives", "devices": ("cpu",)}
fake_tensor_quant, tensor_quant = make(check_unsigned=False)
