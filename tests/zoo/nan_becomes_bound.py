"""Maps NaN codes to a clamp bound (NaN compared as "out of range"); breaks SPEC 2.6 (NaN stays NaN).

Everything else, -0 and +-inf included, is right: only NaN inputs (or inf
times a zero multiplier) reveal it.
"""

import torch

from ._base import Kernel, export

CAUGHT_BY = frozenset({"fake_per_tensor", "quant_per_tensor", "fake_per_channel", "quant_per_channel"})


class _Kernel(Kernel):
    def clamp(self, values, min_bound, max_bound):
        clamped = super().clamp(values, min_bound, max_bound)
        low = torch.as_tensor(min_bound, dtype=clamped.dtype, device=clamped.device)
        return torch.where(torch.isnan(values), low, clamped)  # the bug


fake_tensor_quant, tensor_quant = export(_Kernel())
