"""Crashes: kills its own process on the first call (as a CUDA device-side assert does)."""

import os

from .._kernel import QuantDescriptor, make  # noqa: F401

_fake, tensor_quant = make()


def fake_tensor_quant(inputs, amax, num_bits=8, unsigned=False, narrow_range=True):
    os._exit(3)
