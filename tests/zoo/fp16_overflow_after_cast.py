"""Checks FP16 overflow on the float16-cast scale (isinf), missing scales in (65504, 65520); breaks SPEC 3 (scale.max() > 65504 on the float32 scale).

A float32 scale below 65520 rounds to 65504 in float16, so this kernel
returns a scale of 65504 where the article raises ValueError.
"""

import torch

from ._base import Kernel, export

# The strategies give no amax whose scale lies in (65504, 65520); the golden vector
# fp16_scale_one_ulp_above_65504_tq does.
CAUGHT_BY = frozenset({"errors", "quant_per_tensor", "quant_per_channel", "golden_vectors"})


class _Kernel(Kernel):
    def check_fp16_scale(self, codes, scale, amax):
        if codes.dtype == torch.half and bool(torch.isinf(scale.half()).any()):  # the bug
            raise ValueError(f"scale is too large for FP16 with amax={amax}")


fake_tensor_quant, tensor_quant = export(_Kernel())
