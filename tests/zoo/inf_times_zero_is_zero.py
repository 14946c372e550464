"""Where amax is zero, gives +-inf inputs a signed 0 code instead of NaN; breaks SPEC 2.5 (inf * 0 = NaN)."""

import torch

from ._base import Kernel, export

CAUGHT_BY = frozenset({"fake_per_tensor", "quant_per_tensor", "fake_per_channel", "quant_per_channel"})


class _Kernel(Kernel):
    def product(self, inputs, scale):
        product = inputs * scale
        # the bug: an infinite input times the zero multiplier "should be 0"
        infinite_times_zero = torch.isinf(inputs) & (scale == 0)
        return torch.where(infinite_times_zero, torch.copysign(torch.zeros_like(product), inputs), product)


fake_tensor_quant, tensor_quant = export(_Kernel())
