"""Hangs on every call, and declares fake_per_tensor and output_device as known deviations.

A hang is a misbehaviour, never an expected deviation: both must fail, not xfail.
"""

import threading

CONFORMANCE_TARGET = {"name": "hangs, with expectations", "expectations": "hangs_expected.toml"}

_forever = threading.Event()


def fake_tensor_quant(inputs, amax, num_bits=8, unsigned=False, narrow_range=True):
    _forever.wait()
