"""fake_affine_tensor_quant's gradient passes only strictly inside the range; breaks SPEC 6.1
(min_range <= x <= max_range is inclusive: the ends keep their gradient)."""

import torch

from ._base import export
from ._section6 import Section6Kernel, export_section6

CAUGHT_BY = frozenset({"affine_gradient"})


class _Kernel(Section6Kernel):
    def affine_input_gradient(self, inputs, min_range, max_range, grad_outputs):
        inside = (inputs > min_range) & (inputs < max_range)  # the bug: strict
        return torch.where(inside, grad_outputs, 0.0)


fake_tensor_quant, tensor_quant = export(_Kernel())
globals().update(export_section6(_Kernel()))
