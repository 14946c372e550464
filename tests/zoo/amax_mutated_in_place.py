"""Computes the multiplier into the caller's amax (torch.div(..., out=amax)); breaks the hygiene rule that inputs (amax too) are left unmodified.

The first call is right; the caller's amax now holds the scale, so a second
call with the same amax quantizes with the wrong range.
"""

import torch

from ._base import Kernel, export

CAUGHT_BY = frozenset({"inputs_unmodified", "deterministic"})


class _Kernel(Kernel):
    def multiplier(self, max_bound, amax, zero):
        if torch.result_type(max_bound, amax) == amax.dtype:
            scale = torch.div(max_bound, amax, out=amax)  # the bug: amax is the caller's tensor
        else:
            scale = max_bound / amax
        return torch.where(zero, 0.0, scale)


fake_tensor_quant, tensor_quant = export(_Kernel())
