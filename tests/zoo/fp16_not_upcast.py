"""Computes float16 inputs in float16; breaks SPEC 2.2 (float16 inputs are computed in float32).

The product x * scale is rounded to float16 before rounding to an integer,
which moves codes near .5 ties.
"""

import torch

from ._base import Kernel, export

CAUGHT_BY = frozenset({"golden_vectors", "fake_per_tensor", "quant_per_tensor", "fake_per_channel", "quant_per_channel"})


class _Kernel(Kernel):
    def upcast(self, inputs, amax):
        if amax.dtype == torch.half:
            amax = amax.float()
        return inputs, amax  # the bug: float16 inputs stay float16


fake_tensor_quant, tensor_quant = export(_Kernel())
