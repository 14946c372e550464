"""Converts the rounded codes to int32 before clamping, so NaN and +-inf become the lower bound; breaks SPEC 2.6 (clamp keeps NaN, clamps inf).

The float -> int cast of NaN, inf or anything beyond 2**31 is undefined in C
and gives INT_MIN on x86 (pytorch#106780, #154328); the sign of zero is lost
on the way too.
"""

import torch

from ._base import Kernel, export

CAUGHT_BY = frozenset({"fake_per_tensor", "quant_per_tensor", "fake_per_channel", "quant_per_channel"})


class _Kernel(Kernel):
    def clamp(self, values, min_bound, max_bound):
        as_int = values.to(torch.int32)  # the bug: cast before clamping
        return super().clamp(as_int, min_bound, max_bound).to(values.dtype)


fake_tensor_quant, tensor_quant = export(_Kernel())
