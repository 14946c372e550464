"""Returns a gradient for amax (the clipped part of grad_output, signed); breaks SPEC 3 (no gradient flows to amax)."""

import torch

from ._base import Kernel, export

CAUGHT_BY = frozenset({"amax_no_gradient"})


class _Kernel(Kernel):
    def amax_gradient(self, inputs, amax, grad_outputs):
        # the bug: a learned-amax (PACT-style) gradient where the article has None
        clipped = torch.where(inputs.abs() > amax, grad_outputs * torch.sign(inputs), 0.0)
        return clipped.sum_to_size(amax.shape).to(amax.dtype)


fake_tensor_quant, tensor_quant = export(_Kernel())
