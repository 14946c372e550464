"""For inputs of 4096 elements or more, a "vectorized" path divides by the step; breaks SPEC 2.5/2.6 (round(x * (max_bound / amax)) for every size).

Kernels often switch code paths by size (SIMD main loop and scalar tail,
parallel chunks past a grain size); a bug in only the large-input path is
invisible to small examples.
"""

import torch

from ._base import Kernel, export

CAUGHT_BY = frozenset({"fake_per_tensor", "quant_per_tensor", "fake_per_channel", "quant_per_channel",
                       "golden_vectors"})

LARGE = 4096


class _Kernel(Kernel):
    def product(self, inputs, scale):
        if inputs.numel() >= LARGE:
            step = torch.where(scale == 0, 1.0, 1.0 / scale)  # the bug: the fast path divides
            return torch.where(scale == 0, inputs * scale, inputs / step)
        return inputs * scale


fake_tensor_quant, tensor_quant = export(_Kernel())
