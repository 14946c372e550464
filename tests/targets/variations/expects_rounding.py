"""Half-away rounding declared as a known deviation (xfail) instead of a variation."""

from ._kernel import make

fake_tensor_quant = make(half_away=True)
CONFORMANCE_TARGET = {"name": "half-away rounding, expected to fail", "devices": ("cpu",),
                      "expectations": "expectations/rounding.toml"}
