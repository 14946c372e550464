"""Ends its own process with status 0 in a call (``os._exit(0)``): no false green allowed."""

import os

from ._kernel import misbehaving

CONFORMANCE_TARGET = {"name": "hostile: os._exit(0) in a call", "devices": ("cpu",)}
fake_tensor_quant, tensor_quant = misbehaving(lambda: os._exit(0))
