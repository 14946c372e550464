"""Crashes: a segmentation fault inside tensor_quant only (fake_tensor_quant is correct)."""

import ctypes

from .._kernel import QuantDescriptor, make  # noqa: F401

fake_tensor_quant, _quant = make()


def tensor_quant(inputs, amax, num_bits=8, unsigned=False, narrow_range=True):
    ctypes.string_at(0)  # reads address 0: SIGSEGV
