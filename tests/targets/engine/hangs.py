"""Misbehaves: the first call never returns (the engine's per-call timeout must fire)."""

import threading

_forever = threading.Event()


def fake_tensor_quant(inputs, amax, num_bits=8, unsigned=False, narrow_range=True):
    _forever.wait()
