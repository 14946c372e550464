"""Bug: the negative-amax check reads amax[0] only (caught by errors, per-channel amax).

A per-channel amax negative in a later channel is quantized with its
absolute value instead of raising ValueError (SPEC 2.3).
"""

from .._kernel import QuantDescriptor, make  # noqa: F401

_fake, _quant = make()


def fake_tensor_quant(inputs, amax, num_bits=8, unsigned=False, narrow_range=True):
    if amax.reshape(-1)[0] < 0:  # the bug: only the first element is checked
        raise ValueError("Negative values in amax")
    return _fake(inputs, amax.abs(), num_bits, unsigned, narrow_range)


def tensor_quant(inputs, amax, num_bits=8, unsigned=False, narrow_range=True):
    if amax.reshape(-1)[0] < 0:
        raise ValueError("Negative values in amax")
    return _quant(inputs, amax.abs(), num_bits, unsigned, narrow_range)
