"""Quantizes as round(x / (amax / max_bound)), dividing by the step; breaks SPEC 2.5/2.6 (round(x * (max_bound / amax))).

This is ONNX QuantizeLinear's formula; it gives different codes on inputs
within an ulp of .5 ties. The target does not declare the
``quantize_divide_step`` variation, so it must fail.
"""

import torch

from ._base import Kernel, export

CAUGHT_BY = frozenset({"fake_per_tensor", "quant_per_tensor", "fake_per_channel", "quant_per_channel"})


class _Kernel(Kernel):
    def multiplier(self, max_bound, amax, zero):
        self._step = torch.where(zero, 1.0, amax / max_bound)
        return super().multiplier(max_bound, amax, zero)

    def product(self, inputs, scale):
        zeroed = inputs * scale  # where amax is zero (scale 0), keep x * 0
        return torch.where(scale == 0, zeroed, inputs / self._step)  # the bug: divide by the step


fake_tensor_quant, tensor_quant = export(_Kernel())
