"""Bug: fake_affine_tensor_quant rounds x / step half away from zero (caught by affine_values)."""

import torch

from tests.zoo._section6 import Section6Kernel

from ._section6_bugs import target


class _Kernel(Section6Kernel):
    def affine_codes(self, inputs, step, zero_point):
        ratio = inputs / step
        away = torch.where((ratio - ratio.trunc()).abs() == 0.5, ratio.trunc() + ratio.sign(),
                           ratio.round())
        return away - zero_point


globals().update(target(_Kernel()))
