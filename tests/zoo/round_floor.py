"""Rounds down (floor) instead of half to even; breaks SPEC 2.6."""

import torch

from ._base import Kernel, export

CAUGHT_BY = frozenset({"fake_per_tensor", "quant_per_tensor", "fake_per_channel", "quant_per_channel"})


class _Kernel(Kernel):
    def round(self, values, input_dtype):
        return torch.floor(values)  # the bug


fake_tensor_quant, tensor_quant = export(_Kernel())
