"""fake_affine_tensor_quant rounds ``x / step`` half away from zero (``std::round``, as the
pytorch-quantization CUDA kernel up to 2.1.2 does for the symmetric path); breaks SPEC 6.1
(half to even): x = 0.5 with step 1 gives 1, not 0."""

import torch

from ._section6 import Section6Kernel, export_target

CONFORMANCE_TARGET = {"name": "broken: affine rounds half away from zero", "devices": ("cpu",)}


class _Kernel(Section6Kernel):
    def affine_codes(self, inputs, step, zero_point):
        quotient = inputs / step
        whole = torch.trunc(quotient)  # quotient - whole is exact: no second rounding
        away = torch.where((quotient - whole).abs() >= 0.5, whole + torch.sign(quotient), whole)
        return away - zero_point  # the bug: ties go away from zero


globals().update(export_target(_Kernel()))
