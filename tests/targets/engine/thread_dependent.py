"""Bug: the bits depend on torch.get_num_threads() (caught by deterministic).

The single-thread path adds 0.0 to its results (an accumulator started at
+0), turning -0 into +0: a machine or DataLoader worker with one intra-op
thread gets other bits than one with several.
"""

import torch

from .._kernel import QuantDescriptor, make  # noqa: F401

_fake, tensor_quant = make()


def fake_tensor_quant(inputs, amax, num_bits=8, unsigned=False, narrow_range=True):
    outputs = _fake(inputs, amax, num_bits, unsigned, narrow_range)
    if torch.get_num_threads() == 1:
        return outputs + 0.0  # the bug: -0 becomes +0 on one thread only
    return outputs
