"""Caches tensor_quant's scale by value and returns the cached tensor itself; breaks SPEC 7 (no output aliases state the kernel keeps).

The values are right (the cache is keyed by the scale's bits), but the
caller who scales the returned tensor in place (``scale.mul_(...)``) changes
what every later call with that amax returns.
"""

import torch

from ._base import Kernel, export

CAUGHT_BY = frozenset({"result_lifetime"})


class _Kernel(Kernel):
    def __init__(self):
        self._scales = {}

    def returned_scale(self, scale, input_dtype):
        scale = super().returned_scale(scale, input_dtype)
        bits = scale.detach().cpu().contiguous().reshape(-1).view(torch.uint8)
        key = (scale.dtype, scale.device, tuple(scale.shape), bytes(bits.numpy()))
        return self._scales.setdefault(key, scale)  # the bug: the kept tensor itself


fake_tensor_quant, tensor_quant = export(_Kernel())
