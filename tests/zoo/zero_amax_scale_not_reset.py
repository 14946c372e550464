"""Leaves the multiplier at 0 where amax is zero instead of reporting 1; breaks SPEC 2.7.

tensor_quant returns a scale of 0 and fake_tensor_quant divides by it, giving
NaN (0/0) where the article gives +-0.
"""

from ._base import Kernel, export

CAUGHT_BY = frozenset({"fake_per_tensor", "quant_per_tensor", "fake_per_channel", "quant_per_channel"})


class _Kernel(Kernel):
    def reported_scale(self, scale, zero):
        return scale  # the bug: no torch.where(zero, 1.0, scale)


fake_tensor_quant, tensor_quant = export(_Kernel())
