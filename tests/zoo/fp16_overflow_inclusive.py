"""Raises the FP16 overflow error when the scale equals 65504; breaks SPEC 3 (only scale > 65504 raises).

Only a scale of exactly 65504 shows it, e.g. num_bits=12 (max_bound 2047)
with amax = 1/32.
"""

import torch

from ._base import FP16_MAX, Kernel, export

CAUGHT_BY = frozenset({"errors", "quant_per_tensor", "quant_per_channel"})


class _Kernel(Kernel):
    def check_fp16_scale(self, codes, scale, amax):
        if codes.dtype == torch.half and scale.max() >= FP16_MAX:  # the bug: >= for >
            raise ValueError(f"scale is too large for FP16 with amax={amax}")


fake_tensor_quant, tensor_quant = export(_Kernel())
