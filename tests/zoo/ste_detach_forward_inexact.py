"""When the inputs require grad, fake_tensor_quant returns gate + (q - gate).detach(); breaks SPEC 3 (the outputs are codes / scale, bit for bit, in training too).

The common detach-style STE: its gradient is the right clipped mask, but
``gate + (q - gate)`` rounds and turns -0 into +0, so the forward values
differ from the inference path exactly when autograd is recording.
"""

import torch

from ._base import Kernel, export

CAUGHT_BY = frozenset({"ste_gradient", "fake_per_tensor", "fake_per_channel"})

_kernel = Kernel()
_fake, tensor_quant = export(_kernel)


def fake_tensor_quant(inputs, amax, num_bits=8, unsigned=False, narrow_range=True):
    if not (torch.is_grad_enabled() and inputs.requires_grad):
        return _fake(inputs, amax, num_bits, unsigned, narrow_range)
    with torch.no_grad():
        q = _kernel.fake_tensor_quant(inputs, amax, num_bits, unsigned, narrow_range)
    gate = torch.where(inputs.abs() <= amax.detach(), inputs, 0.0)
    return gate + (q - gate).detach()  # the bug: not bit-exact
