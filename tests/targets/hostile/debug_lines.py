"""Correct, but prints a 2 kB debug line to stderr on every call (a pipe fills in ~30 calls)."""

import sys

from .._kernel import QuantDescriptor, make  # noqa: F401

_fake, _quant = make()


def fake_tensor_quant(inputs, amax, num_bits=8, unsigned=False, narrow_range=True):
    print("debug: fake_tensor_quant " + "." * 2000, file=sys.stderr, flush=True)
    return _fake(inputs, amax, num_bits, unsigned, narrow_range)


def tensor_quant(inputs, amax, num_bits=8, unsigned=False, narrow_range=True):
    print("debug: tensor_quant " + "." * 2000, file=sys.stderr, flush=True)
    return _quant(inputs, amax, num_bits, unsigned, narrow_range)
