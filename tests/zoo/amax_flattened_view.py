"""Flattens a per-channel amax with ``.view(-1)`` (assuming it contiguous) to compute the scale; breaks SPEC 7 (every memory layout of every tensor argument).

A per-channel amax expanded with zero strides (``amax.expand(x.shape)``) or sliced with
a step cannot be viewed, so the call raises where the article computes.
"""

import torch

from ._base import Kernel, export

CAUGHT_BY = frozenset({"strided_inputs"})


class _Kernel(Kernel):
    def multiplier(self, max_bound, amax, zero):
        if amax.dim() == 0:  # per tensor
            return super().multiplier(max_bound, amax, zero)
        flat = amax.view(-1)  # the bug: RuntimeError for non-viewable layouts
        return torch.where(zero, 0.0, (max_bound / flat).view(amax.shape))


fake_tensor_quant, tensor_quant = export(_Kernel())
