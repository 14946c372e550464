"""Raises KeyboardInterrupt in a call: the sweep's own Ctrl-C handling must not take it."""

from ._kernel import misbehaving


def _interrupt():
    raise KeyboardInterrupt


CONFORMANCE_TARGET = {"name": "hostile: KeyboardInterrupt in a call", "devices": ("cpu",)}
fake_tensor_quant, tensor_quant = misbehaving(_interrupt)
