"""Raises SystemExit(0) in a call (``sys.exit()`` deep in a library): not an ordinary exception."""

import sys

from ._kernel import misbehaving

CONFORMANCE_TARGET = {"name": "hostile: sys.exit(0) in a call", "devices": ("cpu",)}
fake_tensor_quant, tensor_quant = misbehaving(lambda: sys.exit(0))
