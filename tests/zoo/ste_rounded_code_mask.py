"""Passes the gradient where the rounded, unclamped code lies within the bounds; breaks SPEC 3 (mask |x| <= amax on the raw inputs).

This is torch.fake_quantize_*'s backward; an input slightly above amax whose
code rounds to max_bound still gets a gradient here.
"""

import torch

from ._base import Kernel, export

CAUGHT_BY = frozenset({"ste_gradient"})


class _Kernel(Kernel):
    def bounds(self, num_bits, unsigned, narrow_range, device):
        self._bounds = super().bounds(num_bits, unsigned, narrow_range, device)  # for backward
        return self._bounds

    def input_gradient(self, inputs, amax, grad_outputs):
        min_bound, max_bound = self._bounds
        code = torch.round(inputs * (max_bound / amax))
        inside = (code >= min_bound) & (code <= max_bound)  # the bug: mask on the rounded code
        return torch.where(inside, grad_outputs, 0.0)


fake_tensor_quant, tensor_quant = export(_Kernel())
