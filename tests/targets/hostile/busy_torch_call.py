"""Every call keeps torch busy for a minute (a call past its timeout is still in torch at exit)."""

import time

import torch

from .._kernel import QuantDescriptor, make  # noqa: F401

_fake, tensor_quant = make()


def fake_tensor_quant(inputs, amax, num_bits=8, unsigned=False, narrow_range=True):
    a = torch.ones(256, 256)
    end = time.monotonic() + 60
    while time.monotonic() < end:
        a = torch.mm(a, a).clamp_(0, 1)
    return _fake(inputs, amax, num_bits, unsigned, narrow_range)
