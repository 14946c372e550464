"""Both: half-away rounding and an always-narrow signed range."""

from ._kernel import make

fake_tensor_quant = make(half_away=True, always_narrow=True)
CONFORMANCE_TARGET = {"name": "half-away and always narrow", "devices": ("cpu",),
                      "variations": ("round_half_away", "always_narrow")}
