"""Hangs in C code that never releases the GIL (a thread-based timeout cannot fire)."""

import itertools

from .._kernel import QuantDescriptor, make  # noqa: F401

_fake, tensor_quant = make()


def fake_tensor_quant(inputs, amax, num_bits=8, unsigned=False, narrow_range=True):
    return sum(itertools.repeat(0, 10**15))  # one C call: hours, with the GIL held
