"""Returns +0 for every input where amax is zero; breaks SPEC 2.5 (round(x * 0): -0 for negative x, NaN for NaN/inf).

The CUDA kernels of pytorch-quantization and ModelOpt write 0 there; this
target keeps the inclusive threshold but not the signed zeros and NaNs.
"""

import torch

from ._base import Kernel, export

CAUGHT_BY = frozenset({"fake_per_tensor", "quant_per_tensor", "fake_per_channel", "quant_per_channel"})


class _Kernel(Kernel):
    def quantize(self, inputs, amax, num_bits, unsigned, narrow_range):
        codes, scale = super().quantize(inputs, amax, num_bits, unsigned, narrow_range)
        zero = self.zero_amax(amax)
        return torch.where(zero, torch.zeros((), dtype=codes.dtype), codes), scale  # the bug


fake_tensor_quant, tensor_quant = export(_Kernel())
