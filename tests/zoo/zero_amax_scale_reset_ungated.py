"""Reports scale 1 wherever amax <= 2**-24, even when the zero-amax gate is off; breaks SPEC 2.7.

The codes follow the article (masked only if ``amax.min() <= 2**-24``), but
the returned scale is reset on its own elementwise mask: with a NaN channel
beside a zero one, tensor_quant reports 1 where the article reports inf, and
fake_tensor_quant returns the raw codes (+-bound) where the article gives +-0.
"""

import torch

from ._base import EPSILON, Kernel, export

CAUGHT_BY = frozenset({"fake_per_channel", "quant_per_channel"})


class _Kernel(Kernel):
    def quantize(self, inputs, amax, num_bits, unsigned, narrow_range):
        codes, scale = super().quantize(inputs, amax, num_bits, unsigned, narrow_range)
        return codes, torch.where(amax <= EPSILON, 1.0, scale)  # the bug: no gate


fake_tensor_quant, tensor_quant = export(_Kernel())
