"""The article's semantics, with a stale expectations file (its deviation no longer happens)."""

from ._kernel import make

fake_tensor_quant = make()
CONFORMANCE_TARGET = {"name": "conforms despite its expectations", "devices": ("cpu",),
                      "expectations": "expectations/rounding.toml"}
