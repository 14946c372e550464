"""Uses max_bound = 2**num_bits (not 2**num_bits - 1) when unsigned; breaks SPEC 2.4."""

import torch

from ._base import Kernel, export

CAUGHT_BY = frozenset({"fake_per_tensor", "quant_per_tensor", "fake_per_channel", "quant_per_channel"})


class _Kernel(Kernel):
    def bounds(self, num_bits, unsigned, narrow_range, device):
        if unsigned:
            return 0, torch.tensor(2.0**num_bits, device=device)  # the bug: no "- 1"
        return super().bounds(num_bits, unsigned, narrow_range, device)


fake_tensor_quant, tensor_quant = export(_Kernel())
