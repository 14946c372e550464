"""Bug: legacy_fake_tensor_quant's STE mask is |x| < amax, not <= (caught by legacy_fake)."""

import torch

from tests.zoo._section6 import Section6Kernel

from ._section6_bugs import target


class _Kernel(Section6Kernel):
    def input_gradient(self, inputs, amax, grad_outputs):
        return torch.where(inputs.abs() < amax, grad_outputs, 0.0)


globals().update(target(_Kernel()))
