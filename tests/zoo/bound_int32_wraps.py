"""Computes max_bound = (1 << (num_bits - 1 + unsigned)) - 1 in int32, which wraps for 32 bits and more; breaks SPEC 2.4 (max_bound is a float32 value).

A C-style integer bound: right for every width up to 31 bits.
"""

import numpy as np
import torch

from ._base import Kernel, export

CAUGHT_BY = frozenset({"fake_per_tensor", "quant_per_tensor", "fake_per_channel", "quant_per_channel"})


class _Kernel(Kernel):
    def bounds(self, num_bits, unsigned, narrow_range, device):
        width = num_bits - 1 + int(unsigned)
        if width < 1:
            return super().bounds(num_bits, unsigned, narrow_range, device)
        wrapped = np.array((1 << width) - 1, dtype=np.int64).astype(np.int32)  # the bug
        max_bound = torch.tensor(float(wrapped), device=device)
        if unsigned:
            return 0, max_bound
        return (-max_bound if narrow_range else -max_bound - 1), max_bound


fake_tensor_quant, tensor_quant = export(_Kernel())
