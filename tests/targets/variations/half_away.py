"""Rounds .5 ties away from zero (variation round_half_away)."""

from ._kernel import make

fake_tensor_quant = make(half_away=True)
CONFORMANCE_TARGET = {"name": "half-away rounding", "devices": ("cpu",),
                      "variations": ("round_half_away",)}
