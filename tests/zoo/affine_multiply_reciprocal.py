"""fake_affine_tensor_quant multiplies by the step's reciprocal instead of dividing by the
step; breaks SPEC 6.1 (codes are round(x / step): near .5 ties the two round apart)."""

import torch

from ._base import export
from ._section6 import Section6Kernel, export_section6

CAUGHT_BY = frozenset({"affine_values"})


class _Kernel(Section6Kernel):
    def affine_codes(self, inputs, step, zero_point):
        return torch.round(inputs * (1.0 / step)) - zero_point  # the bug: x * (1 / step)


fake_tensor_quant, tensor_quant = export(_Kernel())
globals().update(export_section6(_Kernel()))
