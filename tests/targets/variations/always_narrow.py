"""Ignores narrow_range=False: the signed range is always narrow (variation always_narrow)."""

from ._kernel import make

fake_tensor_quant = make(always_narrow=True)
CONFORMANCE_TARGET = {"name": "always narrow", "devices": ("cpu",),
                      "variations": ("always_narrow",)}
