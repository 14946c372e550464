"""Bug: when every output equals its input, returns the inputs tensor itself (caught by inputs_unmodified).

An identity "fast path": the values are right, but the caller's tensor is
aliased, so writing to the result writes to the inputs.
"""

import torch

from .._kernel import QuantDescriptor, make  # noqa: F401

_fake, tensor_quant = make()


def fake_tensor_quant(inputs, amax, num_bits=8, unsigned=False, narrow_range=True):
    outputs = _fake(inputs, amax, num_bits, unsigned, narrow_range)
    same = (outputs.dtype == inputs.dtype and outputs.shape == inputs.shape
            and torch.equal(torch.signbit(outputs), torch.signbit(inputs))
            and torch.equal(outputs.nan_to_num(0.0), inputs.nan_to_num(0.0)))
    return inputs if same else outputs  # the bug: an alias of the caller's tensor
