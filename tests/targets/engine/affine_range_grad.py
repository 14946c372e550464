"""Bug: fake_affine_tensor_quant's backward returns a gradient for max_range (caught by
affine_gradient: the ranges take none)."""

import torch

from tests.zoo._section6 import Section6Kernel

from ._section6_bugs import target


class _Kernel(Section6Kernel):
    def affine_range_gradient(self, inputs, min_range, max_range, grad_outputs):
        return None, torch.zeros_like(max_range)


globals().update(target(_Kernel()))
