"""Raises KeyboardInterrupt from every fake_tensor_quant call."""

from .._kernel import QuantDescriptor, make  # noqa: F401

_fake, tensor_quant = make()


def fake_tensor_quant(inputs, amax, num_bits=8, unsigned=False, narrow_range=True):
    raise KeyboardInterrupt
