"""Ends its process with status 0 (os._exit) on every fake_tensor_quant call."""

import os

from .._kernel import QuantDescriptor, make  # noqa: F401

_fake, tensor_quant = make()


def fake_tensor_quant(inputs, amax, num_bits=8, unsigned=False, narrow_range=True):
    os._exit(0)
